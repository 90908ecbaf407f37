"""What a watch found, as plain frozen data: the pytest plugin, the middleware's log and metrics, and any
report renderer read these and nothing else.

Durations are in milliseconds. A block's `duration_ms` is how late the loop's heartbeat ran: a lower
bound of the block, short by at most one heartbeat interval.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "Block",
    "BlockGroup",
    "BlockState",
    "BlockingCall",
    "Frame",
    "LagSummary",
    "LeakedTask",
    "LeakedThread",
    "NeverAwaited",
    "ResourceLeak",
    "ThreadpoolUsage",
    "WatchReport",
]

BlockState = Literal["running", "parked", "unknown"]
"""`running`: the loop thread's CPU time advanced through the block (CPU-bound Python, a C extension
computing); `parked`: it did not (`time.sleep`, a sync HTTP/LLM client, a lock, file or driver I/O);
`unknown`: this platform has no per-thread CPU clock."""


@dataclass(frozen=True, kw_only=True)
class Frame:
    """One frame of a stack: where, in which function, and the source line."""

    file: str
    line: int
    function: str
    source: str = ""
    user_code: bool = True

    @property
    def where(self) -> str:
        """`file:line`, the file relative to the working directory when it is under it."""
        return f"{_short_path(self.file)}:{self.line}"


@dataclass(frozen=True, kw_only=True)
class Block:
    """One stretch during which an event loop did not run.

    Args:
        duration_ms: how late the loop's heartbeat ran (lower bound of the block).
        location: the innermost frame in the user's code that the samples saw most; the innermost
            frame of all when no frame is the user's.
        stack: the loop thread's stack at that location, outermost first.
        route: the request being served (`POST /extract`) when `LoopWatchMiddleware` tags requests.
        state: running or parked (see `BlockState`); `running_fraction` is the share of the block the
            loop thread was on a CPU or waiting for one (None where the platform cannot tell), and
            `on_cpu_fraction` the share it was on one: running but rarely on a CPU means the machine
            (or the process's other threads) starved the loop of CPU.
        samples: stack samples taken during the block; `location_share` is the share of the block's
            sampled time spent at `location`.
        thread_name: the loop's thread.
        started_at: wall-clock time (`time.time()`) when the late heartbeat was due.
        ongoing: the loop was still blocked when the watch ended.
    """

    duration_ms: float
    location: Frame
    stack: tuple[Frame, ...]
    route: str | None
    state: BlockState
    running_fraction: float | None
    on_cpu_fraction: float | None
    samples: int
    location_share: float
    thread_name: str
    started_at: float
    ongoing: bool = False

    @property
    def leaf(self) -> Frame:
        """The innermost frame sampled (e.g. `ssl.py` under a sync SDK call)."""
        return self.stack[-1] if self.stack else self.location


@dataclass(frozen=True, kw_only=True)
class BlockGroup:
    """All blocks attributed to one location (file, line, function)."""

    location: Frame
    count: int
    total_ms: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    state: BlockState
    routes: tuple[str, ...]
    example: Block

    def describe(self) -> str:
        """One line, e.g. app/services.py:42 `time.sleep(0.05)` in parse_document — 212 blocks, 10.6 s
        total, p99 51 ms, parked, during POST /extract."""
        code = f" `{self.location.source}`" if self.location.source else ""
        blocks = "1 block" if self.count == 1 else f"{self.count} blocks"
        total = f"{self.total_ms / 1000:.1f} s" if self.total_ms >= 1000 else f"{self.total_ms:.0f} ms"
        text = (
            f"{self.location.where}{code} in {self.location.function} — {blocks}, {total} total, "
            f"p99 {self.p99_ms:.0f} ms, {self.state}"
        )
        if self.routes:
            text += f", during {', '.join(self.routes[:3])}"
        return text


@dataclass(frozen=True, kw_only=True)
class ThreadpoolUsage:
    """anyio's default thread limiter (the pool `def` routes and `run_in_threadpool` share).

    Args:
        peak_borrowed: most tokens borrowed at once at any heartbeat.
        total_tokens: the limiter's size (40 unless the app changed it); None when no loop had anyio.
        peak_waiting: most tasks queued for a token at once (only > 0 when the pool was full).
        saturated_ms: time during which every token was borrowed.
        borrowed_ms: borrowed tokens integrated over time (token-ms: 40 tokens held for 1 s = 40,000).
        waiting_ms: tasks waiting for a token integrated over time (task-ms).
    """

    peak_borrowed: int = 0
    total_tokens: int | None = None
    peak_waiting: int = 0
    saturated_ms: float = 0.0
    borrowed_ms: float = 0.0
    waiting_ms: float = 0.0

    @property
    def saturated(self) -> bool:
        return self.total_tokens is not None and self.peak_borrowed >= self.total_tokens


@dataclass(frozen=True, kw_only=True)
class NeverAwaited:
    """A coroutine that was garbage-collected without being awaited (a forgotten `await`).

    Args:
        coroutine: its qualified name.
        defined_at: where its `async def` is.
        created_at: where it was created, innermost first: from origin tracking when it was on, else
            the statement that created and discarded it (`notify(user)` without `await`).
        dropped_at: where the last reference to it went away, innermost first, when that was not the
            statement that created it (a coroutine stored, then dropped); empty otherwise.
    """

    coroutine: str
    defined_at: Frame
    created_at: tuple[Frame, ...] = ()
    dropped_at: tuple[Frame, ...] = ()

    @property
    def origin(self) -> Frame | None:
        """The innermost creation frame in the user's code (None when unknown)."""
        return _first_user(self.created_at)


@dataclass(frozen=True, kw_only=True)
class LeakedTask:
    """An asyncio task created during a watch and still pending at its end (not being cancelled).

    Args:
        name: the task's name (`Task-12` unless named).
        coroutine: its coroutine's qualified name.
        created_at: where it was created, innermost first (empty for a task created before the watch
            saw its loop, or built as `asyncio.Task(...)` directly).
        waiting_at: where it is suspended now (None when it never started).
    """

    name: str
    coroutine: str
    created_at: tuple[Frame, ...] = ()
    waiting_at: Frame | None = None

    @property
    def origin(self) -> Frame | None:
        """The innermost creation frame in the user's code."""
        return _first_user(self.created_at)


@dataclass(frozen=True, kw_only=True)
class LeakedThread:
    """A thread started during a watch and still alive at its end.

    Args:
        name: the thread's name.
        target: the function it runs (`module.qualname`), when known.
        started_at: where `Thread.start()` was called, innermost first.
        running_at: where it is now.
    """

    name: str
    target: str | None
    started_at: tuple[Frame, ...] = ()
    running_at: Frame | None = None

    @property
    def origin(self) -> Frame | None:
        """The innermost frame of the user's code that started it."""
        return _first_user(self.started_at)


@dataclass(frozen=True, kw_only=True)
class BlockingCall:
    """A known blocking call made on an event loop's thread (strict mode), whatever its duration.

    Args:
        call: what was called, e.g. `time.sleep(0.005)`, `open('data.json')`, `socket.connect`.
        location: the innermost frame of the user's code on the stack.
        stack: the loop thread's stack, outermost first.
        thread_name: the loop's thread.
    """

    call: str
    location: Frame
    stack: tuple[Frame, ...]
    thread_name: str


@dataclass(frozen=True, kw_only=True)
class ResourceLeak:
    """A ResourceWarning (an unclosed client session, socket, transport or file)."""

    message: str
    source_type: str | None
    file: str
    line: int


@dataclass(frozen=True, kw_only=True)
class LagSummary:
    """The loop's scheduling delay, one sample per heartbeat (how late it ran)."""

    samples: int = 0
    p50_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float = 0.0


@dataclass(frozen=True, kw_only=True)
class WatchReport:
    """Everything one watch saw.

    Args:
        threshold_ms: the blocking threshold used.
        watched_ms: how long the watch ran.
        loops_watched: distinct event loops seen.
        blocks: blocks kept in full, in the order they ended (at most `max_blocks`).
        blocks_dropped: blocks beyond `max_blocks` (still counted in `groups`).
        groups: blocks grouped by location, most total time first.
        threadpool: anyio thread limiter usage.
        never_awaited: coroutines never awaited.
        resource_warnings: ResourceWarnings (unclosed clients and sockets).
        lag: loop lag over the watch.
        leaked_tasks: tasks left pending (with `leaks=("tasks",)`).
        leaked_threads: threads left running (with `leaks=("threads",)`).
        blocking_calls: known blocking calls made on a loop thread (with `strict=True`).
    """

    threshold_ms: float
    watched_ms: float
    loops_watched: int
    blocks: tuple[Block, ...] = ()
    blocks_dropped: int = 0
    groups: tuple[BlockGroup, ...] = ()
    threadpool: ThreadpoolUsage = field(default_factory=ThreadpoolUsage)
    never_awaited: tuple[NeverAwaited, ...] = ()
    resource_warnings: tuple[ResourceLeak, ...] = ()
    lag: LagSummary = field(default_factory=LagSummary)
    leaked_tasks: tuple[LeakedTask, ...] = ()
    leaked_threads: tuple[LeakedThread, ...] = ()
    blocking_calls: tuple[BlockingCall, ...] = ()

    @property
    def threadpool_peak(self) -> int:
        """Most anyio thread tokens borrowed at once."""
        return self.threadpool.peak_borrowed

    @property
    def blocked_ms(self) -> float:
        """Total time the loops were blocked beyond the threshold."""
        return sum(group.total_ms for group in self.groups)


def _first_user(frames: tuple[Frame, ...]) -> Frame | None:
    """The first frame of the user's code (the innermost, frames being innermost first), else the first."""
    return next((f for f in frames if f.user_code), frames[0] if frames else None)


def _short_path(path: str) -> str:
    if path.startswith("<"):
        return path
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return path if relative.startswith("..") else relative
