"""Open-loop load for `awaitbench run --rate`: every request logged, timed from its intended send time."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import time
import urllib.request
from pathlib import Path
from typing import IO

from bench.loadgen.logs import request_line
from bench.loadgen.open_loop import Generator, Request
from bench.loadgen.open_loop_config import OpenLoopConfig
from bench.loadgen.schedule import arrival_offsets

__all__ = ["READY_TIMEOUT_S", "request_log_path", "run_logged", "wait_ready"]

READY_TIMEOUT_S = 60.0
_START_DELAY_S = 0.02
# The log is buffered (a write per request would cost a system call each) and flushed this often, so
# what it holds can be watched while the load runs and little is lost if the process is killed.
_FLUSH_EVERY_S = 0.2


def wait_ready(urls: tuple[str, ...], *, timeout_s: float = READY_TIMEOUT_S) -> None:
    """Block until every URL answers 200.

    Raises:
        TimeoutError: one did not within `timeout_s` (the parent reports the servers' logs).
    """
    deadline = time.monotonic() + timeout_s
    for url in urls:
        while not _answers(url):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer 200 within {timeout_s:g} s")
            time.sleep(0.05)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0) as response:
            return bool(response.status == 200)
    except OSError:
        return False


class _LogSink:
    """Writes each request's line as it ends; times are converted from perf_counter to epoch seconds."""

    def __init__(self, config: OpenLoopConfig, handle: IO[str], *, t0: float, epoch0: float) -> None:
        self.stream = config.stream
        self.handle = handle
        self.offset_s = epoch0 - t0
        self.closed = False  # after the stop: an answer arriving now is already logged as unanswered

    def _epoch(self, request: Request) -> float:
        return request.due_s + self.offset_s

    @staticmethod
    def _lag_ms(request: Request) -> float | None:
        return (request.dispatched_s - request.due_s) * 1000.0 if request.dispatched_s else None

    def sent(self, request: Request) -> None:
        return None

    def answered(self, request: Request, status: int, now: float) -> None:
        self._write(request, now, ok=True)

    def failed(self, request: Request, kind: str, now: float) -> None:
        self._write(request, now, ok=False)

    def _write(self, request: Request, now: float, *, ok: bool) -> None:
        if self.closed:
            return
        ttfb = None
        if self.stream and ok and request.first_byte_s:
            ttfb = (request.first_byte_s - request.due_s) * 1000.0
        line = request_line(
            self._epoch(request),
            latency_ms=(now - request.due_s) * 1000.0,
            ok=ok,
            ttfb_ms=ttfb,
            lag_ms=self._lag_ms(request),
        )
        self.handle.write(line)

    def dropped(self, request: Request) -> None:
        if self.closed:
            return
        self.handle.write(request_line(self._epoch(request), latency_ms=None, dropped=True))

    def unanswered(self, request: Request) -> None:
        self.handle.write(request_line(self._epoch(request), latency_ms=None, lag_ms=self._lag_ms(request)))


async def _flush_every(handle: IO[str], period_s: float) -> None:
    while True:
        await asyncio.sleep(period_s)
        handle.flush()


def _mark_started(requests_dir: Path, epoch0: float) -> None:
    # Written to a temporary name and renamed: the parent polls for this file.
    marker = requests_dir / f"started-{os.getpid()}"
    temporary = marker.with_name(marker.name + ".tmp")
    temporary.write_text(f"{epoch0:.6f}\n")
    temporary.replace(marker)


def request_log_path(config: OpenLoopConfig) -> Path:
    """This process's request log in the requests directory (log mode)."""
    assert config.requests_dir is not None
    return Path(config.requests_dir) / f"requests-{os.getpid()}.csv"


async def run_logged(config: OpenLoopConfig, handle: IO[str]) -> None:
    """Send on the schedule until SIGTERM (or the schedule's end), logging every request to `handle`."""
    assert config.requests_dir is not None
    loop = asyncio.get_running_loop()
    t0 = time.perf_counter() + _START_DELAY_S
    epoch0 = time.time() + _START_DELAY_S
    sink = _LogSink(config, handle, t0=t0, epoch0=epoch0)
    gen = Generator(config, sink)
    end_s = config.warmup_s + config.measure_s
    offsets = itertools.takewhile(
        lambda s: s < end_s, arrival_offsets(config.arrival, config.rate_rps, seed=config.seed)
    )
    _mark_started(Path(config.requests_dir), epoch0)
    flushing = asyncio.ensure_future(_flush_every(handle, _FLUSH_EVERY_S))
    sending = asyncio.ensure_future(gen.send_on_schedule(offsets, t0=t0))
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, sending.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await sending
    flushing.cancel()
    # Stopped (or out of schedule): whatever is still in flight never answered in time.
    for request in sorted(gen.in_flight, key=lambda r: r.due_s):
        sink.unanswered(request)
    gen.in_flight.clear()
    sink.closed = True
    handle.flush()
    gen.close_all()
