"""Small results objects for unit tests of pure logic (bench summaries, report summaries, compare).

One place builds the demo scenario ("bad" = pitfall, "good" = fix) and a minimal manifest, so a new
required field in bench/results/records.py is added here once, not in every test module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.results import LatencySummary, Manifest, PointRecord, RunResults, ScenarioInfo, VariantInfo

__all__ = ["DEMO_INFO", "demo_run", "minimal_manifest"]

DEMO_INFO = ScenarioInfo(
    id="demo",
    title="Demo",
    pitfall="p",
    fix="f",
    signature="s",
    pitfall_variant="bad",
    fix_variant="good",
    variants=(
        VariantInfo(id="bad", title="bad", role="pitfall"),
        VariantInfo(id="good", title="good", role="fix"),
    ),
    upstream_latency_ms=100.0,
)


def minimal_manifest(**overrides: Any) -> Manifest:
    """A complete-run manifest with empty machine/config; override any field by keyword."""
    fields: dict[str, Any] = {
        "run_id": "t",
        "started_at": "",
        "ended_at": None,
        "status": "complete",
        "awaitbench_version": "0",
        "git_commit": None,
        "machine": {"cpu_count": 2, "cpu_model": "test", "python": "3.11", "platform": "linux"},
        "versions": {},
        "config": {},
        "reference_users": 100,
        "scenarios": (),
    }
    return Manifest(**{**fields, **overrides})


def demo_run(*points: PointRecord, **manifest_overrides: Any) -> RunResults:
    return RunResults(path=Path("."), manifest=minimal_manifest(**manifest_overrides), points=points)


def latency_with_p99(
    p99_ms: float, *, lower_bound: bool = False, count: int = 100, min_ms: float = 1.0
) -> LatencySummary:
    """A point's latency summary whose tail is `p99_ms` (the median half of it); with `lower_bound`, the
    p99 and max rest on unanswered requests (a quarter of `count`), as the run writes them."""
    return LatencySummary(
        count=count,
        mean_ms=p99_ms / 2,
        p50_ms=p99_ms / 2,
        p90_ms=p99_ms,
        p95_ms=p99_ms,
        p99_ms=p99_ms,
        p999_ms=p99_ms,
        max_ms=p99_ms,
        min_ms=min_ms,
        censored=count // 4 if lower_bound else 0,
        lower_bounds=("p99_ms", "max_ms") if lower_bound else (),
    )
