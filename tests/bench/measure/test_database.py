"""The database figures of a point from pg_stat_activity samples and the app's pool counters: pure logic."""

from __future__ import annotations

import pytest

from bench.measure.database import ActivitySample, database_figures


def test_the_peak_is_the_busiest_sample_and_ties_show_the_held_sessions() -> None:
    samples = [
        ActivitySample(active=1, idle_in_transaction=2, connections=10),
        ActivitySample(active=3, idle_in_transaction=7, connections=10),  # 10 busy
        ActivitySample(active=0, idle_in_transaction=10, connections=10),  # 10 busy, all held: shown
        ActivitySample(active=4, idle_in_transaction=0, connections=10),
    ]
    figures = database_figures(samples, every_s=0.02, app_stats={})
    assert (figures.active_peak, figures.active_at_peak, figures.idle_in_transaction_at_peak) == (4, 0, 10)
    assert figures.connections_peak == 10 and figures.samples == 4 and figures.sample_every_ms == 20.0
    assert figures.active_mean == pytest.approx(2.0)
    assert figures.idle_in_transaction_mean == pytest.approx(4.75)


def test_pool_counters_come_from_the_app_and_are_none_when_it_reports_none() -> None:
    stats = {
        "db_pool_checked_out_peak": 10,
        "db_pool_waiting_peak": 29,
        "db_pool_timeouts": 19,
        "requests": 3,
    }
    figures = database_figures([], every_s=0.02, app_stats=stats)
    assert (figures.pool_checked_out_peak, figures.pool_waiting_peak, figures.pool_timeouts) == (10, 29, 19)
    assert figures.samples == 0 and figures.active_peak == 0 and figures.active_mean == 0.0
    bare = database_figures([], every_s=0.02, app_stats={"db_pool_checked_out_peak": 1})
    assert bare.pool_waiting_peak is None and bare.pool_timeouts is None  # a pool that does not count them
