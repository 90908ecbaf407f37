"""When would a hung upstream call be cut? The deadlines each in-flight request has armed.

A deadline is a timer on the loop: the loop `awaitbench.detect.serve` runs the app on notes each timer
against the request serving in that context; a sync client's deadline is its blocking socket's timeout.
`in_flight_report` is what the side channel serves. docs/diagnose.md ("How deadlines are read").
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import gc
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import TypeAdapter

from awaitbench.detect.watchdog.config import FrameFilter
from awaitbench.detect.watchdog.report import Frame
from awaitbench.detect.watchdog.stacks import FrameClassifier, RawFrame, to_frames

__all__ = [
    "IN_FLIGHT",
    "InFlight",
    "InFlightReport",
    "LoopKind",
    "RequestDeadlines",
    "awaiting_frames",
    "current_request",
    "in_flight",
    "in_flight_report",
    "serving",
    "tracking_loop_factory",
    "upstream_socket_timeouts",
]

LoopKind = Literal["uvloop", "asyncio"]
_MAX_TIMERS = 256  # per request; cancelled ones are pruned first

_request: contextvars.ContextVar[InFlight | None] = contextvars.ContextVar("detect_diagnose_request")
_registry: dict[int, InFlight] = {}
_registry_lock = threading.Lock()
_ids = itertools.count(1)


@dataclass(kw_only=True)
class InFlight:
    """One request being served, and the timers armed while serving it (in its context)."""

    id: int
    method: str
    path: str
    probe: str
    started: float
    task: asyncio.Task[Any] | None = None
    timers: list[tuple[float, Any]] = field(default_factory=list)  # (fires at, monotonic s; handle)

    def note(self, fires_at: float, handle: Any) -> None:
        timers = self.timers
        if timers and timers[-1][1] is handle:  # uvloop's call_at goes through call_later
            return
        if len(timers) >= _MAX_TIMERS:
            timers[:] = [t for t in timers if not t[1].cancelled()][-_MAX_TIMERS // 2 :]
        timers.append((fires_at, handle))

    def pending_s(self, now: float | None = None) -> list[float]:
        """Seconds until each timer still armed fires, soonest first."""
        now = time.monotonic() if now is None else now
        pending = [fires - now for fires, handle in list(self.timers) if not handle.cancelled()]
        return sorted(p for p in pending if p > 0)


def current_request() -> InFlight | None:
    """The request served in this context (None outside requests)."""
    return _request.get(None)


@contextlib.contextmanager
def serving(method: str, path: str, probe: str = "") -> Iterator[InFlight]:
    """Mark the current context as serving one request (the ASGI wrapper calls it per request)."""
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no running loop (a test calling it from sync code)
        task = None
    record = InFlight(
        id=next(_ids), method=method, path=path, probe=probe, started=time.monotonic(), task=task
    )
    with _registry_lock:
        _registry[record.id] = record
    token = _request.set(record)
    try:
        yield record
    finally:
        _request.reset(token)
        with _registry_lock:
            _registry.pop(record.id, None)


def in_flight() -> list[InFlight]:
    """The requests being served right now (any thread may ask)."""
    with _registry_lock:
        return list(_registry.values())


def _note(handle: Any, delay_s: float) -> None:
    record = _request.get(None)
    if record is not None:
        record.note(time.monotonic() + delay_s, handle)


def _tracking_class(base: type[asyncio.AbstractEventLoop], *, uvloop: bool) -> type:
    class TrackingLoop(base):  # type: ignore[valid-type,misc]
        """`base` that notes every timer against the request whose context armed it."""

        def call_at(
            self, when: float, callback: Callable[..., object], *args: Any, context: Any = None
        ) -> Any:
            handle = super().call_at(when, callback, *args, context=context)
            _note(handle, when - self.time())
            return handle

        if uvloop:  # asyncio's call_later calls call_at; uvloop's does not

            def call_later(
                self, delay: float, callback: Callable[..., object], *args: Any, context: Any = None
            ) -> Any:
                handle = super().call_later(delay, callback, *args, context=context)
                _note(handle, delay)
                return handle

    TrackingLoop.__qualname__ = f"Tracking{base.__name__}"
    return TrackingLoop


def tracking_loop_factory(kind: LoopKind) -> Callable[[], asyncio.AbstractEventLoop]:
    """A loop factory for `asyncio.Runner`: uvloop's or asyncio's loop, noting timers per request."""
    if kind == "uvloop":
        import uvloop

        cls = _tracking_class(uvloop.Loop, uvloop=True)
    else:
        cls = _tracking_class(asyncio.SelectorEventLoop, uvloop=False)
    return lambda: cls()


def awaiting_frames(task: asyncio.Task[Any] | None) -> list[RawFrame]:
    """The frames a suspended task is waiting in, outermost first (its coroutine's `cr_await` chain).

    Read from another thread while the task waits (a hung call), so it only follows attributes, never
    runs anything; a task running right now yields its frames so far."""
    frames: list[RawFrame] = []
    coro: Any = task.get_coro() if task is not None else None
    while coro is not None and len(frames) < 200:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is not None:
            code = frame.f_code
            frames.append(
                (code.co_filename, frame.f_lineno or 0, code.co_qualname, frame.f_globals.get("__name__", ""))
            )
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return frames


def upstream_socket_timeouts(port: int) -> list[float | None]:
    """Timeouts (s; None = none at all) of this process's blocking sockets connected to `port` on the
    loopback: the deadline a sync client's call to the upstream has. Scans the live objects, so ask
    only when needed (a hung call), not per request."""
    found: list[float | None] = []
    for obj in gc.get_objects():
        # type(), not isinstance(): isinstance reads `__class__`, which lazy proxies (the openai SDK has
        # some) resolve by importing and building what they stand for — seconds over a large heap.
        if not issubclass(type(obj), socket.socket) or obj.fileno() == -1:
            continue
        try:
            timeout = obj.gettimeout()
            peer = obj.getpeername()
        except OSError:
            continue
        if timeout == 0.0 or not isinstance(peer, tuple) or len(peer) < 2 or peer[1] != port:
            continue
        found.append(timeout)
    return found


@dataclass(frozen=True, kw_only=True)
class RequestDeadlines:
    """One request in flight: how long it has run, when each timer it armed fires, and the app's line
    its task is suspended at (None when no frame of the app's code is on its await chain)."""

    method: str
    path: str
    probe: str
    age_s: float
    timers_s: tuple[float, ...]
    awaiting_at: Frame | None = None


@dataclass(frozen=True, kw_only=True)
class InFlightReport:
    """The requests in flight and the upstream sockets' timeouts (None in the list = no timeout)."""

    requests: tuple[RequestDeadlines, ...]
    upstream_socket_timeouts_s: tuple[float | None, ...] = ()
    current_stall_ms: float = 0.0

    def for_probe(self, probe: str) -> RequestDeadlines | None:
        return next((r for r in self.requests if r.probe == probe), None)


IN_FLIGHT = TypeAdapter(InFlightReport)


@functools.cache
def _classifier() -> FrameClassifier:
    return FrameClassifier(FrameFilter())


def _awaiting_at(record: InFlight) -> Frame | None:
    """The innermost line of the app's own code the request's task is suspended at."""
    classifier = _classifier()
    stack = awaiting_frames(record.task)
    user = [i for i, (file, _, _, module) in enumerate(stack) if classifier.is_user(file, module)]
    return to_frames(stack, classifier)[user[-1]] if user else None


def in_flight_report(upstream_port: int | None, *, stall_ms: float) -> InFlightReport:
    """The requests being served, their armed timers, and the blocking sockets' timeouts to the upstream."""
    now = time.monotonic()
    requests = tuple(
        RequestDeadlines(
            method=r.method,
            path=r.path,
            probe=r.probe,
            age_s=round(now - r.started, 3),
            timers_s=tuple(round(t, 3) for t in r.pending_s(now)),
            awaiting_at=_awaiting_at(r),
        )
        for r in in_flight()
    )
    sockets = tuple(upstream_socket_timeouts(upstream_port)) if upstream_port else ()
    return InFlightReport(
        requests=requests, upstream_socket_timeouts_s=sockets, current_stall_ms=round(stall_ms, 3)
    )
