"""`awaitbench perf fake-llm`: how close fake_llm gets to the fastest a Python server can be.

The question is whether fake_llm's timing is still faithful under load, i.e. whether a benchmark that uses it
as the upstream measures the app under test rather than fake_llm. The answer is measured in one run: fake_llm
against a raw-ASGI server that only sleeps the same latency (`ceiling_app`), both pinned to one core, driven
by the project's one generator (`bench.loadgen.open_loop`) pinned to another, in its two self-timed step
modes: closed-loop points at the Little bound and at saturation (`points`, through
`bench.loadgen.connections_step`) and the same open-loop rate search for both servers (`sweep`, through
`bench.loadgen.open_loop_step`).

Modules: `config` (typed settings), `ceiling_app` (the raw-ASGI ceiling), `step` (one step: a fresh server,
the generator run against it), `points` (the closed-loop points), `point_report` (their table, ratios and
JSON), `sweep` (the rate search's steps, with `bench.run.rate_search`), `report` (table and JSON).
"""

from __future__ import annotations

__all__: list[str] = []
