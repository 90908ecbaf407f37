"""awaitbench: the one command line, the runtime a team installs (`awaitbench.detect`) and the options leaf.

Only `awaitbench.commands` reaches into several packages; docs/contracts.md has the import rules."""
