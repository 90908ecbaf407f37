"""`awaitbench run` as a library: resolve the plan, measure every point, keep the results directory valid.

`prepare()` checks everything that can fail on bad input before a process starts; `execute()` writes the
manifest, one atomic JSON per point, and the final status (complete, interrupted or failed)."""

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
from rich.table import Table

from bench.measure.figures import theory_capacity_rps
from bench.measure.machine import git_commit, machine_info, package_versions
from bench.paths import check_out_dir, check_writable_file
from bench.processes import stop_all
from bench.results import (
    CapacityResult,
    Manifest,
    PointRecord,
    RunResults,
    ScenarioInfo,
    write_json_atomic,
    write_manifest,
    write_point,
)
from bench.results.rate_points import arrival_summary_dict, capacity_summary_dict
from bench.results.summary import summarize, summary_dict
from bench.run.capacity import CapacityCriteria, find_capacity
from bench.run.config import RunConfig, default_reference_users
from bench.run.database import run_database, without_unavailable_database
from bench.run.metadata import scenario_info
from bench.run.open_loop_table import render_capacity_table, render_rate_table
from bench.run.plan import (
    PlannedPoint,
    Selection,
    build_plan,
    capacity_targets,
    estimate_seconds,
    select,
    summary_users_for,
)
from bench.run.point import RUN_DIR_ENV, PointContext, measure_point
from bench.run.table import render_table

__all__ = ["Prepared", "RunOutcome", "execute", "prepare"]

_OWN_ENTRIES = ("manifest.json", "points", "profiles", "logs")


@dataclass(frozen=True, kw_only=True)
class Prepared:
    """A validated run: the config, what it selects, the points in run order and, for `--find-capacity`,
    the (scenario, variant, loop) searches (as point templates; each search chooses its rates)."""

    config: RunConfig
    selections: tuple[Selection, ...]
    plan: tuple[PlannedPoint, ...]
    searches: tuple[PlannedPoint, ...] = ()
    skipped: str = ""  # which selected scenarios this machine cannot measure, and why (one line)

    @property
    def max_points(self) -> int:
        """Points the run takes at most (a search may stop early)."""
        return len(self.plan) + len(self.searches) * _criteria(self.config).max_points


@dataclass(frozen=True, kw_only=True)
class RunOutcome:
    status: Literal["complete", "interrupted", "failed"]
    points: tuple[PointRecord, ...]
    summary: dict[str, Any]  # what --summary-json writes


def prepare(config: RunConfig) -> Prepared:
    """Resolve the selection against the catalogue and check the output paths.

    Raises:
        UnknownScenarioError: a selector names no scenario or variant.
        ConfigError: `--preset` names no fake_llm preset.
        UsageError: the output directory or the summary file cannot be written, or every selected scenario
            needs a database this machine cannot start.
    """
    import scenarios

    selected = select(config.selection, scenarios.catalogue(), quick=config.quick)
    selections, skipped = without_unavailable_database(config, selected)
    if config.preset is not None:
        from fake_llm.presets import preset_values

        preset_values(config.preset)  # ConfigError (a usage error) naming the valid presets
    check_out_dir(config.out_dir)
    if config.summary_json is not None:
        check_writable_file(config.summary_json, flag="--summary-json")
    searches = capacity_targets(config, selections) if config.find_capacity else ()
    return Prepared(
        config=config,
        selections=selections,
        plan=build_plan(config, selections),
        searches=searches,
        skipped=skipped,
    )


def _criteria(config: RunConfig) -> CapacityCriteria:
    # The window must hold enough requests to judge a p99 and to be a valid point.
    min_rate = max(1.0, config.min_requests / config.duration_s)
    return CapacityCriteria(slo_p99_ms=config.slo_p99_ms or 0.0, min_rate_rps=min_rate)


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
    planned_loads = tuple(sorted({p.users for p in prepared.plan if p.rate_rps is None})) or (1,)
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


def _measure_one(
    point: PlannedPoint, context: PointContext, progress: Progress, sink: list[PointRecord]
) -> PointRecord:
    record = measure_point(point, context)
    write_point(context.run_dir, record)
    sink.append(record)
    if record.status == "failed":
        progress.console.print(f"[red]failed[/red] {record.id}: {record.error}")
    return record


def _measure_plan(
    prepared: Prepared, context: PointContext, progress: Progress, sink: list[PointRecord]
) -> None:
    task = progress.add_task("starting", total=len(prepared.plan))
    for point in prepared.plan:
        progress.update(
            task, description=f"{point.scenario.id}:{point.variant.id} {point.loop} {point.load_label}"
        )
        _measure_one(point, context, progress, sink)
        progress.advance(task)


def _search_capacities(
    prepared: Prepared,
    context: PointContext,
    progress: Progress,
    sink: list[PointRecord],
    found: list[CapacityResult],
) -> None:
    """One bounded capacity search per (scenario, variant, loop); the bar counts points, at most
    `max_points` per search (a search that ends early gives its unused points back)."""
    config = prepared.config
    criteria = _criteria(config)
    task = progress.add_task("starting", total=prepared.max_points)
    loops = len(config.loops) > 1
    for index, target in enumerate(prepared.searches):
        label = f"{target.scenario.id}:{target.variant.id}" + (f" {target.loop}" if loops else "")
        taken = 0

        def measure(rate: float, target: PlannedPoint = target, label: str = label) -> PointRecord:
            nonlocal taken
            taken += 1
            progress.update(
                task, description=f"{label} {rate:g} req/s, search {taken}/≤{criteria.max_points}"
            )
            return _measure_one(replace(target, rate_rps=rate), context, progress, sink)

        result = find_capacity(
            measure,
            target=(target.scenario.id, target.variant.id, target.loop),
            criteria=criteria,
            theory_capacity_rps=theory_capacity_rps(
                target.scenario, target.variant.id, workers=config.app_workers
            ),
            arrival=config.arrival_process,
            on_step=lambda _count, _outcome: progress.advance(task),
        )
        found.append(result)
        remaining = len(prepared.searches) - index - 1
        progress.update(task, total=len(sink) + remaining * criteria.max_points)


def _summary(results: RunResults, config: RunConfig) -> dict[str, Any]:
    if config.find_capacity:
        return capacity_summary_dict(results)
    if config.rates is not None:
        return arrival_summary_dict(results)
    return summary_dict(results)


def _table(results: RunResults, config: RunConfig) -> Table:
    if config.find_capacity:
        return render_capacity_table(results)
    if config.rates is not None:
        return render_rate_table(results)
    return render_table(summarize(results))


def _measure_all(
    prepared: Prepared, err_console: Console, records: list[PointRecord], capacity: list[CapacityResult]
) -> None:
    """Every point of the run, with the run's database (if a scenario needs one) up from first to last."""
    run_dir = prepared.config.out_dir
    tag = {RUN_DIR_ENV: str(run_dir.resolve())}
    with (
        run_database(prepared.config, prepared.selections, log_dir=run_dir / "logs", env=tag) as database_url,
        _progress(err_console) as progress,
    ):
        context = PointContext(config=prepared.config, run_dir=run_dir, database_url=database_url)
        if prepared.searches:
            _search_capacities(prepared, context, progress, records, capacity)
        else:
            _measure_plan(prepared, context, progress, records)


def execute(prepared: Prepared, *, console: Console, err_console: Console) -> RunOutcome:
    """Measure every planned point (or run every capacity search); the results directory is valid at
    every instant."""
    config = prepared.config
    run_dir = config.out_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    _clear_previous(run_dir)
    infos = tuple(scenario_info(sel) for sel in prepared.selections)
    manifest = _manifest(prepared, infos)
    write_manifest(run_dir, manifest)
    if prepared.skipped:
        err_console.print(f"awaitbench run: {prepared.skipped}")
    at_most = "at most " if prepared.searches else ""
    err_console.print(
        f"awaitbench run: {at_most}{prepared.max_points} points, about "
        f"{estimate_seconds(config, prepared.max_points) / 60:.1f} min -> {run_dir}"
    )
    records: list[PointRecord] = []
    capacity: list[CapacityResult] = []
    status: Literal["complete", "interrupted", "failed"] = "failed"
    try:
        _measure_all(prepared, err_console, records, capacity)
        status = "complete"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        stop_all()
        manifest = replace(manifest, status=status, ended_at=_now_iso(), capacity=tuple(capacity))
        if prepared.searches:  # the searches chose their points as they went
            manifest = replace(manifest, planned_points=tuple(r.id for r in records))
        write_manifest(run_dir, manifest)
    results = RunResults(path=run_dir, manifest=manifest, points=tuple(records))
    summary = _summary(results, config)
    if config.summary_json is not None:
        write_json_atomic(config.summary_json, summary)
    console.print(_table(results, config))
    return RunOutcome(status=status, points=tuple(records), summary=summary)
