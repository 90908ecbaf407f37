"""Serve a team's own ASGI 3 app under the diagnosis agent, as `awaitbench diagnose` runs it."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

__all__ = ["AppImportError", "load_app", "main"]


class AppImportError(Exception):
    """The import string does not lead to an ASGI app; the message says which part and why."""


def load_app(target: str, *, factory: bool, app_dir: str) -> Any:
    """Import `MODULE:ATTR` (from `app_dir` first, like uvicorn) and call it when `factory`.

    Raises:
        AppImportError: a malformed string, a module that does not import, a missing attribute, or a
            factory that is not callable. An exception raised by the module's own code while importing is
            reported with its type and message (the traceback goes to stderr).
    """
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise AppImportError(
            f"'{target}' is not an import string: write MODULE:ATTR, e.g. myservice.main:app"
        )
    sys.path.insert(0, os.path.abspath(app_dir))
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            raise AppImportError(
                f"cannot import module '{module_name}' of '{target}' from {os.path.abspath(app_dir)} "
                f"({exc}): check --app-dir and the module path"
            ) from None
        traceback.print_exc()
        raise AppImportError(f"importing '{module_name}' failed: {type(exc).__name__}: {exc}") from None
    except Exception as exc:
        traceback.print_exc()
        raise AppImportError(f"importing '{module_name}' failed: {type(exc).__name__}: {exc}") from None
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise AppImportError(f"module '{module_name}' has no attribute '{attr}' (from '{target}')")
        obj = getattr(obj, part)
    if factory:
        if not callable(obj):
            raise AppImportError(f"'{target}' is not callable, so it cannot be a --factory")
        obj = obj()
    elif inspect.isfunction(obj) and not inspect.iscoroutinefunction(obj):
        raise AppImportError(f"'{target}' is a plain function: if it builds the app, pass --factory")
    if not callable(obj):
        raise AppImportError(f"'{target}' is not an ASGI app (got {type(obj).__name__})")
    return obj


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m awaitbench.detect.serve", description=__doc__.split("\n")[0]
    )
    parser.add_argument("app", metavar="MODULE:ATTR")
    parser.add_argument("--factory", action="store_true", help="ATTR is a zero-argument app factory")
    parser.add_argument("--app-dir", default=".", help="directory put first on sys.path (default: .)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--channel-port", type=int, required=True, help="the agent's side channel port")
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument("--block-ms", type=float, default=20.0, help="loop block threshold (ms)")
    parser.add_argument("--interval-ms", type=float, default=None, help="watchdog check interval (ms)")
    parser.add_argument("--upstream", metavar="HOST:PORT", help="the fake LLM: provider calls go there")
    parser.add_argument(
        "--capture-host", action="append", default=[], metavar="HOST[=DIALECT]", help="capture this host too"
    )
    parser.add_argument(
        "--no-capture", action="store_true", help="note outbound calls but send none to the fake LLM"
    )
    return parser


def _capture(args: argparse.Namespace) -> Any:
    """The capture of provider calls, installed (None without `--upstream`)."""
    if not args.upstream:
        return None
    from awaitbench.detect.diagnose.capture import Capture, install
    from awaitbench.detect.diagnose.providers import RouteTable, parse_capture_host

    host, _, port = args.upstream.rpartition(":")
    extra = tuple(parse_capture_host(text) for text in args.capture_host)
    return install(
        Capture(
            upstream_host=host, upstream_port=int(port), table=RouteTable(extra), redirect=not args.no_capture
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        import ddsketch  # noqa: F401  (the watch's lag histogram, imported on its monitor thread)
    except ImportError:
        print(
            "awaitbench.detect.serve: error: the package ddsketch is missing from the app's environment: "
            "install awaitbench with its dependencies there (pip install awaitbench)",
            file=sys.stderr,
            flush=True,
        )
        return 2
    try:
        capture = _capture(args)
    except ValueError as exc:
        print(f"awaitbench.detect.serve: error: --capture-host {exc}", file=sys.stderr, flush=True)
        return 2
    try:
        app = load_app(args.app, factory=args.factory, app_dir=args.app_dir)
    except AppImportError as exc:
        print(f"awaitbench.detect.serve: error: {exc}", file=sys.stderr, flush=True)
        return 2

    import uvicorn

    from awaitbench.detect.diagnose.agent import diagnosis_agent
    from awaitbench.detect.diagnose.deadlines import tracking_loop_factory
    from awaitbench.detect.side_channel import start_side_channel
    from awaitbench.detect.watchdog.config import WatchConfig

    watch = WatchConfig(
        threshold_ms=args.block_ms, interval_ms=args.interval_ms, loops="current", coroutine_origin_depth=8
    )
    agent = diagnosis_agent(app, watch=watch, outbound=capture.log if capture is not None else None)
    start_side_channel(agent, args.channel_port)
    config = uvicorn.Config(
        agent,
        host=args.host,
        port=args.port,
        lifespan="auto",
        log_level="warning",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    with asyncio.Runner(loop_factory=tracking_loop_factory(args.loop)) as runner:
        if capture is not None:
            from awaitbench.detect.diagnose.capture import watch_loop

            watch_loop(capture, runner.get_loop())
        runner.run(server.serve())
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
