"""`awaitbench perf fake-llm`: fake_llm against a raw-ASGI ceiling: paired saturation rounds, the Little
bound and a rate search.

Modules: `config`, `ceiling_app`, `step`, `rounds`, `round_report`, `points`, `point_report`, `sweep`,
`report`; docs/perf.md explains."""

from __future__ import annotations

__all__: list[str] = []
