"""File discovery, parse errors, columns and the why-it-matters text."""

from __future__ import annotations

from pathlib import Path

import pytest

from awaitbench.detect.lint import LintConfig, LintUsageError, lint_paths
from awaitbench.detect.lint.engine import discover

SLEEPY = "import time\nasync def f():\n    time.sleep(1)\n"


def test_discovery_skips_default_and_configured_excludes(tmp_path: Path) -> None:
    for relative in ("a.py", ".venv/b.py", "gen/c.py", "sub/d.py", "sub/notes.txt"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("")
    found = [display for _, display in discover([tmp_path], ["gen"])]
    assert [Path(d).relative_to(tmp_path).as_posix() for d in found] == ["a.py", "sub/d.py"]


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(LintUsageError, match="no such file or directory"):
        lint_paths([tmp_path / "nope.py"])


def test_a_file_that_does_not_parse_is_skipped_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def (:\n")
    (tmp_path / "ok.py").write_text(SLEEPY)
    result = lint_paths([tmp_path])
    assert [f.code for f in result.findings] == ["AWB102"]
    assert result.files == 1 and "broken.py: cannot parse" in result.skipped[0]


def test_columns_count_characters_not_bytes(tmp_path: Path) -> None:
    (tmp_path / "u.py").write_text(
        "import time\nasync def f():\n    é = 1; time.sleep(1)\n", encoding="utf-8"
    )
    [finding] = lint_paths([tmp_path / "u.py"]).findings
    assert finding.col == 12  # the byte offset would be 13


def test_the_caller_supplies_why_it_matters(tmp_path: Path) -> None:
    (tmp_path / "s.py").write_text(SLEEPY)
    [finding] = lint_paths([tmp_path], LintConfig(), why={"blocking_work": "x3.4 less throughput"}).findings
    assert finding.message.endswith("— x3.4 less throughput")
