"""Each scenario's headline: which side is worse on its own metric, and the words a slide carries."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bench.results import HeadlineInfo, LatencySummary, PointRecord, ServerFigures
from bench.results.headline import headline_result


def _latency(p50_ms: float, *, lower_bounds: tuple[str, ...] = ()) -> LatencySummary:
    return LatencySummary(
        count=100,
        mean_ms=p50_ms,
        p50_ms=p50_ms,
        p90_ms=p50_ms,
        p95_ms=p50_ms,
        p99_ms=p50_ms,
        p999_ms=p50_ms,
        max_ms=p50_ms,
        min_ms=p50_ms,
        lower_bounds=lower_bounds,
    )


def _point(**fields: Any) -> PointRecord:
    base: dict[str, Any] = {
        "scenario": "demo",
        "variant": "v",
        "loop": "uvloop",
        "users": 10,
        "status": "ok",
        "valid": True,
        "requests": 100,
    }
    return PointRecord(**{**base, **fields})


def _app(records: int, requests: int = 100) -> ServerFigures:
    return ServerFigures(
        cpu_seconds=1.0,
        cpu_ms_per_request=1.0,
        cpu_percent=10.0,
        rss_mb=50.0,
        open_fds=10,
        threads=2,
        loop_lag_p50_ms=None,
        loop_lag_p99_ms=None,
        loop_lag_max_ms=None,
        app_stats={"requests": requests, "records_written": records},
    )


THROUGHPUT = HeadlineInfo(
    metric="throughput_rps", name="req/s", better="higher", users=10, text="{ratio} fewer req/s", unit="req/s"
)
FIRST_BYTE = HeadlineInfo(
    metric="ttfb_p50_ms",
    name="first byte p50",
    better="lower",
    users=10,
    text="first byte {ratio} later",
    digits=0,
)
WRITES = HeadlineInfo(
    metric="app:records_written/request",
    name="records written/request",
    better="higher",
    users=10,
    text="loses {loss_pct} of writes",
    digits=2,
    min_gap=0.1,
)
UNANSWERED = HeadlineInfo(
    metric="unanswered_share",
    name="unanswered requests",
    better="lower",
    users=40,
    text="{pitfall_pct} of requests never answer",
    unit="%",
    min_gap=0.01,
)


def test_a_pitfall_worse_on_its_metric_is_said_in_the_scenarios_words() -> None:
    result = headline_result(THROUGHPUT, _point(throughput_rps=9.5), _point(throughput_rps=95.0), users=10)
    assert result.ratio == pytest.approx(10.0)
    assert (result.outcome, result.text) == (
        "pitfall worse",
        "x10 fewer req/s",
    )
    late = headline_result(FIRST_BYTE, _point(ttfb=_latency(490.0)), _point(ttfb=_latency(108.0)), users=10)
    assert late.text == "first byte x4.5 later"


def test_a_lost_write_has_no_finite_ratio_but_its_words() -> None:
    result = headline_result(WRITES, _point(server=_app(0)), _point(server=_app(100)), users=10)
    assert result.outcome == "pitfall worse"
    assert result.ratio is None
    assert result.text == "loses 100% of writes"
    assert result.as_dict() == {
        "metric": "app:records_written/request",
        "name": "records written/request",
        "unit": "",
        "better": "higher",
        "users": 10,
        "pitfall": 0.0,
        "fix": 1.0,
        "pitfall_is_lower_bound": False,
        "fix_is_lower_bound": False,
        "ratio": None,
        "outcome": "pitfall worse",
        "text": "loses 100% of writes",
    }


def test_unanswered_requests_are_a_share_of_the_requests_issued() -> None:
    pitfall = _point(unanswered=9, latency=_latency(110.0))
    result = headline_result(UNANSWERED, pitfall, _point(latency=_latency(120.0)), users=40)
    assert result.pitfall == pytest.approx(0.09) and result.fix == 0.0
    assert result.text == "9% of requests never answer"


def test_the_fix_worse_on_the_headline_metric_is_said_plainly() -> None:
    result = headline_result(THROUGHPUT, _point(throughput_rps=120.0), _point(throughput_rps=80.0), users=10)
    assert result.outcome == "fix worse"
    assert result.ratio == pytest.approx(80.0 / 120.0)
    assert result.text == "the fix is worse on req/s here: 120.0 vs 80.0 req/s (pitfall vs fix)"


def test_within_noise_or_below_the_minimum_gap_is_no_difference() -> None:
    close = headline_result(THROUGHPUT, _point(throughput_rps=100.0), _point(throughput_rps=110.0), users=10)
    assert close.outcome == "no difference"
    assert close.text == "no measurable difference in req/s (100.0 vs 110.0 req/s)"
    tiny = headline_result(WRITES, _point(server=_app(95)), _point(server=_app(100)), users=10)
    assert tiny.outcome == "no difference"  # 0.95 vs 1.00 is below the declared 0.1 gap


def test_a_pitfall_resting_on_a_lower_bound_is_at_least_this_bad() -> None:
    p50 = replace(
        FIRST_BYTE, metric="latency_p50_ms", name="p50 latency", text="users wait {ratio} longer (p50)"
    )
    pitfall = _point(latency=_latency(3000.0, lower_bounds=("p50_ms",)))
    result = headline_result(p50, pitfall, _point(latency=_latency(1000.0)), users=10)
    assert result.pitfall_is_lower_bound and result.text == "users wait ≥x3.0 longer (p50)"


def test_a_missing_or_failed_point_is_not_measured() -> None:
    result = headline_result(THROUGHPUT, None, _point(throughput_rps=10.0), users=10)
    assert result.outcome == "not measured" and result.text == "req/s not measured at 10 users"
    failed = headline_result(THROUGHPUT, _point(status="failed"), _point(throughput_rps=10.0), users=10)
    assert failed.outcome == "not measured"


def test_when_the_pitfall_does_not_show_the_scenarios_reason_is_said() -> None:
    pool = replace(THROUGHPUT, caveat="its pool needs a spare core")
    result = headline_result(pool, _point(throughput_rps=26.5), _point(throughput_rps=19.5), users=10)
    assert result.text.endswith("(pitfall vs fix); its pool needs a spare core")
    shown = headline_result(pool, _point(throughput_rps=10.0), _point(throughput_rps=20.0), users=10)
    assert shown.text == "x2.0 fewer req/s"  # no excuse needed when the cost shows
