"""pytest plugin: fail a test that blocks an event loop, leaves tasks or threads running, or makes a
blocking call on a loop thread, naming the line.

Registered through the `pytest11` entry point, so it is loaded into every pytest run once awaitbench is
installed, and does nothing unless asked:

    pytest --loop-block-ms=100          # fail any test whose event loop blocked for ≥ 100 ms
    pytest --loop-block-report          # print every block at the end; fail nothing
    pytest --loop-leaks=tasks,threads   # fail a test that leaves tasks pending or threads running
    pytest --loop-block-strict          # fail a test that makes a known blocking call on a loop thread
    @pytest.mark.loop_block_ms(100)     # this test only (None exempts a test from --loop-block-ms)
    @pytest.mark.loop_leaks("tasks")    # likewise (None exempts); @pytest.mark.loop_block_strict(False)

An `async def` test is watched from inside its own loop, first line to last (pytest-asyncio's or anyio's);
a sync test's call runs under `watch_loop(loops="all")`, which finds the event loops of every thread from
their stacks (the portal thread of FastAPI's TestClient). Import-light on purpose: the watchdog is
imported only when an option or marker asks for it.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from awaitbench.detect.watchdog import LoopWatch, WatchConfig, WatchReport

__all__ = ["pytest_addoption", "pytest_configure", "pytest_runtest_call", "pytest_terminal_summary"]

_BLOCK_MARKER, _LEAKS_MARKER, _STRICT_MARKER = "loop_block_ms", "loop_leaks", "loop_block_strict"
_LEAK_KINDS = ("tasks", "threads")
_SHOWN_IN_FULL = 3


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


def _watch_config(item: pytest.Item, asked: _Asked) -> tuple[WatchConfig | None, float | None]:
    """The watch this test needs (None: not watched) and the block duration that fails it."""
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
    watch_blocks = fail_ms is not None or asked.report
    if not (watch_blocks or leaks or strict):
        return None, None
    from awaitbench.detect.watchdog import DEFAULT_THRESHOLD_MS, WatchConfig

    config = WatchConfig(
        threshold_ms=float(fail_ms) if fail_ms is not None else DEFAULT_THRESHOLD_MS,
        loops="all",
        monitor=watch_blocks,
        leaks=leaks,  # type: ignore[arg-type]
        strict=strict,
        strict_allow=allow,
        strict_scope=scope,
    )
    return config, None if fail_ms is None else float(fail_ms)


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
    session = item.config.stash.get(_SESSION, None)
    config, fail_ms = _watch_config(item, session.asked) if session is not None else (None, None)
    if config is None:
        return (yield)
    watching = _TestWatch(item, config)
    try:
        result = yield
    except BaseException:
        report = watching.finish()
        if report is not None:
            _record(item, session, report)
            found = _failure_text(report, blocks=True)
            if found:
                item.add_report_section("call", "event loops", found)
        raise
    report = watching.finish()
    if report is not None:
        _record(item, session, report)
        failure = _failure_text(report, blocks=fail_ms is not None)
        if failure:
            pytest.fail(failure, pytrace=False)
    return result


class _TestWatch:
    """The watch of one test's call phase. An `async def` test is watched from inside its own loop, from
    its first line to its last, whichever plugin runs that loop (pytest-asyncio, anyio): the loop is
    attached at once and its tasks checked while it still runs, and no other thread is searched (a sync
    wait inside the test blocks this very loop). A sync test is watched around its call, on every loop
    the threads run (FastAPI's TestClient runs the app on a portal thread)."""

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


def _record(item: pytest.Item, session: _Session | None, report: WatchReport) -> None:
    if session is not None and session.asked.report:
        session.results.append((item.nodeid, report))


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


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    session = config.stash.get(_SESSION, None)
    if session is None or not session.asked.report:
        return
    from awaitbench.detect.watchdog.groups import BlockLog
    from awaitbench.detect.watchdog.render import describe_never_awaited

    write = terminalreporter.write_line
    terminalreporter.write_sep("=", "event-loop blocks (--loop-block-report)")
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
