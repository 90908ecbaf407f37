"""The JSON Schema documents exactly the dataclasses of bench/results.py, and real records validate."""

from __future__ import annotations

import json
from dataclasses import asdict, fields

import jsonschema
import pytest

from bench import results
from bench.results import LatencySummary, Manifest, PointRecord, ScenarioInfo, TheoryFigures, VariantInfo
from tests.bench.schema_check import load_schema, validate

DEFS = {
    "manifest": results.Manifest,
    "point": results.PointRecord,
    "scenario": results.ScenarioInfo,
    "variant": results.VariantInfo,
    "latency": results.LatencySummary,
    "server": results.ServerFigures,
    "upstream": results.UpstreamFigures,
    "loadgen": results.LoadgenFigures,
    "theory": results.TheoryFigures,
}


@pytest.mark.parametrize("name", sorted(DEFS))
def test_schema_lists_every_dataclass_field(name: str) -> None:
    props = set(load_schema()["$defs"][name]["properties"])
    assert props == {f.name for f in fields(DEFS[name])}


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


def test_records_validate_and_bad_ones_do_not() -> None:
    validate(json.loads(json.dumps(asdict(_point()))), "point")
    manifest = Manifest(
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
    validate(json.loads(json.dumps(asdict(manifest))), "manifest")
    broken = asdict(_point())
    broken["loop"] = "trio"
    with pytest.raises(jsonschema.ValidationError):
        validate(broken, "point")
    broken = asdict(_point())
    broken["schema_version"] = 2
    with pytest.raises(jsonschema.ValidationError):
        validate(broken, "point")
