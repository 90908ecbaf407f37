"""`awaitbench perf fake-llm`: fake_llm against a raw-ASGI ceiling, closed-loop points and a rate search.

Modules: `config`, `ceiling_app`, `step`, `points`, `point_report`, `sweep`, `report`; docs/perf.md
explains."""

from __future__ import annotations

__all__: list[str] = []
