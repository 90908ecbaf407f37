"""`awaitbench perf fake-llm`: how close fake_llm gets to the fastest a Python server can be.

The question is whether fake_llm's timing is still faithful under load, i.e. whether a benchmark that uses it
as the upstream measures the app under test rather than fake_llm. The answer is a ratio measured in one run:
fake_llm against a raw-ASGI server that only sleeps the same latency (`ceiling_app`), both pinned to one core,
driven by the project's one open-loop generator (`bench.loadgen.open_loop`, in self-timed step mode:
`bench.loadgen.open_loop_step`) pinned to another, over the same rate search (`sweep`).

Modules: `config` (typed settings), `ceiling_app` (the raw-ASGI ceiling), `search` (the rate search, pure
logic), `servers` (how each server is started), `sweep` (runs the steps), `report` (table and JSON).
"""

from __future__ import annotations

__all__: list[str] = []
