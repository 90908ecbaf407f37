"""Reading and writing a results directory: versioned JSON, written incrementally and atomically.

`manifest.json`, `points/<point_id>.json`, `profiles/`, `logs/<point_id>/`; every file is renamed into
place complete, read back by pydantic `TypeAdapter`s that reject unknown schema versions."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from bench.results.records import SCHEMA_VERSION, Manifest, PointRecord, ScenarioInfo

__all__ = [
    "ResultsError",
    "RunResults",
    "load_run",
    "write_json_atomic",
    "write_manifest",
    "write_point",
]

_T = TypeVar("_T")
_MANIFEST = TypeAdapter(Manifest)
_POINT = TypeAdapter(PointRecord)


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
    write_json_atomic(run_dir / "manifest.json", _MANIFEST.dump_python(manifest, mode="json"))


def write_point(run_dir: Path, record: PointRecord) -> Path:
    path = run_dir / "points" / f"{record.id}.json"
    write_json_atomic(path, _POINT.dump_python(record, mode="json"))
    return path


# ---------------------------------------------------------------------------------------------- reading


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


def _problem(exc: ValidationError) -> str:
    """The first error, one phrase naming the field: `field latency: Input should be ..., got 'oops'`."""
    error = exc.errors(include_url=False)[0]
    where = "/".join(str(part) for part in error["loc"])
    got = "" if error["type"] == "missing" else f", got {repr(error['input'])[:60]}"
    return f"field {where}: {error['msg']}{got}"


def _read(path: Path, adapter: TypeAdapter[_T]) -> _T:
    """A results file of the supported version, as its record, or a one-line ResultsError naming the field."""
    data = _read_json(path)
    _check_version(data, path)
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        raise ResultsError(f"{path}: {_problem(exc)}; re-run the benchmark or restore the file") from None


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
    manifest = _read(path / "manifest.json", _MANIFEST)
    points = tuple(_read(p, _POINT) for p in sorted((path / "points").glob("*.json")))
    return RunResults(path=path, manifest=manifest, points=points)
