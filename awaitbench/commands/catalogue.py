"""`awaitbench list` and `awaitbench serve`: browse the scenario catalogue and run one variant live."""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import os
from collections.abc import Callable
from typing import Any, get_args

from bench.errors import UsageError
from bench.results import Loop

__all__ = ["FACTORY_ENV", "PROBE_ENV", "build_app", "catalogue_rows", "register"]

FACTORY_ENV = "AWAITBENCH_SERVE_FACTORY"
PROBE_ENV = "AWAITBENCH_SERVE_PROBE"
_GRACEFUL_SHUTDOWN_S = 3  # a pitfall variant may hold hung requests; never let them delay a stop for long


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    listing = subparsers.add_parser("list", help="List the scenario catalogue")
    listing.add_argument("--json", action="store_true", help="print the catalogue as JSON")
    listing.set_defaults(handler=_handle_list)

    serve = subparsers.add_parser("serve", help="Serve one scenario variant under uvicorn")
    serve.add_argument("scenario", help="scenario id (see 'awaitbench list')")
    serve.add_argument("variant", help="variant id of that scenario")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    serve.add_argument("--loop", choices=get_args(Loop), default="uvloop", help="event loop (default uvloop)")
    serve.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    serve.add_argument("--probe", action="store_true", help="measure loop lag and threadpool use in-process")
    serve.add_argument(
        "--log-level",
        choices=("critical", "error", "warning", "info", "debug"),
        default="info",
        help="uvicorn log level (default info)",
    )
    serve.set_defaults(handler=_handle_serve)


def catalogue_rows() -> list[dict[str, Any]]:
    """The catalogue as plain data (what `list --json` prints)."""
    from scenarios import catalogue

    return [
        {
            "id": s.id,
            "title": s.title,
            "core": s.core,
            "pitfall_variant": s.pitfall_variant,
            "fix_variant": s.fix_variant,
            "variants": [
                {"id": v.id, "title": v.title, "role": v.role, "factory": v.factory, "summary": v.summary}
                for v in s.variants
            ],
            "pitfall": s.pitfall,
            "fix": s.fix,
            "signature": s.signature,
            "upstream": {"latency_ms": s.upstream.latency_ms, "fake_llm": dict(s.upstream.fake_llm)},
            "request": {
                "method": s.request.method,
                "path": s.request.path,
                "json_body": dict(s.request.json_body) if s.request.json_body is not None else None,
                "stream": s.request.stream,
            },
            "app_env": dict(s.app_env),
            "database": s.database is not None,  # reads DATABASE_URL: `awaitbench run` starts PostgreSQL
            "headline": dataclasses.asdict(s.headline),
            "loads": list(s.loads),
        }
        for s in catalogue()
    ]


def _first_sentence(text: str) -> str:
    head, dot, _ = text.partition(". ")
    return head + ("." if dot else "")


def _handle_list(args: argparse.Namespace) -> int:
    rows = catalogue_rows()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title="awaitbench scenarios", show_lines=False)
    table.add_column("id", style="bold", no_wrap=True)
    table.add_column("variants (pitfall → fix, others)")
    table.add_column("pitfall")
    for row in rows:
        others = [
            v["id"] for v in row["variants"] if v["id"] not in (row["pitfall_variant"], row["fix_variant"])
        ]
        variants = f"{row['pitfall_variant']} → {row['fix_variant']}"
        if others:
            variants += ", " + ", ".join(others)
        table.add_row(row["id"] + (" *" if row["core"] else ""), variants, _first_sentence(row["pitfall"]))
    console = Console(width=max(Console().width, 120))
    console.print(table)
    console.print("* one of the core six")
    return 0


def _load_factory(factory: str) -> Callable[[], Any]:
    module_name, _, attr = factory.partition(":")
    factory_fn: Callable[[], Any] = getattr(importlib.import_module(module_name), attr)
    return factory_fn


def build_app() -> Any:
    """Zero-argument factory uvicorn calls in each worker: the variant named by the environment."""
    factory = os.environ.get(FACTORY_ENV)
    if not factory:
        raise UsageError(f"{FACTORY_ENV} is not set: start apps with 'awaitbench serve SCENARIO VARIANT'")
    app = _load_factory(factory)()
    if os.environ.get(PROBE_ENV) == "1":
        from awaitbench.detect.probe import instrument

        app = instrument(app)
    return app


def _check_port_free(host: str, port: int) -> None:
    """uvicorn reports a taken port in its log and exits from deep inside its start-up; checking first
    gives the one-line message. The check is fake_llm's own (one implementation for both servers)."""
    from fake_llm.errors import ServeError
    from fake_llm.server import ensure_bindable

    try:
        ensure_bindable(host, port)
    except ServeError as exc:
        raise UsageError(str(exc)) from exc


def _handle_serve(args: argparse.Namespace) -> int:
    from scenarios import get
    from scenarios.errors import ScenarioConfigError

    if not 1 <= args.port <= 65535:
        raise UsageError(f"--port must be between 1 and 65535, got {args.port}")
    if args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    variant = get(args.scenario).variant(args.variant)
    _check_port_free(args.host, args.port)
    os.environ[FACTORY_ENV] = variant.factory
    os.environ[PROBE_ENV] = "1" if args.probe else "0"
    try:
        app = build_app()  # validates the environment here, where errors become one line
    except ScenarioConfigError as exc:
        raise UsageError(str(exc)) from exc

    import uvicorn

    uvicorn.run(
        app if args.workers == 1 else f"{__name__}:build_app",
        factory=args.workers > 1,
        host=args.host,
        port=args.port,
        loop=args.loop,
        http="httptools",
        workers=args.workers,
        access_log=False,
        log_level=args.log_level,
        timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_S,
    )
    return 0
