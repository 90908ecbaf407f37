"""The overhead benchmarks' plumbing and arithmetic (they are benchmarks: nothing here judges speed)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def _script(name: str) -> ModuleType:
    """Import `scripts/<name>.py` as module `name` (as running it from scripts/ would)."""
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


overhead = _script("overhead")
RoundResult, RunResult, OverheadResult = overhead.RoundResult, overhead.RunResult, overhead.OverheadResult


def _round(plain_rps: float, watched_rps: float, cpu_percent: float) -> Any:
    def run(rps: float) -> Any:
        return RunResult(rps=rps, cpu_ms_per_request=1000.0 / rps, server_cpu_percent=cpu_percent)

    return RoundResult(plain=run(plain_rps), watched=run(watched_rps))


def test_only_server_bound_rounds_count_when_there_are_some() -> None:
    result = OverheadResult(
        rounds=(_round(1000, 990, 97), _round(1000, 400, 40), _round(1000, 970, 95)),
        plain_idle_cpu_percent=0.2,
        watched_idle_cpu_percent=0.8,
        cpus=2,
    )
    assert len(result.counted) == 2  # the 40%-CPU round was held back by something else
    assert result.median_ratio == pytest.approx(0.98)
    assert result.throughput_cost_percent == pytest.approx(2.0)


def test_all_rounds_count_when_none_is_server_bound() -> None:
    result = OverheadResult(
        rounds=(_round(500, 450, 40), _round(500, 550, 50)),
        plain_idle_cpu_percent=0.0,
        watched_idle_cpu_percent=0.0,
        cpus=2,
    )
    assert len(result.counted) == 2


def test_in_process_benchmark_measures_both_variants_and_the_monitor() -> None:
    result = _script("overhead_asgi").measure_asgi_overhead(pairs=2, requests=200, concurrency=8)
    assert len(result.plain_us) == len(result.watched_us) == len(result.monitor_us) == 2
    assert all(us > 0 for us in (*result.plain_us, *result.watched_us))
    assert all(us >= 0 for us in result.monitor_us)
    assert result.median_ratio > 0


def test_busy_loop_benchmark_measures_bare_probe_and_watch() -> None:
    cost = _script("probe_cost").measure_probe_cost(rounds=1, tasks=10, steps=400)
    assert cost.rounds == 1
    assert min(cost.without_probe_s, cost.with_probe_s, cost.with_watch_s) > 0


def test_plugin_benchmark_runs_bare_and_the_plugin_in_pytest() -> None:
    plugin_cost = _script("plugin_cost")
    chosen = tuple(v for v in plugin_cost.VARIANTS if v.name in ("bare", "plugin"))
    costs, loads = plugin_cost.measure_plugin_cost(rounds=1, awaits=200, variants=chosen)
    assert [c.name for c in costs] == ["bare", "plugin"] and len(loads) == 1
    assert all(min(c.first_call_s + c.steady_call_s + c.process_s) > 0 for c in costs)
