"""Reading and writing a results directory: versioned JSON, written incrementally and atomically.

Layout of a results directory:

    manifest.json            the run: schema version, status, machine, versions, config, scenario metadata
    points/<point_id>.json   one measured point each (scenario, variant, loop, users or offered rate)
    profiles/                py-spy flame graphs (SVG) and speedscope JSON, when --profile was given
    logs/<point_id>/         stdout/stderr of every child process of every point (fake_llm, app, locust)

Every file is written to a temporary name and renamed into place, so a crash or Ctrl-C leaves only
complete files: a reader sees the points that finished and a manifest whose `status` says why the rest
is missing. Readers reject unknown schema versions instead of guessing (pyperf does the same).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from bench.results.records import (
    SCHEMA_NAME,
    SCHEMA_VERSION,
    ArrivalFigures,
    CapacityResult,
    CapacityStep,
    DatabaseFigures,
    HeadlineInfo,
    LatencySummary,
    LoadgenFigures,
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
from bench.results.validation import DocumentKind, validation_problem

__all__ = [
    "ResultsError",
    "RunResults",
    "iter_point_dicts",
    "load_run",
    "write_json_atomic",
    "write_manifest",
    "write_point",
]


class ResultsError(ValueError):
    """A results directory that cannot be read: missing manifest, unknown schema version, bad JSON."""


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to a temp file in the same directory, fsync, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=2, sort_keys=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_manifest(run_dir: Path, manifest: Manifest) -> None:
    write_json_atomic(run_dir / "manifest.json", asdict(manifest))


def write_point(run_dir: Path, record: PointRecord) -> Path:
    path = run_dir / "points" / f"{record.id}.json"
    write_json_atomic(path, asdict(record))
    return path


# ---------------------------------------------------------------------------------------------- reading


def _build(cls: type, data: Mapping[str, Any]) -> Any:
    """Dataclass from a dict, ignoring unknown keys (newer minor additions) and nesting known types."""
    nested = {
        "latency": LatencySummary,
        "ttfb": LatencySummary,
        "server": ServerFigures,
        "upstream": UpstreamFigures,
        "loadgen": LoadgenFigures,
        "theory": TheoryFigures,
        "steady_state": SteadyState,
        "arrival": ArrivalFigures,
        "database": DatabaseFigures,
    }
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        if f.name in nested and value is not None and cls is PointRecord:
            value = _build(nested[f.name], value)
        elif f.name == "cdf" and value is not None:
            value = tuple(tuple(pair) for pair in value)
        elif f.name == "variants" and cls is ScenarioInfo:
            value = tuple(_build(VariantInfo, v) for v in value)
        elif f.name == "signals" and cls is ScenarioInfo:
            value = tuple(_build(SignalInfo, s) for s in value)
        elif f.name == "headline" and cls is ScenarioInfo and value is not None:
            value = _build(HeadlineInfo, value)
        elif f.name == "scenarios" and cls is Manifest:
            value = tuple(_build(ScenarioInfo, s) for s in value)
        elif f.name == "capacity" and cls is Manifest:
            value = tuple(_build(CapacityResult, c) for c in value)
        elif f.name == "steps" and cls is CapacityResult:
            value = tuple(_build(CapacityStep, step) for step in value)
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[f.name] = value
    return cls(**kwargs)


def _check_version(data: Any, where: Path) -> None:
    if not isinstance(data, dict):
        raise ResultsError(
            f"{where}: not a results file (a JSON object was expected, got {type(data).__name__})"
        )
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ResultsError(
            f"{where}: schema_version {version!r} is not supported (this awaitbench reads version "
            f"{SCHEMA_VERSION}); re-run the benchmark or use the awaitbench version that wrote it"
        )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ResultsError(f"{path} not found: is this an awaitbench results directory?") from exc
    except UnicodeDecodeError as exc:
        raise ResultsError(
            f"{path} is not UTF-8 text (byte {exc.start}): not an awaitbench results file"
        ) from exc
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{path} is not valid JSON: {exc}") from exc
    except OSError as exc:
        raise ResultsError(f"{path} cannot be read ({exc.strerror or exc})") from exc


def _read_checked(path: Path, kind: DocumentKind) -> dict[str, Any]:
    """A results file that has the supported version and matches the schema, or a one-line ResultsError."""
    data = _read_json(path)
    _check_version(data, path)
    problem = validation_problem(data, kind)
    if problem is not None:
        raise ResultsError(f"{path}: {problem}; re-run the benchmark or restore the file")
    checked: dict[str, Any] = data
    return checked


@dataclass(frozen=True)
class RunResults:
    """A results directory as read back: the manifest and every point that was written."""

    path: Path
    manifest: Manifest
    points: tuple[PointRecord, ...]

    @property
    def missing_points(self) -> tuple[str, ...]:
        """Planned points with no record: not measured because the run stopped early."""
        have = {p.id for p in self.points}
        return tuple(pid for pid in self.manifest.planned_points if pid not in have)

    def scenario(self, scenario_id: str) -> ScenarioInfo:
        for info in self.manifest.scenarios:
            if info.id == scenario_id:
                return info
        raise KeyError(scenario_id)

    def points_for(
        self, scenario: str, variant: str | None = None, loop: str | None = None
    ) -> list[PointRecord]:
        selected = [
            p
            for p in self.points
            if p.scenario == scenario
            and (variant is None or p.variant == variant)
            and (loop is None or p.loop == loop)
        ]
        return sorted(selected, key=lambda p: (p.variant, p.loop, p.load, p.load_value))


def load_run(run_dir: Path | str) -> RunResults:
    """Read a results directory, partial or complete. Raises ResultsError when it cannot be read."""
    path = Path(run_dir)
    if not path.is_dir():
        raise ResultsError(f"{path} is not a directory: pass the --out directory of an 'awaitbench run'")
    raw_manifest = _read_json(path / "manifest.json")
    _check_version(raw_manifest, path / "manifest.json")
    if raw_manifest.get("schema") != SCHEMA_NAME:
        raise ResultsError(f"{path / 'manifest.json'}: not an awaitbench results manifest")
    raw_manifest = _read_checked(path / "manifest.json", "manifest")
    manifest = _build(Manifest, raw_manifest)
    points: list[PointRecord] = []
    for point_file in sorted((path / "points").glob("*.json")):
        points.append(_build(PointRecord, _read_checked(point_file, "point")))
    return RunResults(path=path, manifest=manifest, points=tuple(points))


def iter_point_dicts(records: Iterable[PointRecord]) -> list[dict[str, Any]]:
    """Plain dicts of records (for JSON summaries and tests)."""
    return [asdict(r) for r in records]
