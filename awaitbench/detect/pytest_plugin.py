"""pytest plugin: fail a test during which an event loop was blocked, naming the line that blocked it.

Registered through the `pytest11` entry point, so it is loaded into every pytest run once awaitbench is
installed, and does nothing unless asked:

    pytest --loop-block-ms=100          # fail any test whose event loop blocked for ≥ 100 ms
    pytest --loop-block-report          # print every block at the end; fail nothing
    @pytest.mark.loop_block_ms(100)     # this test only (None exempts a test from --loop-block-ms)

The test's call phase runs under `awaitbench.detect.watchdog.watch_loop(loops="all")`, which finds the event
loops
of every thread from their stacks: pytest-asyncio's and anyio's (`@pytest.mark.anyio`) in the main
thread, and the portal thread of FastAPI's TestClient, with nothing patched. A failure shows the
location (file:line and source line) of the user's innermost frame, the duration, running vs parked
and the stack. Import-light on purpose: nothing but pytest is imported until a test asks for a watch.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from awaitbench.detect.watchdog import WatchReport

__all__ = ["pytest_addoption", "pytest_configure", "pytest_runtest_call", "pytest_terminal_summary"]

_MARKER = "loop_block_ms"
_SHOWN_IN_FULL = 3


@dataclass
class _Session:
    fail_ms: float | None
    report: bool
    results: list[tuple[str, WatchReport]] = field(default_factory=list)


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
    session = item.config.stash.get(_SESSION, None)
    fail_ms, watch_ms = _thresholds(item, session) if session is not None else (None, None)
    if watch_ms is None:
        return (yield)
    from awaitbench.detect.watchdog import watch_loop

    watch = watch_loop(threshold_ms=watch_ms, loops="all").start()
    try:
        result = yield
    except BaseException:
        report = watch.stop()
        _record(item, session, report)
        if report.blocks:
            item.add_report_section("call", "event-loop blocks", _failure_text(report))
        raise
    report = watch.stop()
    _record(item, session, report)
    if fail_ms is not None and report.blocks:
        pytest.fail(_failure_text(report), pytrace=False)
    return result


def _record(item: pytest.Item, session: _Session | None, report: WatchReport) -> None:
    if session is not None and session.report:
        session.results.append((item.nodeid, report))


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


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    session = config.stash.get(_SESSION, None)
    if session is None or not session.report:
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
