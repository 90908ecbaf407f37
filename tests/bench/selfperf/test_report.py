"""Ratios and the table from synthetic searches (pure logic: no processes)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from rich.console import Console

from bench.run.rate_search import SearchResult, StepOutcome, StepVerdict
from bench.selfperf.config import Mode, PerfConfig, ServerKind
from bench.selfperf.report import perf_document, ratios, render_table
from bench.selfperf.sweep import SearchRecord


def _record(
    server: ServerKind, mode: Mode, costs: dict[float, float | None], *, failed_at: float | None
) -> SearchRecord:
    steps: list[dict[str, Any]] = []
    outcomes = []
    for rate, cost in costs.items():
        verdict = "sustained" if cost is not None else "failed"
        steps.append({"rate_rps": rate, "verdict": verdict, "server_cpu_us_per_request": cost,
                      "server_cpu_util": 0.5, "error_ms": {"p99": 1.0}})  # fmt: skip
        outcomes.append(StepOutcome(rate_rps=rate, verdict=StepVerdict(verdict)))
    best = max((r for r, c in costs.items() if c is not None), default=0.0)
    result = SearchResult(
        max_sustained_rps=best,
        first_failed_rps=failed_at,
        lower_bound=failed_at is None,
        steps=tuple(outcomes),
        note="",
    )
    return SearchRecord(server=server, mode=mode, result=result, step_figures=tuple(steps), duration_s=1.0)


def _records() -> list[SearchRecord]:
    return [
        _record("ceiling", "non-streaming", {400: 100.0, 800: 80.0, 1600: 60.0, 3200: None}, failed_at=3200),
        _record("fake_llm", "non-streaming", {400: 150.0, 800: 120.0, 1600: None}, failed_at=1600),
        _record("ceiling", "streaming", {400: 500.0, 800: None}, failed_at=800),
        _record("fake_llm", "streaming", {400: 400.0, 800: 390.0}, failed_at=None),
    ]


def test_ratio_of_maxima_and_cpu_cost_at_the_highest_common_rate() -> None:
    plain, streaming = ratios(_records(), ("non-streaming", "streaming"))
    assert plain.ratio == 0.5  # 800 / 1600
    assert plain.meets_target is False
    assert plain.cpu_cost_at_rps == 800  # the highest rate both sustained
    assert plain.cpu_cost_ratio == round(80 / 120, 3)
    assert plain.note == ""
    assert streaming.ratio == 2.0
    assert streaming.meets_target is True
    assert "fake_llm is a lower bound" in streaming.note


def test_table_and_document_carry_every_figure() -> None:
    config = PerfConfig(sched="normal")
    buffer = io.StringIO()
    render_table(Console(file=buffer, width=200), config=config, records=_records())
    text = buffer.getvalue()
    assert "0.50x" in text and "NOT met" in text
    assert "0.67x at 800 rps" in text
    document = perf_document(
        config=config,
        records=_records(),
        started_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        duration_s=1.0,
        machine={"cpu_count": 2},
        packages={},
        git_commit=None,
    )
    assert document["ratios"][0]["cpu_cost_ratio"] == round(80 / 120, 3)
    assert len(document["results"]) == 4
