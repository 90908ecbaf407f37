"""The results format: its own leaf package, imported by bench (which writes it) and reports (which reads it).

It imports nothing else of bench and never starts a process. Modules: `records` (the typed manifest and
point records), `ids` (point ids, both directions), `files` (atomic writing, tolerant versioned reading),
`summary` (pitfall vs fix at a reference load: the one place that compares a pair) and `schema.json`.
"""

from __future__ import annotations

from bench.results.files import (
    ResultsError,
    RunResults,
    iter_point_dicts,
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
    "iter_point_dicts",
    "load_run",
    "parse_point_id",
    "point_id",
    "write_json_atomic",
    "write_manifest",
    "write_point",
]
