"""The suite's own scheduling: with `-n 2 --dist loadgroup` (the Makefile's), a module-scoped fixture of a
test module is built on one worker only (tests/conftest.py groups its tests)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

GROUPED = textwrap.dedent(
    """
    import os

    import pytest


    @pytest.fixture(scope="module")
    def built():
        return os.getpid()


    @pytest.mark.parametrize("index", range(6))
    def test_uses_the_module_fixture(built, index):
        assert built == os.getpid()
    """
)


def test_a_module_fixture_keeps_its_tests_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v", "-p", "no:cacheprovider",
         "-p", "tests.conftest", "test_grouped.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    workers = re.findall(r"\[(gw\d)\] .*PASSED test_grouped\.py::\S+@test_grouped\.py", done.stdout)
    assert len(workers) == 6 and len(set(workers)) == 1, done.stdout
