"""Parsing large request bodies in a helper process, so no body can stall the event loop.

The helper runs at a lower priority, ignores Ctrl-C and exits with the server (it polls its parent)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from fake_llm.config import LimitsConfig
from fake_llm.routes import ApiRequest, Route, parse_request

__all__ = ["IN_PROCESS_MAX_BYTES", "ParseUnavailable", "ParseWorker"]

IN_PROCESS_MAX_BYTES = 64 * 1024
"""Bodies up to this size are parsed on the event loop: at most a few ms however they are shaped."""

_PARENT_POLL_S = 1.0


class ParseUnavailable(Exception):
    """The helper process could not be started or died (killed from outside, out of memory): a 503, not a
    500 with a traceback, and the next large body starts a new helper."""


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(_PARENT_POLL_S)
    os._exit(0)  # orphaned: the server is gone


def _start_helper(parent_pid: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(10)  # bulk work: the server's own requests (and its /health) come first on a busy machine
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="parent-watch", daemon=True).start()


class ParseWorker:
    """One helper process that parses bodies for the server (created on first use)."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    async def parse(self, route: Route, body: bytes, limits: LimitsConfig) -> ApiRequest:
        """`parse_request(route, body, limits)` in the helper process; raises its BadRequest.

        Raises:
            BadRequest: the body is not a valid request (the helper's error, with all its fields).
            ParseUnavailable: the helper could not start or died; the next call starts a new one.
        """
        loop = asyncio.get_running_loop()
        try:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),  # no fork of a running event loop
                    initializer=_start_helper,
                    initargs=(os.getpid(),),
                )
            return await loop.run_in_executor(self._pool, parse_request, route, body, limits)
        except (BrokenProcessPool, OSError) as exc:
            self.close()
            raise ParseUnavailable(f"the parse helper process is unavailable ({exc})") from None

    def close(self) -> None:
        """Stop the helper (if started) at once, even in the middle of a long parse."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # Python 3.14 has pool.terminate_workers(); before it, the processes are only reachable here.
        helpers = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for helper in helpers:
            helper.terminate()
