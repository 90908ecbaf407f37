"""The results format: a leaf package, written by bench and read by reports; it starts no process.

`records` (the typed records), `ids`, `files` (atomic writing, versioned reading), `summary` (pitfall vs
fix) and `schema.json` (generated from the records)."""

from __future__ import annotations

from bench.results.files import (
    ResultsError,
    RunResults,
    load_run,
    write_json_atomic,
    write_manifest,
    write_point,
)
from bench.results.ids import PointKey, format_rate, parse_point_id, point_id
from bench.results.records import (
    SCHEMA_NAME,
    SCHEMA_VERSION,
    Arrival,
    ArrivalFigures,
    CapacityResult,
    CapacityStep,
    DatabaseFigures,
    HeadlineInfo,
    LatencySummary,
    LoadgenFigures,
    LoadKind,
    Loop,
    Manifest,
    PointRecord,
    ScenarioInfo,
    ServerFigures,
    SignalInfo,
    SteadyState,
    TheoryFigures,
    UpstreamFigures,
    VariantInfo,
)

__all__ = [
    "SCHEMA_NAME",
    "SCHEMA_VERSION",
    "Arrival",
    "ArrivalFigures",
    "CapacityResult",
    "CapacityStep",
    "DatabaseFigures",
    "HeadlineInfo",
    "LatencySummary",
    "LoadKind",
    "LoadgenFigures",
    "Loop",
    "Manifest",
    "PointKey",
    "PointRecord",
    "ResultsError",
    "RunResults",
    "ScenarioInfo",
    "ServerFigures",
    "SignalInfo",
    "SteadyState",
    "TheoryFigures",
    "UpstreamFigures",
    "VariantInfo",
    "format_rate",
    "load_run",
    "parse_point_id",
    "point_id",
    "write_json_atomic",
    "write_manifest",
    "write_point",
]
