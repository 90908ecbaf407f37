"""The pytest plugin, run by pytester in a subprocess (a fresh pytest with the installed entry point).

The files below are the Done-when case: an async test calling a helper in another file that sleeps
0.3 s, next to a clean test. Margins: 300 ms blocks against a 100 ms threshold; a block reads at most
one check interval (20 ms) short.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

HELPER = """
import time


def slow_helper():
    time.sleep(0.3)
"""

TESTS = """
import asyncio

import pytest

from helpers import slow_helper


@pytest.mark.asyncio
async def test_blocks():
    await asyncio.sleep(0)
    slow_helper()


@pytest.mark.asyncio
async def test_clean():
    await asyncio.sleep(0.3)
"""

MORE_TESTS = """
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from helpers import slow_helper


@pytest.mark.anyio
async def test_anyio_blocks():
    slow_helper()


def test_testclient_blocks():
    app = FastAPI()

    @app.get("/slow")
    async def slow():
        slow_helper()
        return {}

    with TestClient(app) as client:
        assert client.get("/slow").status_code == 200


@pytest.mark.anyio
async def test_asgi_transport_blocks():
    import httpx

    app = FastAPI()

    @app.get("/slow")
    async def slow():
        slow_helper()
        return {}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        assert (await client.get("/slow")).status_code == 200


@pytest.mark.loop_block_ms(None)
@pytest.mark.anyio
async def test_exempt():
    slow_helper()


@pytest.mark.loop_block_ms(1000)
@pytest.mark.anyio
async def test_higher_threshold():
    slow_helper()
"""

MARKED = """
import pytest

from helpers import slow_helper


@pytest.mark.loop_block_ms(100)
@pytest.mark.anyio
async def test_marked():
    slow_helper()


@pytest.mark.anyio
async def test_unmarked():
    slow_helper()
"""


LEAKS_AND_STRICT = """
import asyncio
import threading
import time

import pytest


async def forever():
    await asyncio.sleep(30)


async def notify():
    pass


@pytest.mark.asyncio
async def test_leaks_a_task():
    asyncio.create_task(forever())


@pytest.mark.asyncio
async def test_leaks_a_thread():
    threading.Thread(target=time.sleep, args=(1,), name="left-over").start()


@pytest.mark.asyncio
async def test_sleeps_5ms():
    time.sleep(0.005)


@pytest.mark.loop_leaks(None)
@pytest.mark.loop_block_strict(False)
@pytest.mark.asyncio
async def test_exempt():
    asyncio.create_task(forever())
    time.sleep(0.005)


@pytest.mark.asyncio
async def test_forgets_an_await():
    notify()
"""


def line_of(source: str, needle: str) -> int:
    """The line of `needle` in a file pytester writes (it drops the leading newline)."""
    return next(i for i, line in enumerate(source.lstrip("\n").splitlines(), 1) if needle in line)


SLEEP_LINE = line_of(HELPER, "time.sleep(0.3)")
ARGS = ("-p", "no:locust", "-p", "no:cacheprovider", "-o", "asyncio_default_fixture_loop_scope=function")


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(helpers=HELPER, test_blocking=TESTS)
    pytester.syspathinsert()
    return pytester


def test_fails_the_blocking_test_naming_the_helper_line(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess(*ARGS, "--loop-block-ms=100", timeout=120)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ test_blocks _*",
            "event loop blocked ≥ 100 ms during this test: 1 block, * ms in total",
            "event loop blocked for * ms (threshold 100 ms): parked*",
            f"  at helpers.py:{SLEEP_LINE} in slow_helper: time.sleep(0.3)",
            "*stack (most recent call last):",
            f"*test_blocking.py:{line_of(TESTS, 'slow_helper()')} in test_blocks",
            "*slow_helper()",
            f"*helpers.py:{SLEEP_LINE} in slow_helper",
            "*FAILED test_blocking.py::test_blocks - Failed: event loop blocked*",
        ]
    )
    assert "test_clean" not in result.stdout.str().split("short test summary")[-1]


def test_off_by_default(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess(*ARGS, timeout=120)
    result.assert_outcomes(passed=2)
    assert "event loop blocked" not in result.stdout.str()


def test_anyio_testclient_marker_exemption_and_threshold(project: pytest.Pytester) -> None:
    project.makepyfile(test_more=MORE_TESTS)
    result = project.runpytest_subprocess(*ARGS, "--loop-block-ms=100", "test_more.py", "-v", timeout=120)
    result.assert_outcomes(passed=2, failed=3)
    for outcome in (  # anyio's plugin reorders its tests: one pattern at a time
        "*test_anyio_blocks* FAILED*",
        "*test_testclient_blocks FAILED*",
        "*test_asgi_transport_blocks* FAILED*",
        "*test_exempt* PASSED*",
        "*test_higher_threshold* PASSED*",
    ):
        result.stdout.fnmatch_lines([outcome])
    # TestClient runs the app on a portal thread: found there, route handler and helper named.
    handler_line = line_of(MORE_TESTS, "        slow_helper()")
    result.stdout.fnmatch_lines(
        ["*_ test_testclient_blocks _*", "*thread asyncio-portal-*", f"*test_more.py:{handler_line} in*"]
    )


def test_marker_alone_turns_it_on_for_that_test(project: pytest.Pytester) -> None:
    project.makepyfile(test_marked=MARKED)
    result = project.runpytest_subprocess(*ARGS, "test_marked.py", "-v", timeout=120)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_marked* FAILED*", "*test_unmarked* PASSED*"])


def test_report_summarises_without_failing(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess(*ARGS, "--loop-block-report", timeout=120)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*event-loop blocks (--loop-block-report)*",
            "1 block in 2 watched tests",
            f"  helpers.py:{SLEEP_LINE} `time.sleep(0.3)` in slow_helper — 1 block, * ms total, "
            "p99 * ms, parked — in test_blocking.py::test_blocks",
        ]
    )


def test_a_bad_threshold_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess(*ARGS, "--loop-block-ms=0", timeout=120)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--loop-block-ms must be a positive number of milliseconds, got 0.0*"])


def test_leaks_and_strict_mode_fail_the_test_naming_the_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_more=LEAKS_AND_STRICT)
    result = pytester.runpytest_subprocess(
        *ARGS, "--loop-leaks=tasks,threads", "--loop-block-strict", "--loop-block-report", "-v", timeout=120
    )
    result.assert_outcomes(passed=2, failed=3)
    for outcome in ("*test_leaks_a_task FAILED*", "*test_leaks_a_thread FAILED*", "*test_sleeps_5ms FAILED*"):
        result.stdout.fnmatch_lines([outcome])
    result.stdout.fnmatch_lines(["*test_exempt PASSED*", "*test_forgets_an_await PASSED*"])
    task_line = line_of(LEAKS_AND_STRICT, "asyncio.create_task(forever())")
    thread_line = line_of(LEAKS_AND_STRICT, "threading.Thread(")
    sleep_line = line_of(LEAKS_AND_STRICT, "    time.sleep(0.005)")
    result.stdout.fnmatch_lines(
        [
            "*_ test_leaks_a_task _*",
            "left running at the end of this test (1):",
            f"task Task-* running forever() still pending; created at test_more.py:{task_line} in "
            "test_leaks_a_task: asyncio.create_task(forever())*",
        ]
    )
    result.stdout.fnmatch_lines(
        [f"thread left-over (time.sleep) still running; started at test_more.py:{thread_line} in *"]
    )
    result.stdout.fnmatch_lines(
        [
            "blocking calls on an event loop's thread (1):",
            f"time.sleep(0.005) on the loop thread MainThread at test_more.py:{sleep_line} in test_sleeps*",
        ]
    )
    # The test's very first statement: named at its line with no origin tracking.
    notify_line = line_of(LEAKS_AND_STRICT, "    notify()")
    result.stdout.fnmatch_lines(
        [f"coroutine 'notify' (test_more.py:*) was never awaited; created at test_more.py:{notify_line} in *"]
    )


def test_a_bad_leak_kind_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess(*ARGS, "--loop-leaks=sockets", timeout=120)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--loop-leaks takes 'tasks', 'threads' or 'tasks,threads', got 'sockets'*"])
