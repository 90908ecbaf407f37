"""What the pytest plugin finds next to its peers, case by case: `python scripts/peer_cases.py`.

One test per case, each in its own `async def` test calling a helper in another file (the blocking line
is the helper's): a 0.3 s `time.sleep`, a 200 ms CPU loop, `requests.get` and `httpx.Client().get` to a
local server that answers in 0.3 s, a 5 ms `time.sleep`, a task left pending, a thread left running, and
a clean test. Each tool runs the whole file in its own pytest process: this plugin (`--loop-block-ms=100
--loop-leaks=tasks,threads --loop-block-strict`), pyleak (`@pytest.mark.no_leaks` on every test),
blockbuster (`blockbuster_ctx()` around every test) and asyncio debug mode (`PYTHONASYNCIODEBUG=1` and
pytest-asyncio's `asyncio_debug=true`; it logs slow callbacks and fails nothing). A case is *detected*
when its test fails (debug mode: when it logs the slow callback), and *names the line* when the output
for that test holds `helpers.py:<the line>` (or a traceback's `helpers.py", line <the line>`). The table
in docs/detect.md comes from this; tests/scripts/test_peer_cases.py keeps this plugin's column true.
Peers not importable by `--python` are skipped (install them in a scratch venv: `pip install -e . pyleak
blockbuster`).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CASES", "TOOLS", "Case", "Outcome", "Tool", "run_tool"]

HELPERS = """
import asyncio
import threading
import time

import httpx
import requests


def sleep_300ms():
    time.sleep(0.3)  # LINE:sleep_300ms


def cpu_200ms():
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:  # LINE:cpu_200ms
        pass


def requests_get(url):
    return requests.get(url, timeout=5).status_code  # LINE:requests_get


def httpx_client_get(url):
    return httpx.Client(timeout=5).get(url).status_code  # LINE:httpx_client_get


def sleep_5ms():
    time.sleep(0.005)  # LINE:sleep_5ms


async def _forever():
    await asyncio.sleep(30)


def leak_task():
    asyncio.get_running_loop().create_task(_forever())  # LINE:leaked_task


def leak_thread():
    stop = threading.Event()
    threading.Thread(target=stop.wait, args=(3,), name="left-running").start()  # LINE:leaked_thread
"""

TESTS = """
import asyncio

import pytest

import helpers


@pytest.mark.asyncio
async def test_sleep_300ms():
    helpers.sleep_300ms()


@pytest.mark.asyncio
async def test_cpu_200ms():
    helpers.cpu_200ms()


@pytest.mark.asyncio
async def test_requests_get(slow_url):
    helpers.requests_get(slow_url)


@pytest.mark.asyncio
async def test_httpx_client_get(slow_url):
    helpers.httpx_client_get(slow_url)


@pytest.mark.asyncio
async def test_sleep_5ms():
    helpers.sleep_5ms()


@pytest.mark.asyncio
async def test_leaked_task():
    helpers.leak_task()
    await asyncio.sleep(0.05)


@pytest.mark.asyncio
async def test_leaked_thread():
    helpers.leak_thread()
    await asyncio.sleep(0.05)


@pytest.mark.asyncio
async def test_clean():
    for _ in range(20):
        await asyncio.gather(*(asyncio.sleep(0.001) for _ in range(20)))
"""

CONFTEST = """
import http.server
import os
import threading
import time

import pytest

TOOL = os.environ.get("PEER_CASES_TOOL", "")


class _Slow(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(0.3)
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def slow_url():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def pytest_collection_modifyitems(items):
    if TOOL == "pyleak":
        for item in items:
            item.add_marker(pytest.mark.no_leaks)


@pytest.fixture(autouse=True)
def _blockbuster():
    if TOOL != "blockbuster":
        yield
        return
    from blockbuster import blockbuster_ctx

    with blockbuster_ctx():
        yield
"""


@dataclass(frozen=True, kw_only=True)
class Case:
    name: str
    what: str


CASES = (
    Case(name="sleep_300ms", what="`time.sleep(0.3)` in a helper"),
    Case(name="cpu_200ms", what="200 ms CPU loop in a helper"),
    Case(name="requests_get", what="`requests.get` (0.3 s answer)"),
    Case(name="httpx_client_get", what="`httpx.Client().get` (0.3 s answer)"),
    Case(name="sleep_5ms", what="`time.sleep(0.005)`"),
    Case(name="leaked_task", what="task left pending"),
    Case(name="leaked_thread", what="thread left running"),
    Case(name="clean", what="clean test"),
)


@dataclass(frozen=True, kw_only=True)
class Tool:
    name: str
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    needs: str | None = None
    logs_only: bool = False  # detects by logging, never fails a test


TOOLS = (
    Tool(
        name="awaitbench",
        args=("--loop-block-ms=100", "--loop-leaks=tasks,threads", "--loop-block-strict"),
    ),
    Tool(name="pyleak", env=(("PEER_CASES_TOOL", "pyleak"),), needs="pyleak"),
    Tool(name="blockbuster", env=(("PEER_CASES_TOOL", "blockbuster"),), needs="blockbuster"),
    Tool(
        name="asyncio debug",
        args=("-o", "log_cli=true", "--log-cli-level=WARNING", "-o", "asyncio_debug=true"),
        env=(("PYTHONASYNCIODEBUG", "1"),),
        logs_only=True,
    ),
)


@dataclass(frozen=True, kw_only=True)
class Outcome:
    detected: bool
    names_line: bool


def write_project(directory: Path) -> None:
    (directory / "helpers.py").write_text(HELPERS.lstrip("\n"))
    (directory / "test_cases.py").write_text(TESTS.lstrip("\n"))
    (directory / "conftest.py").write_text(CONFTEST.lstrip("\n"))
    (directory / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = function\n")


def helper_line(case: str) -> int:
    """The line of `helpers.py` a tool should name for `case`."""
    lines = HELPERS.lstrip("\n").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.endswith(f"# LINE:{case}"))


def _sections(output: str) -> dict[str, str]:
    """Each test's part of the output: its failure section, or its live log lines (`-o log_cli`)."""
    parts: dict[str, str] = {}
    for match in re.finditer(r"_{3,} (test_\w+) _{3,}\n(.*?)(?=\n_{3,} test_|\n={3,} )", output, re.S):
        parts[match.group(1)] = parts.get(match.group(1), "") + match.group(2)
    for match in re.finditer(
        r"test_cases\.py::(test_\w+)\s*\n(.*?)(?=test_cases\.py::|\n={3,} )", output, re.S
    ):
        parts[match.group(1)] = parts.get(match.group(1), "") + match.group(2)
    return parts


def run_tool(tool: Tool, directory: Path, python: str = sys.executable) -> dict[str, Outcome]:
    """Run every case under `tool`; what it detected and whether it named the helper's line."""
    env = {**os.environ, **dict(tool.env)}
    done = subprocess.run(
        [python, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:locust", "-rA", "-v", *tool.args],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = done.stdout + done.stderr
    failed = set(re.findall(r"(?:FAILED|ERROR) test_cases\.py::(test_\w+)", output))
    sections = _sections(output)
    outcomes: dict[str, Outcome] = {}
    for case in CASES:
        test = f"test_{case.name}"
        text = sections.get(test, "")
        logged = "Executing <Task" in text and "took" in text
        detected = logged if tool.logs_only else test in failed
        line = helper_line(case.name) if case.name != "clean" else 0
        names = f"helpers.py:{line}" in text or f'helpers.py", line {line},' in text  # ours, or a traceback
        outcomes[case.name] = Outcome(detected=detected, names_line=detected and names)
    return outcomes


def _importable(python: str, module: str) -> bool:
    return subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/peer_cases.py", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--python", default=sys.executable, help="the interpreter whose pytest runs the cases"
    )
    args = parser.parse_args(argv)
    tools = [t for t in TOOLS if t.needs is None or _importable(args.python, t.needs)]
    with tempfile.TemporaryDirectory(prefix="peer-cases-") as tmp:
        directory = Path(tmp)
        write_project(directory)
        results = {tool.name: run_tool(tool, directory, args.python) for tool in tools}
    print("| case | " + " | ".join(tool.name for tool in tools) + " |")
    print("|---|" + "---|" * len(tools))
    for case in CASES:
        cells = []
        for tool in tools:
            outcome = results[tool.name][case.name]
            if case.name == "clean":
                cells.append("passes" if not outcome.detected else "**flagged**")
            else:
                cells.append(("line" if outcome.names_line else "yes") if outcome.detected else "no")
        print(f"| {case.what} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
