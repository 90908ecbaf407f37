"""`awaitbench diagnose MODULE:ATTR`: find the async pitfalls in a team's own service, with their cost.

Wires `bench.diagnose` (measures), `awaitbench.detect.diagnose` (judges) and `reports.diagnose` (`--out`)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.diagnose.config import (
    OPTIONS,
    DiagnoseConfig,
    parse_capture_hosts,
    parse_env_pairs,
    parse_headers,
)

if TYPE_CHECKING:
    from rich.console import Console

    from awaitbench.detect.diagnose.document import Diagnosis
    from awaitbench.detect.diagnose.outbound import OutboundHost

__all__ = ["print_diagnosis", "register"]

_SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}
_PHASE_NAMES = {
    "start": "start",
    "warm_up": "warm-up",
    "one_user": "one user",
    "load": "N users",
    "threadpool": "threadpool",
    "retry": "429 probe",
    "hang": "hang probe",
    "stop": "stop",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "diagnose",
        help="Find the async pitfalls in your own ASGI service, with evidence and their cost",
        description="Serve your app (as uvicorn would: MODULE:ATTR) next to a fresh fake LLM, exercise each "
        "route in phases (one user, N users, upstream 429s, upstream hangs) and report the catalogue's "
        f"pitfalls it shows, with the numbers. Every flag is also an env var ({OPTIONS.env_prefix}<NAME>). "
        "See docs/diagnose.md.",
    )
    parser.add_argument("app", metavar="MODULE:ATTR", help="the ASGI app (or factory, with --factory)")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=(
            "extra environment for the app (repeatable); OPENAI_BASE_URL, OPENAI_API_BASE, "
            "ANTHROPIC_BASE_URL, AZURE_OPENAI_ENDPOINT, GOOGLE_GEMINI_BASE_URL and "
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME are set by diagnose"
        ),
    )
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a header sent with every request to the app (repeatable), e.g. 'Authorization: Bearer t'",
    )
    parser.add_argument(
        "--capture-host",
        action="append",
        default=[],
        metavar="HOST[=DIALECT]",
        help=(
            "also send the app's calls to HOST to the fake LLM (repeatable); DIALECT: openai (default), "
            "anthropic, azure, gemini, bedrock"
        ),
    )
    OPTIONS.add_arguments(parser)
    parser.set_defaults(handler=_handle)


def _config(args: argparse.Namespace) -> DiagnoseConfig:
    return OPTIONS.load(
        args,
        os.environ,
        app=args.app,
        env=parse_env_pairs(tuple(args.env)),
        headers=parse_headers(tuple(args.header)),
        capture_hosts=parse_capture_hosts(tuple(args.capture_host)),
    )


class _RichProgress:
    """The progress bar: which phase of which route, and how many steps are left."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            disable=not console.is_terminal,  # a pipe or CI log gets the tables, not a bar's last frame
        )
        self.task = self.bar.add_task("starting the app and the fake LLM", total=None)
        self.started = False

    def begin(self, total: int) -> None:
        self.bar.update(self.task, total=total, completed=0)

    def step(self, phase: str, route: str) -> None:
        if self.started:
            self.bar.advance(self.task)
        self.started = True
        self.bar.update(self.task, description=f"[bold]{route}[/] · {phase}")

    def add(self, steps: int) -> None:
        total = self.bar.tasks[0].total or 0
        self.bar.update(self.task, total=max(total + steps, 0))

    def finish(self) -> None:
        task = self.bar.tasks[0]
        self.bar.update(self.task, completed=task.total or task.completed, description="done")


def print_diagnosis(diagnosis: Diagnosis, console: Console) -> None:
    """One table per route (finding, evidence, location, cost), then what could not be exercised."""
    from rich.table import Table

    for route in diagnosis.routes:
        if not route.exercised:
            continue
        title = f"{route.label}" + (f"  ({route.name})" if route.name != route.label else "")
        if not route.findings:
            console.print(f"[bold green]✓[/] [bold]{title}[/]: no pitfall found")
        else:
            table = Table(title=title, title_justify="left", show_lines=True, expand=True)
            table.add_column("finding", no_wrap=True)
            table.add_column("evidence", ratio=3)
            table.add_column("location", ratio=2, overflow="fold")
            table.add_column("cost", ratio=2)
            for f in route.findings:
                style = _SEVERITY_STYLE.get(f.severity, "")
                label = f"[{style}]{f.pitfall}[/]\n{f.severity}" + ("\n(ambiguous)" if f.ambiguous else "")
                table.add_row(label, f.evidence, f.location or "–", f"{f.cost}\n[dim]fix: {f.fix}[/]")
            console.print(table)
        for note in route.notes:
            console.print(f"  [dim]note: {note}[/]")
        if route.outbound:
            console.print(
                f"  [dim]calls: {_hosts_text(route.outbound, diagnosis.upstream)}[/]", highlight=False
            )
    skipped = [r for r in diagnosis.routes if not r.exercised]
    if skipped:
        console.print("[bold]Not exercised:[/]")
        for route in skipped:
            console.print(f"  {route.label} ({route.name}): {route.reason}", highlight=False)
    if diagnosis.outbound:
        text = _hosts_text(diagnosis.outbound, diagnosis.upstream)
        console.print(f"[bold]Outbound hosts:[/] {text}", highlight=False)
    phases = ", ".join(
        f"{_PHASE_NAMES.get(name, name)} {seconds:.1f} s" for name, seconds in diagnosis.phase_seconds.items()
    )
    exercised = sum(1 for r in diagnosis.routes if r.exercised)
    found = len(diagnosis.findings)
    calling = [r for r in diagnosis.routes if r.figures is not None and r.figures.one_user.upstream.calls > 0]
    if exercised and not calling:
        console.print(
            "[yellow]No route called the fake LLM: its LLM calls go to a host diagnose does not know (add "
            "--capture-host HOST[=dialect]) or through a client it does not capture; the upstream pitfalls "
            "could not be checked.[/]"
        )
    console.print(
        f"{found} finding(s) on {exercised} route(s) in {diagnosis.duration_s:.0f} s ({phases}); "
        f"each pitfall's cost in the catalogue: awaitbench run <pitfall>"
    )


def _hosts_text(hosts: tuple[OutboundHost, ...], upstream: str) -> str:
    """`api.groq.com:443 → fake LLM (openai, 12 calls); db:5432 not captured (3 failed: ...)`."""
    parts = []
    for h in hosts:
        if h.label == upstream:
            text = f"the fake LLM ({h.calls} calls, from the environment)"
        elif h.captured:
            text = f"{h.label} → fake LLM ({h.dialect}, {h.calls} calls)"
        else:
            text = f"{h.label} not captured"
        if h.errors:
            text += f" [{h.errors} failed: {h.last_error}]"
        parts.append(text)
    return "; ".join(parts)


def _write_json(diagnosis: Diagnosis, path: Path) -> None:
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(diagnosis.to_json(), indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def _handle(args: argparse.Namespace) -> int:
    from rich.console import Console

    from awaitbench.detect.diagnose.findings import at_or_above
    from bench.diagnose.runner import diagnose
    from bench.errors import ProcessFailed

    config = _config(args)
    # A pipe or CI log gets wide tables (COLUMNS when set) rather than rich's 80-column default.
    out = Console() if sys.stdout.isatty() else Console(width=int(os.environ.get("COLUMNS") or 160))
    err = Console(stderr=True)
    log_dir = (
        (config.out / "logs")
        if config.out is not None
        else Path(tempfile.mkdtemp(prefix="awaitbench-diagnose-"))
    )
    log_dir.mkdir(parents=True, exist_ok=True)
    progress = _RichProgress(err)
    # Logs are kept with --out, and when they explain a failure: the app's, or a route's.
    keep_logs, unexercised = config.out is not None, False
    try:
        with progress.bar:
            diagnosis = diagnose(config, progress=progress, log_dir=log_dir)
            progress.finish()
        unexercised = any(not r.exercised for r in diagnosis.routes)
    except ProcessFailed as exc:
        keep_logs = True
        if exc.stderr_tail:
            err.print(f"[dim]--- last lines of the log ({log_dir}) ---[/]", highlight=False)
            print(exc.stderr_tail, file=sys.stderr)
        raise
    finally:
        if not keep_logs and not unexercised:
            shutil.rmtree(log_dir, ignore_errors=True)
    print_diagnosis(diagnosis, out)
    if unexercised:
        out.print(f"logs of the app, the fake LLM and the load driver: {log_dir}", highlight=False)
    if config.json is not None:
        _write_json(diagnosis, config.json)
        out.print(f"JSON: {config.json}")
    if config.out is not None:
        _render(diagnosis, config, out)
    if config.fail_on != "never":
        failing = [f for f in diagnosis.findings if at_or_above(f.severity, config.fail_on)]
        if failing:
            err.print(f"awaitbench: {len(failing)} finding(s) at or above '{config.fail_on}' (--fail-on)")
            return 1
    return 0


def _render(diagnosis: Diagnosis, config: DiagnoseConfig, console: Any) -> None:
    from reports.diagnose import render_diagnosis
    from reports.theme import get_theme

    assert config.out is not None
    files = render_diagnosis(diagnosis, theme=get_theme(config.theme), out_dir=config.out)
    console.print(f"report: {files.index_html} and {files.summary_md}")
