"""The Little-bound point's ratios and table from synthetic figures (pure logic: no processes)."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from bench.selfperf.config import Mode, PerfConfig, ServerKind
from bench.selfperf.point_report import point_ratios, points_json, render_points
from bench.selfperf.points import PointRecord


def _figures(rps: float, p99: float, *, cpu: float = 0.5, notes: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "achieved_rps": rps,
        "latency_ms": {"p99": p99},
        "first_token_ms": {"p99": p99 - 20},
        "server_cpu_util": cpu,
        "server_cpu_us_per_request": round(cpu / rps * 1e6, 1),
        "notes": list(notes),
    }


def _record(server: ServerKind, mode: Mode, *attempts: dict[str, Any]) -> PointRecord:
    best = max(attempts, key=lambda a: a["achieved_rps"])
    return PointRecord(server=server, mode=mode, connections=400, best=best, attempts=attempts)


def _records() -> list[PointRecord]:
    return [
        _record("ceiling", "non-streaming", _figures(7600, 55.0, cpu=0.4)),
        _record("fake_llm", "non-streaming", _figures(7500, 58.0), _figures(7000, 70.0)),
        _record("ceiling", "streaming", _figures(1100, 90.0)),
        _record("fake_llm", "streaming", _figures(1100, 85.0, cpu=0.6, notes=("gen CPU",))),
    ]


def test_ratios_targets_and_notes() -> None:
    config = PerfConfig(sched="normal")
    little, streaming = point_ratios(_records(), config)
    assert little.ratio == round(7500 / 7600, 3)
    assert little.meets_target is True  # the best attempt: p99 58 ms <= 50 + 10
    assert little.fake_llm_cpu_us_per_request == round(0.5 / 7500 * 1e6, 1)
    assert streaming.fake_llm_p99_ms == 65.0  # streaming: the first token's p99
    assert streaming.meets_target is False
    assert streaming.note == "fake_llm: gen CPU"


def test_everything_is_rendered_and_nothing_when_skipped() -> None:
    config = PerfConfig(sched="normal")
    buffer = io.StringIO()
    render_points(Console(file=buffer, width=250), records=_records(), config=config)
    text = buffer.getvalue()
    assert "0.99x" in text and "NOT met" in text and "p99 ≤ 60 ms" in text and "8,000 req/s" in text
    document = points_json(_records(), config)
    assert len(document["ratios"]) == 2 and len(document["records"]) == 4
    empty = io.StringIO()
    render_points(Console(file=empty, width=250), records=[], config=config)
    assert empty.getvalue() == ""
