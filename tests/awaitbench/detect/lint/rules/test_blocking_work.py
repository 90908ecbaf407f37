"""AWB102: blocking calls on the loop, direct (ruff also reports those) and through helpers (it does not)."""

from __future__ import annotations

import pytest

from tests.awaitbench.detect.lint.helpers import codes_at, lint_text


@pytest.mark.parametrize(
    ("call", "ruff"),
    [("time.sleep(1)", "ASYNC251"), ("open('f')", "ASYNC230"), ("subprocess.run(['ls'])", "ASYNC221")],
)
def test_direct_calls_name_the_ruff_rule(call: str, ruff: str) -> None:
    [finding] = lint_text(f"import subprocess, time\nasync def f():\n    {call}\n", "AWB102")
    assert ruff in finding.message


def test_recursive_helpers_terminate_and_report_once() -> None:
    source = """
        import time

        def a(n):
            if n:
                return b(n - 1)
            time.sleep(1)

        def b(n):
            return a(n)

        async def handler():
            a(3)
        """
    assert codes_at(source, "AWB102") == [(13, "AWB102")]


def test_offloaded_and_deferred_calls_are_not_blocking() -> None:
    assert not codes_at(
        """
        import asyncio, time

        def work():
            time.sleep(1)

        async def handler(loop):
            await asyncio.to_thread(work)
            await loop.run_in_executor(None, work)
            callback = lambda: work()
            def later():
                work()
            return callback, later
        """,
        "AWB102",
    )
