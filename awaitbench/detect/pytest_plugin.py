"""pytest plugin: fail a test during which an event loop was blocked, naming the line that blocked it.

Registered through the `pytest11` entry point, so it is loaded into every pytest run once awaitbench is
installed, and does nothing unless asked:

    pytest --loop-block-ms=100          # fail any test whose event loop blocked for ≥ 100 ms
    pytest --loop-block-report          # print every block at the end; fail nothing
    @pytest.mark.loop_block_ms(100)     # this test only (None exempts a test from --loop-block-ms)

One watch (`watch_loop(loops="all")`: one monitor thread) runs from the first watched test to the end of
the session, and each test's call phase is a window of it. It finds the loops of every thread from their
stacks (pytest-asyncio's, anyio's on asyncio, uvloop and trio, FastAPI's TestClient portal, trio runs); an
async test during which it found none is listed as unwatched, with the reason. With pytest-xdist the
workers' windows reach the controller's report (`awaitbench.detect.pytest_xdist`). Import-light: nothing
but pytest is imported until a test asks for a watch. docs/detect.md has the details.
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from awaitbench.detect.watchdog import LoopWatch, WatchReport

__all__ = [
    "pytest_addoption",
    "pytest_configure",
    "pytest_runtest_call",
    "pytest_sessionfinish",
    "pytest_terminal_summary",
    "pytest_testnodedown",
]

_MARKER = "loop_block_ms"
_SHOWN_IN_FULL = 3
_LISTED = 10


@dataclass
class _Session:
    fail_ms: float | None
    report: bool
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
    group = parser.getgroup("loop-block", "event-loop blocking (awaitbench detect)")
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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(ms): fail this test if an event loop does not run for ms milliseconds or more; "
        f"{_MARKER}(None) exempts it from --loop-block-ms",
    )
    fail_ms = config.getoption("loop_block_ms")
    if fail_ms is not None and not _valid_ms(fail_ms):
        raise pytest.UsageError(f"--loop-block-ms must be a positive number of milliseconds, got {fail_ms}")
    config.stash[_SESSION] = _Session(fail_ms=fail_ms, report=bool(config.getoption("loop_block_report")))


def _valid_ms(value: object) -> bool:
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    )


def _thresholds(item: pytest.Item, session: _Session) -> tuple[float | None, float | None]:
    """(fail at ms, watch at ms) for this test; (None, None) when it is not watched."""
    marker = item.get_closest_marker(_MARKER)
    fail_ms = session.fail_ms
    if marker is not None:
        fail_ms = marker.args[0] if marker.args else marker.kwargs.get("ms")
        if fail_ms is not None and not _valid_ms(fail_ms):
            pytest.fail(
                f"@pytest.mark.{_MARKER} needs a positive number of milliseconds (or None), got {fail_ms!r}",
                pytrace=False,
            )
    if fail_ms is not None:
        return float(fail_ms), float(fail_ms)
    if session.report:
        from awaitbench.detect.watchdog import DEFAULT_THRESHOLD_MS

        return None, DEFAULT_THRESHOLD_MS
    return None, None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    __tracebackhide__ = True  # this wrapper is no part of a failing test's traceback
    session = item.config.stash.get(_SESSION, None)
    fail_ms, watch_ms = _thresholds(item, session) if session is not None else (None, None)
    if session is None or watch_ms is None:
        return (yield)
    watch = session.watch_at(watch_ms)
    watch.start_window()
    started = time.perf_counter()
    try:
        result = yield
    except BaseException:
        report = _end_window(item, session, watch, started)
        if report.blocks:
            item.add_report_section("call", "event-loop blocks", _failure_text(report))
        raise
    report = _end_window(item, session, watch, started)
    if fail_ms is not None and report.blocks:
        _fail(report)
    return result


def _fail(report: WatchReport) -> None:
    # Raised outside the hidden wrapper: a traceback with every entry hidden gets a notice saying so.
    pytest.fail(_failure_text(report), pytrace=False)


def _end_window(item: pytest.Item, session: _Session, watch: LoopWatch, started: float) -> WatchReport:
    report = watch.end_window()
    reason = _unwatched_reason(item, report, (time.perf_counter() - started) * 1000.0)
    if reason is not None:
        session.unwatched.append((item.nodeid, reason))
    elif session.report:
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


def _failure_text(report: WatchReport) -> str:
    """The longest block of each location in full (three at most), then one line per other location."""
    from awaitbench.detect.watchdog import render_block

    blocks = len(report.blocks)
    head = (
        f"event loop blocked ≥ {report.threshold_ms:g} ms during this test: "
        f"{blocks} block{'s' if blocks != 1 else ''}, {report.blocked_ms:.0f} ms in total"
    )
    parts = [head]
    for group in report.groups[:_SHOWN_IN_FULL]:
        longest = max(
            (b for b in report.blocks if b.location == group.location),
            key=lambda b: b.duration_ms,
            default=group.example,
        )
        parts.append(render_block(longest, threshold_ms=report.threshold_ms))
    parts += [f"also: {group.describe()}" for group in report.groups[_SHOWN_IN_FULL:]]
    return "\n\n".join(parts)


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
    if session.report:
        terminalreporter.write_sep("=", "event-loop blocks (--loop-block-report)")
        _write_blocks(terminalreporter.write_line, session)
    if session.unwatched:
        _write_unwatched(terminalreporter.write_line, session.unwatched)


def _write_blocks(write: Any, session: _Session) -> None:
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


def _write_unwatched(write: Any, unwatched: list[tuple[str, str]]) -> None:
    count = len(unwatched)
    write(f"{count} test{'s' if count != 1 else ''} not watched for event-loop blocks:")
    for nodeid, reason in unwatched[:_LISTED]:
        write(f"  {nodeid}: {reason}")
    if count > _LISTED:
        write(f"  (+{count - _LISTED} more)")
