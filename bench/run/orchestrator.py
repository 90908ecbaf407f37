"""`awaitbench run` as a library: resolve the plan, measure every point, keep the results directory valid.

`prepare()` does every check that can fail on bad input (scenario ids, output directory) before a
single process starts. `execute()` writes the manifest first (status "running"), one atomic JSON per
point as it finishes, and the final status last: "complete", or "interrupted" on Ctrl-C/SIGTERM (the
KeyboardInterrupt propagates to the CLI after children are stopped), or "failed" on any other error.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from bench.measure.machine import git_commit, machine_info, package_versions
from bench.paths import check_out_dir, check_writable_file
from bench.processes import stop_all
from bench.results import (
    Manifest,
    PointRecord,
    RunResults,
    ScenarioInfo,
    write_json_atomic,
    write_manifest,
    write_point,
)
from bench.results.summary import summarize, summary_dict
from bench.run.config import RunConfig, default_reference_users
from bench.run.metadata import scenario_info
from bench.run.plan import (
    PlannedPoint,
    Selection,
    build_plan,
    estimate_seconds,
    select,
    summary_users_for,
)
from bench.run.point import PointContext, measure_point
from bench.run.table import render_table

__all__ = ["Prepared", "RunOutcome", "execute", "prepare"]

_OWN_ENTRIES = ("manifest.json", "points", "profiles", "logs")


@dataclass(frozen=True, kw_only=True)
class Prepared:
    """A validated run: the config, what it selects and the points in run order."""

    config: RunConfig
    selections: tuple[Selection, ...]
    plan: tuple[PlannedPoint, ...]


@dataclass(frozen=True, kw_only=True)
class RunOutcome:
    status: Literal["complete", "interrupted", "failed"]
    points: tuple[PointRecord, ...]
    summary: dict[str, dict[str, dict[str, Any]]]  # what --summary-json writes


def prepare(config: RunConfig) -> Prepared:
    """Resolve the selection against the catalogue and check the output paths.

    Raises:
        UnknownScenarioError: a selector names no scenario or variant.
        ConfigError: `--preset` names no fake_llm preset.
        UsageError: the output directory or the summary file cannot be written.
    """
    import scenarios

    selections = select(config.selection, scenarios.catalogue(), quick=config.quick)
    if config.preset is not None:
        from fake_llm.presets import preset_values

        preset_values(config.preset)  # ConfigError (a usage error) naming the valid presets
    check_out_dir(config.out_dir)
    if config.summary_json is not None:
        check_writable_file(config.summary_json, flag="--summary-json")
    return Prepared(config=config, selections=selections, plan=build_plan(config, selections))


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _config_dict(config: RunConfig) -> dict[str, Any]:
    data = asdict(config)
    data["out_dir"] = str(config.out_dir)
    data["summary_json"] = None if config.summary_json is None else str(config.summary_json)
    data["loops"] = list(config.loops)
    return data


def _clear_previous(out_dir: Path) -> None:
    """Reuse of a results directory (`make bench` always writes results/latest): drop our own files."""
    for name in _OWN_ENTRIES:
        path = out_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def _manifest(prepared: Prepared, infos: tuple[ScenarioInfo, ...]) -> Manifest:
    config = prepared.config
    planned_loads = tuple(sorted({p.users for p in prepared.plan})) or (1,)
    return Manifest(
        run_id=f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}",
        started_at=_now_iso(),
        ended_at=None,
        status="running",
        awaitbench_version=package_versions().get("awaitbench", "0"),
        git_commit=git_commit(),
        machine=machine_info(),
        versions=package_versions(),
        config=_config_dict(config),
        reference_users=config.reference_users or default_reference_users(planned_loads),
        scenarios=infos,
        planned_points=tuple(p.id for p in prepared.plan),
        reference_users_by_scenario={
            sel.scenario.id: summary_users_for(config, sel.scenario) for sel in prepared.selections
        },
    )


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def execute(prepared: Prepared, *, console: Console, err_console: Console) -> RunOutcome:
    """Measure every planned point; the results directory is valid at every instant."""
    config = prepared.config
    run_dir = config.out_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    _clear_previous(run_dir)
    infos = tuple(scenario_info(sel) for sel in prepared.selections)
    manifest = _manifest(prepared, infos)
    write_manifest(run_dir, manifest)
    err_console.print(
        f"awaitbench run: {len(prepared.plan)} points, about "
        f"{estimate_seconds(config, len(prepared.plan)) / 60:.1f} min -> {run_dir}"
    )
    context = PointContext(config=config, run_dir=run_dir)
    records: list[PointRecord] = []
    status: Literal["complete", "interrupted", "failed"] = "failed"
    try:
        with _progress(err_console) as progress:
            task = progress.add_task("starting", total=len(prepared.plan))
            for point in prepared.plan:
                progress.update(
                    task, description=f"{point.scenario.id}:{point.variant.id} {point.loop} u{point.users}"
                )
                record = measure_point(point, context)
                write_point(run_dir, record)
                records.append(record)
                if record.status == "failed":
                    progress.console.print(f"[red]failed[/red] {record.id}: {record.error}")
                progress.advance(task)
        status = "complete"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        stop_all()
        manifest = replace(manifest, status=status, ended_at=_now_iso())
        write_manifest(run_dir, manifest)
    results = RunResults(path=run_dir, manifest=manifest, points=tuple(records))
    summary = summary_dict(results)
    if config.summary_json is not None:
        write_json_atomic(config.summary_json, summary)
    console.print(render_table(summarize(results)))
    return RunOutcome(status=status, points=tuple(records), summary=summary)
