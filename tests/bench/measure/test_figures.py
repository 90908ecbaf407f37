from __future__ import annotations

from dataclasses import replace

from bench.measure.figures import merge_probe_snapshots, server_figures, theory_figures, upstream_figures
from bench.measure.sampling import TreeSample, WindowCpu
from fake_llm.stats import ServerStats
from tests.bench.helpers import make_scenario


def test_upstream_figures_from_the_stats_snapshot() -> None:
    stats = replace(
        ServerStats().snapshot(),
        requests_total=400,
        connections_opened=100,
        peak_in_flight=37,
        rate_limited_total=5,
        server_errors_total=2,
        hangs_total=1,
        requests_by_status={"200": 393},
    )
    cpu = WindowCpu(cpu_seconds=1.0, cpu_percent=33.3, busiest_process_percent=40.0, processes=1)
    up = upstream_figures(stats, cpu=cpu)
    assert (up.requests, up.peak_concurrency, up.connections_opened) == (400, 37, 100)
    assert up.connections_per_request == 0.25
    assert (up.rate_limited, up.server_errors, up.hangs, up.cpu_percent) == (5, 2, 1, 33.3)


def test_upstream_figures_of_an_idle_window() -> None:
    up = upstream_figures(ServerStats().snapshot(), cpu=None)
    assert up.requests == 0 and up.connections_per_request == 0.0 and up.cpu_percent is None


def test_probe_merge_takes_the_worst_worker() -> None:
    merged = merge_probe_snapshots(
        [
            {"lag_p50_ms": 0.2, "lag_p99_ms": 1.0, "lag_max_ms": 5.0, "threadpool_busy_peak": 3},
            {"lag_p50_ms": 0.4, "lag_p99_ms": None, "lag_max_ms": 90.0, "threadpool_busy_peak": 40},
        ]
    )
    assert merged == {"lag_p50_ms": 0.4, "lag_p99_ms": 1.0, "lag_max_ms": 90.0, "threadpool_busy_peak": 40}


def test_cpu_per_request() -> None:
    figures = server_figures(
        cpu=WindowCpu(cpu_seconds=1.5, cpu_percent=50.0, busiest_process_percent=60.0, processes=1),
        resources=TreeSample(rss_mb=80.0, open_fds=20, threads=3, processes=1),
        requests=300,
        probe={"lag_p99_ms": 2.0},
        app_stats={"records": 3},
    )
    assert figures.cpu_ms_per_request == 5.0
    assert figures.loop_lag_p99_ms == 2.0 and figures.loop_lag_max_ms is None
    assert figures.app_stats == {"records": 3}


def test_theory_and_littles_bound() -> None:
    theory = theory_figures(make_scenario(), "bad", users=50, workers=1, preset=None)
    assert theory.littles_law_bound_rps == 500.0
    assert theory.throughput_rps == 10.0 and theory.latency_ms == 5000.0


def test_theory_failure_keeps_the_bound() -> None:
    theory = theory_figures(make_scenario(), "missing", users=10, workers=1, preset="slow")
    assert theory.littles_law_bound_rps == 100.0
    assert "no prediction" in theory.note and "preset 'slow'" in theory.note
