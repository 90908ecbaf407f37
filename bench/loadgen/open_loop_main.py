"""The open-loop generator's process entry point: `python -m bench.loadgen.open_loop_main CONFIG [OUT]`.

Log mode with `requests_dir`; otherwise one self-timed step (closed-loop over `connections`, or open-loop
at `rate_rps`) written as JSON to OUT."""

from __future__ import annotations

import gc
import resource
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import TypeAdapter

from bench.loadgen.open_loop_config import OpenLoopConfig

__all__ = ["main"]

_USAGE = "usage: python -m bench.loadgen.open_loop_main '<OpenLoopConfig JSON>' [OUT_PATH]"


def _raise_fd_limit() -> None:
    """Every request in flight holds a socket: allow as many as the hard limit permits."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = 65536 if hard == resource.RLIM_INFINITY else hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, target), hard))


def main(argv: Sequence[str] | None = None) -> None:
    """Run the generator as configured; the process's exit status says whether it could."""
    import uvloop

    from bench.loadgen.connections_step import run_connections_step
    from bench.loadgen.open_loop_log import request_log_path, run_logged, wait_ready
    from bench.loadgen.open_loop_step import run_step

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) not in (1, 2):
        raise SystemExit(_USAGE)
    config = OpenLoopConfig.from_json(args[0])
    _raise_fd_limit()
    if config.logging:
        wait_ready(config.ready_urls)
        gc.disable()  # a collection pause would be measured as server latency
        with open(request_log_path(config), "a", buffering=1 << 16) as handle:
            uvloop.run(run_logged(config, handle))
        return
    if len(args) != 2:
        raise SystemExit(_USAGE + " (OUT_PATH is required without requests_dir)")
    gc.disable()
    result = uvloop.run(run_connections_step(config) if config.connections else run_step(config))
    Path(args[1]).write_bytes(TypeAdapter(type(result)).dump_json(result) + b"\n")


if __name__ == "__main__":
    main()
