"""Open-loop points in the results format: ids keyed by the offered rate, the arrival-mode and capacity
summaries every consumer reads, and the pitfall/fix comparison of capacities."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from bench.results import (
    ArrivalFigures,
    CapacityResult,
    CapacityStep,
    PointRecord,
    TheoryFigures,
    load_run,
    parse_point_id,
    point_id,
    write_manifest,
    write_point,
)
from bench.results.ids import format_rate
from bench.results.rate_points import (
    arrival_rows,
    arrival_summary_dict,
    capacity_rows,
    capacity_summary_dict,
    capacity_text,
    has_closed_loop,
    has_open_loop,
)
from bench.results.summary import capacity_pairs, summarize
from tests.bench.results.schema_check import validate
from tests.results_builders import DEMO_INFO, demo_run, latency_with_p99


def _rate_point(variant: str, rate: float, *, served: float, p99_ms: float, dropped: int = 0) -> PointRecord:
    return PointRecord(
        scenario="demo",
        variant=variant,
        loop="uvloop",
        users=0,
        load="rate",
        offered_rps=rate,
        status="ok",
        valid=True,
        requests=int(served * 3) + dropped,
        failures=dropped,
        throughput_rps=served,
        latency=latency_with_p99(p99_ms, count=120, min_ms=100.0, lower_bound=p99_ms > 1000),
        unanswered=30 if p99_ms > 1000 else 0,
        theory=TheoryFigures(
            throughput_rps=min(rate, 10.0),
            latency_ms=100.0,
            littles_law_bound_rps=rate,
            capacity_rps=10.0 if variant == "bad" else None,
        ),
        arrival=ArrivalFigures(
            arrival="poisson",
            offered_rps=rate,
            issued=int(rate * 3),
            dropped=dropped,
            max_outstanding=1000,
            seed=1,
            schedule_lag_p50_ms=0.2,
            schedule_lag_p99_ms=1.1,
            schedule_lag_max_ms=2.0,
        ),
    )


def _capacity(
    variant: str, capacity: float | None, *, theory: float | None, lower: bool = False
) -> CapacityResult:
    return CapacityResult(
        scenario="demo",
        variant=variant,
        loop="uvloop",
        arrival="constant",
        slo_p99_ms=500.0,
        max_failed_share=0.01,
        capacity_rps=capacity,
        first_beyond_rps=None if lower else (capacity or 8.0) * 1.2,
        lower_bound=lower,
        theory_capacity_rps=theory,
        steps=(
            CapacityStep(
                offered_rps=capacity or 8.0, verdict="within" if capacity else "beyond", point_id="x"
            ),
        ),
    )


@pytest.mark.parametrize(
    ("rate", "text"), [(40.0, "40"), (2.5, "2.5"), (0.0001, "0.0001"), (12345.6, "12345.6")]
)
def test_a_rate_point_id_round_trips(rate: float, text: str) -> None:
    pid = point_id("sync_client", "async_client", "uvloop", rate_rps=rate)
    assert pid == f"sync_client__async_client__uvloop__r{text}"
    key = parse_point_id(pid)
    assert key is not None and key.rate_rps == pytest.approx(rate) and key.load == "rate" and key.users == 0
    assert format_rate(rate) == text


def test_users_ids_are_unchanged_and_a_point_names_one_load() -> None:
    key = parse_point_id("sync_client__async_client__uvloop__u100")
    assert key is not None and (key.users, key.load, key.rate_rps) == (100, "users", None)
    for bad in (
        "demo__bad__uvloop__r0",
        "demo__bad__uvloop__rnan",
        "demo__bad__uvloop__r-5",
        "demo__bad__uvloop__x",
    ):
        assert parse_point_id(bad) is None
    with pytest.raises(ValueError, match="exactly one"):
        point_id("demo", "bad", "uvloop", 10, rate_rps=5.0)
    assert _rate_point("bad", 40.0, served=9.6, p99_ms=2960.0).id == "demo__bad__uvloop__r40"


def test_a_rate_point_and_a_capacity_manifest_validate_and_round_trip(tmp_path: Path) -> None:
    point = _rate_point("bad", 40.0, served=9.6, p99_ms=2960.0, dropped=4)
    manifest = demo_run(scenarios=(DEMO_INFO,), capacity=(_capacity("bad", 9.0, theory=10.0),)).manifest
    validate(json.loads(json.dumps(asdict(point))), "point")
    validate(json.loads(json.dumps(asdict(manifest))), "manifest")
    write_manifest(tmp_path, manifest)
    write_point(tmp_path, point)
    run = load_run(tmp_path)
    assert run.points == (point,) and run.manifest == manifest
    assert run.points[0].dropped == 4 and run.points[0].load_value == 40.0


def test_the_arrival_summary_is_keyed_by_variant_then_offered_rate() -> None:
    run = demo_run(
        _rate_point("bad", 5.0, served=5.0, p99_ms=130.0),
        _rate_point("bad", 40.0, served=9.6, p99_ms=2960.0, dropped=3),
        _rate_point("good", 40.0, served=40.2, p99_ms=121.0),
        scenarios=(DEMO_INFO,),
    )
    summary = arrival_summary_dict(run)
    assert list(summary["demo"]["bad"]) == ["5", "40"]
    at_40 = summary["demo"]["bad"]["40"]
    assert (at_40["offered_rps"], at_40["unanswered"], at_40["dropped"]) == (40.0, 30, 3)
    assert at_40["schedule_lag_p99_ms"] == 1.1 and at_40["p99_is_lower_bound"]
    assert at_40["theory_capacity_rps"] == 10.0
    assert summary["demo"]["good"]["40"]["p99_ms"] == 121.0
    rows = arrival_rows(run)
    assert rows[1][:6] == ("demo", "bad", "40", "9.6", "1480.0", "≥2960.0")
    assert has_open_loop(run) and not has_closed_loop(run)
    # The closed-loop pair comparison ignores open-loop points: nothing to compare at users.
    assert summarize(run)[0].pitfall is None


def test_capacities_in_words_beside_the_theory_and_the_pair() -> None:
    run = demo_run(
        scenarios=(DEMO_INFO,),
        capacity=(_capacity("bad", 9.0, theory=10.0), _capacity("good", 380.0, theory=None)),
    )
    summary = capacity_summary_dict(run)["demo"]
    assert summary["bad"]["capacity_rps"] == 9.0 and summary["bad"]["theory_capacity_rps"] == 10.0
    assert summary["bad"]["slo_p99_ms"] == 500.0
    assert summary["good"]["text"] == "sustains 380 req/s at p99 ≤ 500 ms"
    (pair,) = capacity_pairs(run)
    assert pair.ratio == pytest.approx(380 / 9)
    assert pair.text == "9.0 vs 380.0 req/s at p99 ≤ 500 ms (pitfall vs fix): the pitfall sustains x42 less"
    assert capacity_rows(run)[0] == ("demo", "bad", "sustains 9.0 req/s at p99 ≤ 500 ms", "10.0", "1", "9✓")


def test_a_capacity_that_is_a_lower_bound_or_never_reached_says_so() -> None:
    assert capacity_text(_capacity("good", 640.0, theory=None, lower=True)).startswith(
        "sustains at least 640"
    )
    assert (
        capacity_text(_capacity("bad", None, theory=None))
        == "never within p99 ≤ 500 ms (not even at 8.0 req/s)"
    )
    run = demo_run(
        scenarios=(DEMO_INFO,),
        capacity=(_capacity("bad", None, theory=None), _capacity("good", 640.0, theory=None, lower=True)),
    )
    (pair,) = capacity_pairs(run)
    assert pair.ratio is None and pair.text.startswith("bad never meets p99 ≤ 500 ms")
    lower = replace(run.manifest.capacity[0], capacity_rps=8.0, lower_bound=False)
    (pair,) = capacity_pairs(demo_run(scenarios=(DEMO_INFO,), capacity=(lower, run.manifest.capacity[1])))
    assert pair.bound == "lower" and "≥x80" in pair.text
