"""The committed JSON Schema documents exactly the dataclasses of bench/results/records.py; real records
validate against it and read back; a bad one is a one-line error naming the file and the field."""

from __future__ import annotations

import json
from dataclasses import asdict, fields, replace
from pathlib import Path

import jsonschema
import pytest

from bench import results
from bench.results import (
    LatencySummary,
    Manifest,
    PointRecord,
    ResultsError,
    ScenarioInfo,
    TheoryFigures,
    VariantInfo,
    load_run,
    write_manifest,
    write_point,
)
from tests.bench.results.schema_check import load_schema, validate

DEFS = (
    results.Manifest,
    results.PointRecord,
    results.ScenarioInfo,
    results.VariantInfo,
    results.SignalInfo,
    results.HeadlineInfo,
    results.SteadyState,
    results.LatencySummary,
    results.ServerFigures,
    results.UpstreamFigures,
    results.LoadgenFigures,
    results.TheoryFigures,
    results.ArrivalFigures,
    results.DatabaseFigures,
    results.CapacityResult,
    results.CapacityStep,
)


@pytest.mark.parametrize("cls", DEFS, ids=lambda cls: cls.__name__)
def test_schema_lists_every_dataclass_field(cls: type) -> None:
    props = set(load_schema()["$defs"][cls.__name__]["properties"])
    assert props == {f.name for f in fields(cls)}


def _point() -> PointRecord:
    return PointRecord(
        scenario="demo",
        variant="bad",
        loop="uvloop",
        users=10,
        status="ok",
        valid=True,
        latency=LatencySummary(
            count=2,
            mean_ms=1,
            p50_ms=1,
            p90_ms=1,
            p95_ms=1,
            p99_ms=1,
            p999_ms=1,
            max_ms=1,
            min_ms=1,
            cdf=((1.0, 0.5), (1.0, 1.0)),
        ),
        theory=TheoryFigures(throughput_rps=1, latency_ms=1, littles_law_bound_rps=1),
    )


def _manifest() -> Manifest:
    return Manifest(
        run_id="r",
        started_at="2025-01-01T00:00:00+00:00",
        ended_at=None,
        status="running",
        awaitbench_version="0.1.0",
        git_commit=None,
        machine={"cpu_count": 2, "cpu_model": "x", "python": "3.11", "platform": "linux"},
        versions={"locust": "2.47.0"},
        config={},
        reference_users=10,
        scenarios=(
            ScenarioInfo(
                id="demo",
                title="t",
                pitfall="p",
                fix="f",
                signature="s",
                pitfall_variant="bad",
                fix_variant="good",
                variants=(VariantInfo(id="bad", title="b", role="pitfall"),),
                upstream_latency_ms=100.0,
            ),
        ),
    )


def test_records_validate_and_bad_ones_do_not() -> None:
    validate(json.loads(json.dumps(asdict(_point()))), "point")
    validate(json.loads(json.dumps(asdict(_manifest()))), "manifest")
    broken = asdict(_point())
    broken["loop"] = "trio"
    with pytest.raises(jsonschema.ValidationError):
        validate(broken, "point")
    broken = asdict(_point())
    broken["schema_version"] = 2
    with pytest.raises(jsonschema.ValidationError):
        validate(broken, "point")


def test_a_bad_record_is_one_line_naming_the_file_and_the_field(tmp_path: Path) -> None:
    write_manifest(tmp_path, _manifest())
    path = write_point(tmp_path, _point())
    broken = json.loads(path.read_text())
    broken["loop"] = "trio"
    path.write_text(json.dumps(broken))
    with pytest.raises(ResultsError) as info:
        load_run(tmp_path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message and "field loop" in message and "'trio'" in message
    broken["schema_version"] = 2
    path.write_text(json.dumps(broken))
    with pytest.raises(ResultsError, match="schema_version 2 is not supported"):
        load_run(tmp_path)


def test_ttfb_is_optional_and_round_trips(tmp_path: Path) -> None:
    """`ttfb` was added to schema version 1: records without it (older runs) stay valid and readable."""
    plain = json.loads(json.dumps(asdict(_point())))
    del plain["ttfb"]
    validate(plain, "point")
    streamed = replace(_point(), ttfb=_point().latency)
    validate(json.loads(json.dumps(asdict(streamed))), "point")
    write_point(tmp_path, streamed)
    (tmp_path / "points" / "old.json").write_text(json.dumps(plain))
    write_manifest(tmp_path, _manifest())
    run = load_run(tmp_path)
    by_ttfb = sorted(run.points, key=lambda p: p.ttfb is None)
    assert by_ttfb[0].ttfb == streamed.ttfb
    assert by_ttfb[1].ttfb is None


def test_headline_loads_and_censoring_fields_round_trip(tmp_path: Path) -> None:
    """Added in place to version 1: older files lack them and still load; new ones keep every field."""
    headline = results.HeadlineInfo(
        metric="ttfb_p50_ms", name="first byte p50", better="lower", users=10, text="t"
    )
    manifest = replace(
        _manifest(),
        reference_users_by_scenario={"demo": 10},
        scenarios=(replace(_manifest().scenarios[0], headline=headline, loads=(1, 10)),),
    )
    measured = _point().latency
    assert measured is not None
    latency = replace(measured, censored=3, lower_bounds=("p99_ms", "max_ms"))
    steady = results.SteadyState(
        reached=False, first_half_rps=9.0, second_half_rps=4.0, in_flight_whole_window=2
    )
    point = replace(_point(), latency=latency, unanswered=2, steady_state=steady)
    validate(json.loads(json.dumps(asdict(manifest))), "manifest")
    validate(json.loads(json.dumps(asdict(point))), "point")
    write_manifest(tmp_path, manifest)
    write_point(tmp_path, point)
    run = load_run(tmp_path)
    assert run.manifest == manifest
    assert run.points == (point,)
    (loaded,) = run.points
    assert not loaded.steady and loaded.latency is not None and loaded.latency.is_lower_bound("p99_ms")
    old = json.loads(json.dumps(asdict(_point())))
    for key in ("unanswered", "steady_state"):
        del old[key]
    validate(old, "point")
    (tmp_path / "points" / f"{point.id}.json").write_text(json.dumps(old))
    assert load_run(tmp_path).points[0].steady  # an older record: no check ran, nothing flagged
