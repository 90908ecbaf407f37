"""The closed-loop points' ratios and table from synthetic figures (pure logic: no processes)."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from bench.selfperf.config import Mode, PerfConfig, ServerKind
from bench.selfperf.point_report import point_ratios, points_json, render_points
from bench.selfperf.points import PointKind, PointRecord


def _figures(rps: float, p99: float, *, cpu: float = 0.95, notes: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "achieved_rps": rps,
        "latency_ms": {"p99": p99},
        "first_token_ms": {"p99": p99 - 20},
        "server_cpu_util": cpu,
        "server_cpu_us_per_request": round(cpu / rps * 1e6, 1),
        "notes": list(notes),
    }


def _record(server: ServerKind, mode: Mode, point: PointKind, *attempts: dict[str, Any]) -> PointRecord:
    best = max(attempts, key=lambda a: a["achieved_rps"])
    return PointRecord(server=server, mode=mode, point=point, connections=400, best=best, attempts=attempts)


def _records() -> list[PointRecord]:
    return [
        _record("ceiling", "non-streaming", "little_bound", _figures(7600, 55.0, cpu=0.4)),
        _record("fake_llm", "non-streaming", "little_bound", _figures(7500, 58.0, cpu=0.5)),
        _record("ceiling", "non-streaming", "saturation", _figures(15000, 150.0)),
        _record("fake_llm", "non-streaming", "saturation", _figures(12000, 180.0), _figures(9000, 200.0)),
        _record("ceiling", "streaming", "little_bound", _figures(1100, 90.0, cpu=0.5)),
        _record("fake_llm", "streaming", "little_bound", _figures(1100, 85.0, cpu=0.6, notes=("gen CPU",))),
    ]


def test_ratios_targets_and_notes() -> None:
    config = PerfConfig(sched="normal")
    little, saturation, streaming = point_ratios(_records(), config)
    assert little.ratio == round(7500 / 7600, 3)
    assert little.meets_target is True  # p99 58 ms <= 50 + 10
    assert saturation.ratio == 0.8 and saturation.meets_target is False  # the best attempt counts
    assert saturation.fake_llm_cpu_us_per_request == round(0.95 / 12000 * 1e6, 1)
    assert streaming.fake_llm_p99_ms == 65.0  # streaming: the first token's p99
    assert streaming.meets_target is False
    assert streaming.note == "fake_llm: gen CPU"


def test_unsaturated_point_is_flagged_and_everything_is_rendered() -> None:
    config = PerfConfig(sched="normal")
    records = [
        _record("ceiling", "non-streaming", "saturation", _figures(5000, 60.0, cpu=0.3)),
        _record("fake_llm", "non-streaming", "saturation", _figures(5000, 60.0, cpu=0.4)),
    ]
    [ratio] = point_ratios(records, config)
    assert "not CPU-bound" in ratio.note
    buffer = io.StringIO()
    render_points(Console(file=buffer, width=250), records=_records(), config=config)
    text = buffer.getvalue()
    assert "0.80x" in text and "NOT met" in text and "p99 ≤ 60 ms" in text
    document = points_json(_records(), config)
    assert len(document["ratios"]) == 3 and len(document["records"]) == 6
