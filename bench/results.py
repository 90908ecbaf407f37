"""The results format: one directory per run, versioned JSON, written incrementally and atomically.

Layout of a results directory:

    manifest.json            the run: schema version, status, machine, versions, config, scenario metadata
    points/<point_id>.json   one measured point each (scenario, variant, loop, users)
    profiles/                py-spy flame graphs (SVG) and speedscope JSON, when --profile was given
    logs/                    stdout/stderr of every child process, for failed points

Every file is written to a temporary name and renamed into place, so a crash or Ctrl-C leaves only
complete files: a reader sees the points that finished and a manifest whose `status` says why the rest
is missing. Readers reject unknown schema versions instead of guessing (pyperf does the same).

This module is pure data + file I/O: `reports` imports it and must never start a process.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "SCHEMA_NAME",
    "SCHEMA_VERSION",
    "LatencySummary",
    "LoadgenFigures",
    "Manifest",
    "PointRecord",
    "ResultsError",
    "RunResults",
    "ScenarioInfo",
    "ServerFigures",
    "TheoryFigures",
    "UpstreamFigures",
    "VariantInfo",
    "load_run",
    "point_id",
    "write_json_atomic",
    "write_manifest",
    "write_point",
]

SCHEMA_NAME = "awaitbench.results"
SCHEMA_VERSION = 1

RunStatus = Literal["running", "complete", "interrupted", "failed"]
PointStatus = Literal["ok", "failed"]
Role = Literal["pitfall", "fix", "reference"]


class ResultsError(ValueError):
    """A results directory that cannot be read: missing manifest, unknown schema version, bad JSON."""


# ---------------------------------------------------------------------------------------------- manifest


@dataclass(frozen=True, kw_only=True)
class VariantInfo:
    """A variant as the report shows it; `code` is the variant's source, for the side-by-side view."""

    id: str
    title: str
    role: Role
    summary: str = ""
    code: str = ""


@dataclass(frozen=True, kw_only=True)
class ScenarioInfo:
    """Snapshot of a scenario's metadata at run time, so a report never needs the code that produced it."""

    id: str
    title: str
    pitfall: str
    fix: str
    signature: str
    pitfall_variant: str
    fix_variant: str
    variants: tuple[VariantInfo, ...]
    upstream_latency_ms: float
    source_file: str = ""
    module_doc: str = ""


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """The run as a whole. `status` is "running" until the run ends; a crash leaves it "running"."""

    run_id: str
    started_at: str  # ISO 8601, UTC
    ended_at: str | None
    status: RunStatus
    awaitbench_version: str
    git_commit: str | None
    machine: Mapping[str, Any]  # cpu_count, cpu_model, python, platform, memory_gb, ...
    versions: Mapping[str, str]  # package -> version (uvicorn, fastapi, openai, locust, ...)
    config: Mapping[str, Any]  # the full run configuration, as given
    reference_users: int  # the load at which summaries compare pitfall vs fix
    scenarios: tuple[ScenarioInfo, ...]
    planned_points: tuple[str, ...] = ()  # point ids in run order; missing files = not measured
    schema: str = SCHEMA_NAME
    schema_version: int = SCHEMA_VERSION


# ---------------------------------------------------------------------------------------------- points


@dataclass(frozen=True, kw_only=True)
class LatencySummary:
    """Exact client-side latencies of the steady-state window, from per-request times (not Locust buckets)."""

    count: int
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    min_ms: float
    # Empirical CDF, downsampled: [[latency_ms, cumulative_fraction], ...] ascending, ending at 1.0.
    cdf: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True, kw_only=True)
class ServerFigures:
    """The scenario app's process during the window (psutil + the in-process loop-lag probe)."""

    cpu_seconds: float
    cpu_ms_per_request: float
    cpu_percent: float  # 100 = one full core
    rss_mb: float
    open_fds: int
    threads: int
    loop_lag_p50_ms: float | None
    loop_lag_p99_ms: float | None
    loop_lag_max_ms: float | None
    threadpool_busy_peak: int | None = None  # anyio limiter tokens borrowed, peak
    app_stats: Mapping[str, Any] = field(default_factory=dict)  # scenario counters (e.g. records written)


@dataclass(frozen=True, kw_only=True)
class UpstreamFigures:
    """What fake_llm saw during the window (its /stats after a reset at window start)."""

    requests: int
    peak_concurrency: int
    connections_opened: int
    connections_per_request: float
    rate_limited: int  # 429s answered
    server_errors: int  # 5xx answered
    hangs: int
    cpu_percent: float | None = None


@dataclass(frozen=True, kw_only=True)
class LoadgenFigures:
    """The load generator's own health: a saturated generator makes the point invalid."""

    cpu_percent: float  # peak over the window, 100 = one core
    processes: int
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class TheoryFigures:
    """The scenario's prediction for this point, stored beside the measurement."""

    throughput_rps: float
    latency_ms: float
    littles_law_bound_rps: float  # U / upstream latency: the ideal for a perfectly concurrent app
    note: str = ""
    # Measured throughput / (U / measured mean latency): ~1.0 when the closed loop kept every user busy
    # (no generator gaps); well below 1 when the window is not at steady state or the generator lagged.
    closed_loop_fidelity: float | None = None


@dataclass(frozen=True, kw_only=True)
class PointRecord:
    """One (scenario, variant, loop, users) measurement, or its failure."""

    scenario: str
    variant: str
    loop: Literal["uvloop", "asyncio"]
    users: int
    status: PointStatus
    valid: bool  # False when the generator or fake_llm ran out of CPU, or too few requests
    invalid_reasons: tuple[str, ...] = ()
    started_at: str = ""
    warmup_s: float = 0.0
    window_s: float = 0.0
    requests: int = 0
    failures: int = 0
    throughput_rps: float = 0.0
    latency: LatencySummary | None = None
    server: ServerFigures | None = None
    upstream: UpstreamFigures | None = None
    loadgen: LoadgenFigures | None = None
    theory: TheoryFigures | None = None
    error: str | None = None  # one line, when status == "failed"
    stderr_tail: str = ""  # the failing child's last output lines
    profile_files: tuple[str, ...] = ()  # paths relative to the results directory
    # Client time to the first body byte, for scenarios whose request is streamed (None otherwise).
    # Added in place in schema version 1: older records simply lack it.
    ttfb: LatencySummary | None = None
    schema_version: int = SCHEMA_VERSION

    @property
    def id(self) -> str:
        return point_id(self.scenario, self.variant, self.loop, self.users)


def point_id(scenario: str, variant: str, loop: str, users: int) -> str:
    """File-name-safe id of a point: `sync_client__async_client__uvloop__u100`."""
    return f"{scenario}__{variant}__{loop}__u{users}"


# ---------------------------------------------------------------------------------------------- writing


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
        elif f.name == "scenarios" and cls is Manifest:
            value = tuple(_build(ScenarioInfo, s) for s in value)
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[f.name] = value
    return cls(**kwargs)


def _check_version(data: Mapping[str, Any], where: Path) -> None:
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ResultsError(
            f"{where}: schema_version {version!r} is not supported (this awaitbench reads version "
            f"{SCHEMA_VERSION}); re-run the benchmark or use the awaitbench version that wrote it"
        )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ResultsError(f"{path} not found: is this an awaitbench results directory?") from exc
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{path} is not valid JSON ({exc.msg} at line {exc.lineno})") from exc


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
        return sorted(selected, key=lambda p: (p.variant, p.loop, p.users))


def load_run(run_dir: Path | str) -> RunResults:
    """Read a results directory, partial or complete. Raises ResultsError when it cannot be read."""
    path = Path(run_dir)
    if not path.is_dir():
        raise ResultsError(f"{path} is not a directory: pass the --out directory of an 'awaitbench run'")
    raw_manifest = _read_json(path / "manifest.json")
    _check_version(raw_manifest, path / "manifest.json")
    if raw_manifest.get("schema") != SCHEMA_NAME:
        raise ResultsError(f"{path / 'manifest.json'}: not an awaitbench results manifest")
    manifest = _build(Manifest, raw_manifest)
    points: list[PointRecord] = []
    for point_file in sorted((path / "points").glob("*.json")):
        raw = _read_json(point_file)
        _check_version(raw, point_file)
        points.append(_build(PointRecord, raw))
    return RunResults(path=path, manifest=manifest, points=tuple(points))


def iter_point_dicts(records: Iterable[PointRecord]) -> list[dict[str, Any]]:
    """Plain dicts of records (for JSON summaries and tests)."""
    return [asdict(r) for r in records]
