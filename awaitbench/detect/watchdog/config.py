"""The watchdog's settings: one frozen object, validated once, read by every part."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from awaitbench.detect.watchdog.errors import WatchConfigError

__all__ = ["DEFAULT_THRESHOLD_MS", "LEAK_KINDS", "FrameFilter", "Leak", "Loops", "WatchConfig"]

DEFAULT_THRESHOLD_MS = 50.0
_MAX_DEFAULT_INTERVAL_MS = 20.0
_MIN_INTERVAL_MS = 1.0

Leak = Literal["tasks", "threads"]
"""What a watch checks was left running at its end: asyncio `tasks` created during it and still pending,
`threads` (non-daemon) started during it and still alive."""
LEAK_KINDS: tuple[Leak, ...] = ("tasks", "threads")

Loops = Literal["auto", "current", "all"]
"""Which event loops to watch: `current` the loop running in the calling thread; `all` every asyncio
loop running in any thread of the process (found from the threads' stacks, see
`awaitbench.detect.watchdog.loops`);
`auto` the current one when a loop runs in the calling thread, else all."""


@dataclass(frozen=True, kw_only=True)
class FrameFilter:
    """Which frames are the user's code, where a block is attributed.

    By default everything under the standard library, any `site-packages`/`dist-packages` directory and
    the `detect` package itself is library code, and the rest (your project, your tests) is yours. The
    block's location is the innermost frame of yours: for a sync OpenAI call inside a route, the route's
    line that called the SDK, not `ssl.py`.

    Args:
        user_modules: top-level packages that count as yours even when installed in site-packages
            (e.g. `("myservice",)` when the app is pip-installed into a container image).
        user_paths: directory prefixes that count as yours.
        library_modules: packages to treat as library code although they live in your tree
            (e.g. a vendored client). Library settings win over user settings.
        library_paths: directory prefixes to treat as library code.
    """

    user_modules: tuple[str, ...] = ()
    user_paths: tuple[str, ...] = ()
    library_modules: tuple[str, ...] = ()
    library_paths: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("user_modules", "user_paths", "library_modules", "library_paths"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(item, str) and item for item in value):
                raise WatchConfigError(
                    f"FrameFilter.{name} must be a tuple of non-empty strings, got {value!r} "
                    f"(write {name}=({value!r},) for a single entry)"
                )


@dataclass(frozen=True, kw_only=True)
class WatchConfig:
    """Everything a watch needs; keyword-only, validated at construction.

    Args:
        threshold_ms: a loop whose heartbeat runs this late (or later) was blocked.
        interval_ms: how often each loop's heartbeat runs (None: a fifth of the threshold, at most
            20 ms). A block is measured at most one interval short.
        loops: which loops to watch (see `Loops`).
        frames: which frames are the user's code (see `FrameFilter`).
        coroutine_origin_depth: frames of origin recorded for every coroutine created while watching
            (`sys.set_coroutine_origin_tracking_depth`). Off (0) by default: it doubles the CPU of
            coroutine-heavy code, and a coroutine dropped by the statement that created it (the forgotten
            `await`) is named at that line without it. Turn it on to name the creation line of a
            coroutine kept for a while and then dropped.
        capture_warnings: record never-awaited coroutines and ResourceWarnings (unclosed clients).
        sample_blocks: sample a stalled loop's stack and report blocks; False measures only lag and
            the threadpool (the bench's probe: no stack is ever sampled).
        monitor: run the monitor thread (blocks, lag, threadpool). False keeps only what needs no
            thread: never-awaited coroutines, resource warnings, leaks and strict mode.
        leaks: check at the end that nothing was left running (see `Leak`): `("tasks", "threads")`.
        strict: record every known blocking call made on a loop thread, whatever its duration
            (`time.sleep`, file and blocking-socket I/O, subprocesses, sync HTTP clients).
        strict_allow: patterns of frames in which blocking is allowed (`fnmatch` on
            `module.function`, e.g. `"myapp.cache.*"` or `"*.load_settings"`).
        strict_scope: module prefixes a call must be reached from to count (e.g. `("myservice",)`);
            empty: any call reached from your code (see `FrameFilter`).
        max_blocks: blocks kept in full; later ones still count in their group.

    Raises:
        WatchConfigError: a value is out of range; the message names it.
    """

    threshold_ms: float = DEFAULT_THRESHOLD_MS
    interval_ms: float | None = None
    loops: Loops = "auto"
    frames: FrameFilter = field(default_factory=FrameFilter)
    coroutine_origin_depth: int = 0
    capture_warnings: bool = True
    sample_blocks: bool = True
    monitor: bool = True
    leaks: tuple[Leak, ...] = ()
    strict: bool = False
    strict_allow: tuple[str, ...] = ()
    strict_scope: tuple[str, ...] = ()
    max_blocks: int = 1000

    def __post_init__(self) -> None:
        if not _positive(self.threshold_ms):
            raise WatchConfigError(f"threshold_ms must be a positive number of ms, got {self.threshold_ms!r}")
        if self.interval_ms is not None:
            if not _positive(self.interval_ms) or self.interval_ms < _MIN_INTERVAL_MS:
                raise WatchConfigError(
                    f"interval_ms must be at least {_MIN_INTERVAL_MS:g} ms, got {self.interval_ms!r}"
                )
            if self.interval_ms > self.threshold_ms:
                raise WatchConfigError(
                    f"interval_ms ({self.interval_ms:g}) must not exceed threshold_ms "
                    f"({self.threshold_ms:g}): a block is measured at most one interval short"
                )
        if self.loops not in ("auto", "current", "all"):
            raise WatchConfigError(f"loops must be 'auto', 'current' or 'all', got {self.loops!r}")
        if not isinstance(self.frames, FrameFilter):
            raise WatchConfigError(f"frames must be a FrameFilter, got {type(self.frames).__name__}")
        if not isinstance(self.coroutine_origin_depth, int) or not 0 <= self.coroutine_origin_depth <= 100:
            raise WatchConfigError(
                "coroutine_origin_depth must be an int from 0 (off) to 100, "
                f"got {self.coroutine_origin_depth!r}"
            )
        leaks: object = self.leaks  # a str would pass the loop below letter by letter
        if isinstance(leaks, str) or not all(kind in LEAK_KINDS for kind in self.leaks):
            raise WatchConfigError(
                f"leaks must be a tuple of {' and '.join(map(repr, LEAK_KINDS))}, got {self.leaks!r} "
                "(write leaks=('tasks',) for one kind)"
            )
        for name in ("strict_allow", "strict_scope"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(item, str) and item for item in value):
                raise WatchConfigError(
                    f"{name} must be a tuple of non-empty strings, got {value!r} "
                    f"(write {name}=({value!r},) for a single entry)"
                )
        if not isinstance(self.max_blocks, int) or self.max_blocks < 0:
            raise WatchConfigError(f"max_blocks must be a non-negative int, got {self.max_blocks!r}")

    @property
    def threshold_s(self) -> float:
        return self.threshold_ms / 1000.0

    @property
    def interval_s(self) -> float:
        """The effective heartbeat interval in seconds (the default applied)."""
        if self.interval_ms is not None:
            return self.interval_ms / 1000.0
        default_ms = min(self.threshold_ms / 5.0, _MAX_DEFAULT_INTERVAL_MS)
        return max(default_ms, _MIN_INTERVAL_MS) / 1000.0


def _positive(value: object) -> bool:
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    )
