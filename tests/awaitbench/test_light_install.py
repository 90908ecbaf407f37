"""`pip install awaitbench` without extras, as a team would: the wheel built from this tree, installed into a
fresh venv, brings only the detection runtime's dependencies, and there the pytest plugin fails a blocking
test, the middleware logs a block, `awaitbench lint` lints and a toolkit command names the extra to install.

One venv per module (built once, ~20 s: a wheel, a venv without pip driven by this venv's pip, the
packages from pip's cache); pytest, anyio, trio, uvloop and pytest-xdist are added after the dependency
check, as a team's test environment has them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("awaitbench", "bench", "fake_llm", "scenarios", "reports", "pyproject.toml", "README.md")
RUNTIME = {"awaitbench", "ddsketch", "six"}  # what `pip install awaitbench` brings, nothing else
TEST_TOOLS = ("pytest", "anyio", "trio", "uvloop", "pytest-xdist")
NEVER = {"fastapi", "uvicorn", "locust", "matplotlib", "numpy", "websockets", "openai", "pydantic"}


def _pip(venv: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "--quiet", *args],
        check=True,
        capture_output=True,
        text=True,
    )


def _installed(venv: Path) -> set[str]:
    listing = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "list", "--format", "json"],
        check=True,
        capture_output=True,
        text=True,
    )
    return {entry["name"].lower() for entry in json.loads(listing.stdout)}


@pytest.fixture(scope="module")
def light_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv holding the wheel of this tree without extras (checked), then pytest."""
    work = tmp_path_factory.mktemp("light")
    source = work / "src"
    for name in SOURCES:  # a copy, so the build leaves no build/ directory in the tree
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, source / name)
    build = ("wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir", str(work / "dist"))
    subprocess.run(
        [sys.executable, "-m", "pip", *build, str(source)],
        check=True,
        capture_output=True,
    )
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (wheel,) = (work / "dist").glob("awaitbench-*.whl")
    _pip(venv, "install", str(wheel))
    assert _installed(venv) == RUNTIME
    _pip(venv, "install", "-c", str(ROOT / "constraints.txt"), *TEST_TOOLS)
    yield venv


PYTEST = ("python", "-m", "pytest", "-p", "no:cacheprovider")


def _run(venv: Path, cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / argv[0]), *argv[1:]], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_the_light_install_brings_none_of_the_toolkit(light_venv: Path) -> None:
    assert not _installed(light_venv) & NEVER


def test_the_pytest_plugin_fails_a_blocking_test_naming_its_line(light_venv: Path, tmp_path: Path) -> None:
    (tmp_path / "test_blocking.py").write_text(
        textwrap.dedent(
            """
            import asyncio
            import time


            async def handler():
                time.sleep(0.3)  # the blocking line


            def test_blocks():
                asyncio.run(handler())
            """
        )
    )
    result = _run(light_venv, tmp_path, *PYTEST, "--loop-block-ms=100")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "test_blocking.py:7 in handler: time.sleep(0.3)  # the blocking line" in result.stdout


def test_the_middleware_logs_a_block_naming_its_line(light_venv: Path, tmp_path: Path) -> None:
    (tmp_path / "serve.py").write_text(
        textwrap.dedent(
            """
            import asyncio
            import logging
            import time

            from awaitbench.detect.middleware import LoopWatchMiddleware


            async def app(scope, receive, send):
                time.sleep(0.3)  # the blocking line
                await send({"type": "http.response.start", "status": 200, "headers": []})
                await send({"type": "http.response.body", "body": b"ok"})


            async def main():
                watched = LoopWatchMiddleware(app, threshold_ms=100, metrics=False)

                async def receive():
                    return {"type": "http.request", "body": b""}

                async def send(message):
                    pass

                scope = {"type": "http", "method": "GET", "path": "/slow", "headers": []}
                await watched(scope, receive, send)
                await asyncio.sleep(0.1)  # a check after the block ends it
                print(watched.report().groups[0].describe())


            logging.basicConfig(level=logging.WARNING, format="%(message)s")
            asyncio.run(main())
            """
        )
    )
    result = _run(light_venv, tmp_path, "python", "serve.py")
    assert result.returncode == 0, result.stderr
    assert "at=serve.py:10 function=app" in result.stderr
    assert result.stdout.startswith("serve.py:10 `time.sleep(0.3)  # the blocking line` in app — 1 block")


def test_awaitbench_lint_runs_and_toolkit_commands_name_the_extra(light_venv: Path, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import time\n\n\nasync def handler():\n    time.sleep(1)\n")
    lint = _run(light_venv, tmp_path, "awaitbench", "lint", "app.py")
    assert lint.returncode == 1, lint.stderr
    assert "app.py:5:5: AWB102 " in lint.stdout, lint.stdout
    assert "blocking call `time.sleep` inside `async def handler`" in lint.stdout
    run = _run(light_venv, tmp_path, "awaitbench", "run", "--quick")
    assert run.returncode == 2
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith(
        "awaitbench: error: 'awaitbench run' needs the toolkit, which is not installed here"
    )
    assert line.endswith(": pip install 'awaitbench[bench]'") and "missing: fastapi, uvicorn" in line


BACKENDS = """
import time

import pytest


@pytest.fixture(
    params=["asyncio", ("asyncio", {"use_uvloop": True}), "trio"], ids=["asyncio", "uvloop", "trio"]
)
def anyio_backend(request):
    return request.param


@pytest.mark.anyio
async def test_sleeps():
    time.sleep(0.2)  # the blocking line
"""
SLEEP_LINE = BACKENDS.splitlines().index("    time.sleep(0.2)  # the blocking line") + 1


def test_each_anyio_backend_fails_naming_the_line_and_xdist_reports_them(
    light_venv: Path, tmp_path: Path
) -> None:
    (tmp_path / "test_backends.py").write_text(BACKENDS)
    failing = _run(light_venv, tmp_path, *PYTEST, "--loop-block-ms=100")
    assert failing.returncode == 1, failing.stdout + failing.stderr
    for backend in ("asyncio", "uvloop", "trio"):
        assert f"FAILED test_backends.py::test_sleeps[{backend}]" in failing.stdout
    failures = failing.stdout.split("short test summary info")[0]  # the summary's width follows $COLUMNS
    assert failures.count(f"at test_backends.py:{SLEEP_LINE} in test_sleeps: time.sleep(0.2)") == 3
    reported = _run(light_venv, tmp_path, *PYTEST, "-n", "2", "--loop-block-report")
    assert reported.returncode == 0, reported.stdout + reported.stderr
    assert "3 blocks in 3 watched tests" in reported.stdout, reported.stdout
    group = f"test_backends.py:{SLEEP_LINE} `time.sleep(0.2)  # the blocking line` in test_sleeps — 3 blocks"
    assert group in reported.stdout
