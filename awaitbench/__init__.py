"""awaitbench: the one command line that wires the packages together.

`fake_llm` (the upstream), `scenarios` (the apps under test), `bench` (runs and measures), `reports`
(results to charts and pages) and `detect` (finds pitfalls in a team's own code) never import each other
the wrong way; only `awaitbench.commands` may reach into several of them, and `awaitbench.options` (typed
options, the one-line parser) is the leaf they share. See docs/contracts.md.
"""
