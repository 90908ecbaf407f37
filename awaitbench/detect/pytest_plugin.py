"""pytest plugin: fail a test that blocks an event loop, leaves tasks or threads running, or makes a
blocking call on a loop thread, naming the line."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from awaitbench.detect.watchdog import LoopWatch, WatchConfig, WatchReport

__all__ = [
    "pytest_addoption",
    "pytest_configure",
    "pytest_runtest_call",
    "pytest_sessionfinish",
    "pytest_terminal_summary",
    "pytest_testnodedown",
]

_BLOCK_MARKER, _LEAKS_MARKER, _STRICT_MARKER = "loop_block_ms", "loop_leaks", "loop_block_strict"
_LEAK_KINDS = ("tasks", "threads")
_SHOWN_IN_FULL = 3
_LISTED = 10


@dataclass(frozen=True)
class _Asked:
    """What the command line asks of every test."""

    fail_ms: float | None
    report: bool
    leaks: tuple[str, ...]
    strict: bool
    strict_allow: tuple[str, ...]
    strict_scope: tuple[str, ...]


@dataclass
class _Session:
    asked: _Asked
    results: list[tuple[str, WatchReport]] = field(default_factory=list)
    unwatched: list[tuple[str, str]] = field(default_factory=list)
    watch: LoopWatch | None = None

    def watch_at(self, threshold_ms: float) -> LoopWatch:
        """The session's running watch at this threshold (a test with another threshold replaces it)."""
        if self.watch is not None and self.watch.config.threshold_ms != threshold_ms:
            self.close()
        if self.watch is None:
            from awaitbench.detect.watchdog import watch_loop

            self.watch = watch_loop(threshold_ms=threshold_ms, loops="all").start()
        return self.watch

    def close(self) -> None:
        if self.watch is not None:
            self.watch.stop()
            self.watch = None


_SESSION = pytest.StashKey[_Session]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("loop-block", "event loops: blocks, leaks, blocking calls (awaitbench detect)")
    group.addoption(
        "--loop-block-ms",
        type=float,
        default=None,
        metavar="MS",
        help="fail any test during which an event loop did not run for MS milliseconds or more "
        "(off by default)",
    )
    group.addoption(
        "--loop-block-report",
        action="store_true",
        default=False,
        help="print a summary of every event-loop block at the end of the run (fails nothing by itself)",
    )
    group.addoption(
        "--loop-leaks",
        default=None,
        metavar="KINDS",
        help="fail a test that leaves asyncio tasks pending or threads running at its end: "
        "'tasks', 'threads' or 'tasks,threads' (off by default)",
    )
    group.addoption(
        "--loop-block-strict",
        action="store_true",
        default=False,
        help="fail a test that makes a known blocking call on an event loop's thread, however short "
        "(time.sleep, file and socket I/O, subprocess, sync HTTP clients)",
    )
    group.addoption(
        "--loop-block-strict-allow",
        action="append",
        default=[],
        metavar="PATTERN",
        help="with --loop-block-strict: frames allowed to block, as fnmatch patterns of module.function "
        "(e.g. 'myapp.cache.*'); repeatable",
    )
    group.addoption(
        "--loop-block-strict-scope",
        action="append",
        default=[],
        metavar="PACKAGE",
        help="with --loop-block-strict: count only calls reached from this package (default: any call "
        "reached from your code); repeatable",
    )


def pytest_configure(config: pytest.Config) -> None:
    for line in (
        f"{_BLOCK_MARKER}(ms): fail this test if an event loop does not run for ms milliseconds or more; "
        f"{_BLOCK_MARKER}(None) exempts it from --loop-block-ms",
        f"{_LEAKS_MARKER}(*kinds): fail this test if it leaves 'tasks' or 'threads' running (both when "
        f"none is named); {_LEAKS_MARKER}(None) exempts it from --loop-leaks",
        f"{_STRICT_MARKER}(enabled=True, allow=(), scope=()): fail this test on any known blocking call "
        f"on a loop thread; {_STRICT_MARKER}(False) exempts it from --loop-block-strict",
    ):
        config.addinivalue_line("markers", line)
    asked = _Asked(
        fail_ms=_checked_ms(config.getoption("loop_block_ms")),
        report=bool(config.getoption("loop_block_report")),
        leaks=_leak_kinds(config.getoption("loop_leaks")),
        strict=bool(config.getoption("loop_block_strict")),
        strict_allow=tuple(config.getoption("loop_block_strict_allow")),
        strict_scope=tuple(config.getoption("loop_block_strict_scope")),
    )
    config.stash[_SESSION] = _Session(asked=asked)
    if asked.fail_ms is not None or asked.report or asked.leaks or asked.strict:
        import awaitbench.detect.watchdog  # noqa: F401  (its import is set-up, not a test's cost)


def _checked_ms(value: object) -> float | None:
    if value is not None and not _valid_ms(value):
        raise pytest.UsageError(f"--loop-block-ms must be a positive number of milliseconds, got {value}")
    return None if value is None else float(value)  # type: ignore[arg-type]


def _leak_kinds(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    kinds = tuple(kind.strip() for kind in value.split(",") if kind.strip())
    if not kinds or any(kind not in _LEAK_KINDS for kind in kinds):
        raise pytest.UsageError(f"--loop-leaks takes 'tasks', 'threads' or 'tasks,threads', got {value!r}")
    return kinds


def _valid_ms(value: object) -> bool:
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    )


@dataclass(frozen=True)
class _Wanted:
    """What one test is watched for: blocks at `watch_ms` (failing at `fail_ms`), and the watch of the test
    alone for leaks and blocking calls (None: neither asked)."""

    fail_ms: float | None
    watch_ms: float | None
    alone: WatchConfig | None


def _wanted(item: pytest.Item, asked: _Asked) -> _Wanted:
    fail_ms = asked.fail_ms
    marker = item.get_closest_marker(_BLOCK_MARKER)
    if marker is not None:
        fail_ms = marker.args[0] if marker.args else marker.kwargs.get("ms")
        if fail_ms is not None and not _valid_ms(fail_ms):
            pytest.fail(
                f"@pytest.mark.{_BLOCK_MARKER} needs a positive number of milliseconds (or None), "
                f"got {fail_ms!r}",
                pytrace=False,
            )
    leaks = _marked_leaks(item, asked.leaks)
    strict, allow, scope = _marked_strict(item, asked)
    watch_ms: float | None = float(fail_ms) if fail_ms is not None else None
    if watch_ms is None and asked.report:
        from awaitbench.detect.watchdog import DEFAULT_THRESHOLD_MS

        watch_ms = DEFAULT_THRESHOLD_MS
    alone = None
    if leaks or strict:
        from awaitbench.detect.watchdog import WatchConfig

        alone = WatchConfig(
            loops="all",
            monitor=False,  # blocks are the session watch's
            capture_warnings=watch_ms is None,  # else the session watch hears them
            leaks=leaks,  # type: ignore[arg-type]
            strict=strict,
            strict_allow=allow,
            strict_scope=scope,
        )
    return _Wanted(fail_ms=None if fail_ms is None else float(fail_ms), watch_ms=watch_ms, alone=alone)


def _marked_leaks(item: pytest.Item, asked: tuple[str, ...]) -> tuple[str, ...]:
    marker = item.get_closest_marker(_LEAKS_MARKER)
    if marker is None:
        return asked
    if marker.args == (None,):
        return ()
    kinds = tuple(marker.args) or _LEAK_KINDS
    if any(kind not in _LEAK_KINDS for kind in kinds):
        pytest.fail(
            f"@pytest.mark.{_LEAKS_MARKER} takes 'tasks' and/or 'threads', got {kinds!r}", pytrace=False
        )
    return kinds


def _marked_strict(item: pytest.Item, asked: _Asked) -> tuple[bool, tuple[str, ...], tuple[str, ...]]:
    marker = item.get_closest_marker(_STRICT_MARKER)
    if marker is None:
        return asked.strict, asked.strict_allow, asked.strict_scope
    enabled = bool(marker.args[0]) if marker.args else bool(marker.kwargs.get("enabled", True))
    allow = (*asked.strict_allow, *marker.kwargs.get("allow", ()))
    scope = tuple(marker.kwargs.get("scope", ())) or asked.strict_scope
    return enabled, allow, scope


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    __tracebackhide__ = True  # this wrapper is no part of a failing test's traceback
    session = item.config.stash.get(_SESSION, None)
    if session is None:
        return (yield)
    wanted = _wanted(item, session.asked)
    if wanted.watch_ms is None and wanted.alone is None:
        return (yield)
    window = session.watch_at(wanted.watch_ms) if wanted.watch_ms is not None else None
    alone = _TestWatch(item, wanted.alone) if wanted.alone is not None else None
    if window is not None:
        window.start_window()
    started = time.perf_counter()
    try:
        result = yield
    except BaseException:
        report = _finish(item, session, window, alone, started)
        found = _failure_text(report, blocks=True) if report is not None else ""
        if found:
            item.add_report_section("call", "event loops", found)
        raise
    report = _finish(item, session, window, alone, started)
    failure = _failure_text(report, blocks=_fails_on_blocks(report, wanted)) if report is not None else ""
    if failure:
        _fail(failure)
    return result


def _fails_on_blocks(report: WatchReport, wanted: _Wanted) -> bool:
    """A block fails the test unless its loop was only kept waiting by another thread (a test server's
    idle loop while the test's own thread holds the GIL: that thread is the one to look at), or a garbage
    collection paused it (set off by the whole session's heap, not the test's code); both stay reported."""
    return wanted.fail_ms is not None and any(
        not (block.kept_waiting or block.collected) for block in report.blocks
    )


def _fail(text: str) -> None:
    # Raised outside the hidden wrapper: a traceback with every entry hidden gets a notice saying so.
    pytest.fail(text, pytrace=False)


def _finish(
    item: pytest.Item,
    session: _Session,
    window: LoopWatch | None,
    alone: _TestWatch | None,
    started: float,
) -> WatchReport | None:
    """The test's report: its window of the session watch, with what the watch of the test alone found."""
    own = alone.finish() if alone is not None else None
    if window is None:
        if own is not None and session.asked.report:
            session.results.append((item.nodeid, own))
        return own
    report = window.end_window()
    if own is not None:
        report = dataclasses.replace(
            report,
            leaked_tasks=own.leaked_tasks,
            leaked_threads=own.leaked_threads,
            blocking_calls=own.blocking_calls,
        )
    reason = _unwatched_reason(item, report, (time.perf_counter() - started) * 1000.0)
    if reason is not None:
        session.unwatched.append((item.nodeid, reason))
    elif session.asked.report:
        session.results.append((item.nodeid, report))
    return report


def _runs_on_trio(item: pytest.Item) -> bool:
    """anyio's trio backend or pytest-trio: a Trio run shows on the stack only while a task step runs
    (idle, it waits outside its run loop), so an idle test shows no loop, and a blocking step is found."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    return params.get("anyio_backend") == "trio" or item.get_closest_marker("trio") is not None


def _unwatched_reason(item: pytest.Item, report: WatchReport, elapsed_ms: float) -> str | None:
    """Why an async test was not watched (None when it was): it ran for at least the threshold, so a
    loop running it would have been found, and none was."""
    if report.loops_watched or elapsed_ms < report.threshold_ms or _runs_on_trio(item):
        return None
    if not inspect.iscoroutinefunction(getattr(item, "obj", None)):
        return None  # a sync test: the loops it starts in threads are watched when there are any
    return (
        f"async test ran {elapsed_ms:.0f} ms and no running event loop was found: its runner drives a "
        "loop the watchdog cannot find (it finds asyncio loops through asyncio's own frames, "
        "asyncio.Runner or anyio's test runner, and Trio runs)"
    )


class _TestWatch:
    """The watch of one test alone, for its leaks and blocking calls. An `async def` test is watched from
    inside its own loop, from its first line to its last, whichever plugin runs that loop
    (pytest-asyncio, anyio): its tasks are checked while the loop still runs. A sync test is watched
    around its call."""

    def __init__(self, item: pytest.Item, config: WatchConfig) -> None:
        import asyncio

        from awaitbench.detect.watchdog import LoopWatch

        self._report: WatchReport | None = None
        self._watch: LoopWatch | None = None
        function = getattr(item, "obj", None)
        if not inspect.iscoroutinefunction(function):
            self._watch = LoopWatch(config).start()
            self._undo: Callable[[], None] = lambda: None
            return
        inside = dataclasses.replace(config, loops="auto")  # no asyncio loop (trio): every thread

        @functools.wraps(function)
        async def watched(*args: Any, **kwargs: Any) -> Any:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # not asyncio (trio): nothing to watch from inside
                return await function(*args, **kwargs)
            watch = LoopWatch(inside).start()
            try:
                # The body runs as a task of its own: awaiting that costs one wake-up at its end, where
                # awaiting the coroutine itself would add a frame to each of its steps (+10% CPU on a
                # coroutine-heavy test).
                return await loop.create_task(function(*args, **kwargs))
            finally:
                self._report = watch.stop()

        item.obj = watched  # type: ignore[attr-defined]
        self._undo = lambda: setattr(item, "obj", function)

    def finish(self) -> WatchReport | None:
        """The report (None when an `async def` test never ran, e.g. no plugin runs coroutines)."""
        self._undo()
        if self._watch is not None:
            self._report = self._watch.stop()
        return self._report


def _failure_text(report: WatchReport, *, blocks: bool) -> str:
    """What fails the test: its blocks when `blocks` (the longest of each location in full, three at
    most), leaked tasks and threads, blocking calls. Empty when nothing does."""
    from awaitbench.detect.watchdog import (
        describe_blocking_call,
        describe_leaked_task,
        describe_leaked_thread,
        render_block,
    )

    parts: list[str] = []
    if blocks and report.blocks:
        parts += _blocks_text(report, render_block)
    leaks = [describe_leaked_task(t) for t in report.leaked_tasks]
    leaks += [describe_leaked_thread(t) for t in report.leaked_threads]
    if leaks:
        parts.append(f"left running at the end of this test ({len(leaks)}):\n" + "\n".join(leaks))
    if report.blocking_calls:
        calls = list(dict.fromkeys(describe_blocking_call(c) for c in report.blocking_calls))
        count = len(report.blocking_calls)
        parts.append(f"blocking calls on an event loop's thread ({count}):\n" + "\n".join(calls))
    return "\n\n".join(parts)


def _blocks_text(report: WatchReport, render_block: Callable[..., str]) -> list[str]:
    blocks = len(report.blocks)
    parts = [
        f"event loop blocked ≥ {report.threshold_ms:g} ms during this test: "
        f"{blocks} block{'s' if blocks != 1 else ''}, {report.blocked_ms:.0f} ms in total"
    ]
    for group in report.groups[:_SHOWN_IN_FULL]:
        longest = max(
            (b for b in report.blocks if b.location == group.location),
            key=lambda b: b.duration_ms,
            default=group.example,
        )
        parts.append(render_block(longest, threshold_ms=report.threshold_ms))
    parts += [f"also: {group.describe()}" for group in report.groups[_SHOWN_IN_FULL:]]
    return parts


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(_SESSION, None)
    if state is None:
        return
    state.close()
    worker_output = getattr(session.config, "workeroutput", None)
    if worker_output is not None and (state.results or state.unwatched):  # an xdist worker
        from awaitbench.detect.pytest_xdist import WORKER_OUTPUT_KEY, to_worker_output

        worker_output[WORKER_OUTPUT_KEY] = to_worker_output(state.results, state.unwatched)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist's controller, as each worker finishes: its tests join this session's report."""
    from awaitbench.detect.pytest_xdist import WORKER_OUTPUT_KEY, from_worker_output

    data = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
    state = node.config.stash.get(_SESSION, None)
    if data is None or state is None:
        return
    results, unwatched = from_worker_output(data)
    state.results += results
    state.unwatched += unwatched


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    session = config.stash.get(_SESSION, None)
    if session is None:
        return
    if session.asked.report:
        terminalreporter.write_sep("=", "event-loop blocks (--loop-block-report)")
        _write_blocks(terminalreporter.write_line, session)
    if session.unwatched:
        _write_unwatched(terminalreporter.write_line, session.unwatched)


def _write_blocks(write: Any, session: _Session) -> None:
    from awaitbench.detect.watchdog import describe_leaked_task, describe_leaked_thread
    from awaitbench.detect.watchdog.groups import BlockLog
    from awaitbench.detect.watchdog.render import describe_never_awaited

    log = BlockLog(max_blocks=0)
    tests_at: dict[tuple[str, int], list[str]] = {}
    for nodeid, report in session.results:
        for block in report.blocks:
            log.add(block)
            where = tests_at.setdefault((block.location.file, block.location.line), [])
            if nodeid not in where:
                where.append(nodeid)
    groups = log.groups()
    count = sum(g.count for g in groups)
    write(f"{count} block{'s' if count != 1 else ''} in {len(session.results)} watched tests")
    for group in groups:
        tests = tests_at.get((group.location.file, group.location.line), [])
        more = f" (+{len(tests) - 3} more)" if len(tests) > 3 else ""
        write(f"  {group.describe()} — in {', '.join(tests[:3])}{more}")
    for nodeid, report in session.results:
        pool = report.threadpool
        if pool.saturated:
            write(f"threadpool full ({pool.peak_borrowed}/{pool.total_tokens} tokens) in {nodeid}")
        for item in report.never_awaited:
            write(f"{describe_never_awaited(item)} — in {nodeid}")
        for leak in report.resource_warnings:
            write(f"unclosed: {leak.message} — in {nodeid}")
        for task in report.leaked_tasks:
            write(f"{describe_leaked_task(task)} — in {nodeid}")
        for thread in report.leaked_threads:
            write(f"{describe_leaked_thread(thread)} — in {nodeid}")


def _write_unwatched(write: Any, unwatched: list[tuple[str, str]]) -> None:
    count = len(unwatched)
    write(f"{count} test{'s' if count != 1 else ''} not watched for event-loop blocks:")
    for nodeid, reason in unwatched[:_LISTED]:
        write(f"  {nodeid}: {reason}")
    if count > _LISTED:
        write(f"  (+{count - _LISTED} more)")
