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


def test_severity_follows_the_expected_cost() -> None:
    findings = lint_text(
        """
        import sqlite3, subprocess, time
        from passlib.context import CryptContext
        hasher = CryptContext(schemes=["bcrypt"])

        async def handler(path, password):
            subprocess.run(["convert", path])
            time.sleep(1)
            hasher.hash(password)
            sqlite3.connect(path)
            open(path)
        """,
        "AWB102",
    )
    assert [f.severity for f in findings] == ["high", "high", "medium", "low", "low"]


def test_start_up_hooks_and_cached_helpers_block_no_request() -> None:
    source = """
        import functools, json
        from fastapi import FastAPI

        @functools.cache
        def config():
            with open("config.json") as handle:
                return json.load(handle)

        async def lifespan(app):
            open("warmup.bin").read()
            yield

        app = FastAPI(lifespan=lifespan)

        @app.on_event("startup")
        async def warm():
            open("cache.bin").read()

        @app.get("/")
        async def index():
            return config()
        """
    assert not codes_at(source, "AWB102")


def test_procfs_and_sysfs_reads_wait_for_nothing() -> None:
    source = """
        import os

        async def cpu_seconds():
            with open(f"/proc/{os.getpid()}/stat") as stat:
                return stat.read()

        async def settings():
            with open("settings.json") as handle:
                return handle.read()
        """
    assert codes_at(source, "AWB102") == [(9, "AWB102")]
