"""File discovery and its defaults, parse errors as findings, columns and the why-it-matters text."""

from __future__ import annotations

from pathlib import Path

import pytest

from awaitbench.detect.lint import LintConfig, LintUsageError, lint_paths
from awaitbench.detect.lint.config import DEFAULT_EXCLUDE
from awaitbench.detect.lint.engine import discover

SLEEPY = "import time\nasync def f():\n    time.sleep(1)\n"


def _tree(root: Path, *relative: str) -> None:
    for name in relative:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("")


def _found(root: Path, config: LintConfig) -> list[str]:
    return [
        Path(display).relative_to(root).as_posix() for _, display, _ in discover([root], config.excluded())
    ]


def test_discovery_skips_default_and_configured_excludes(tmp_path: Path) -> None:
    _tree(
        tmp_path, "a.py", ".venv/b.py", "gen/c.py", "sub/d.py", "sub/notes.txt", "env/pyvenv.cfg", "env/e.py"
    )
    assert _found(tmp_path, LintConfig(extend_exclude=("gen",))) == ["a.py", "sub/d.py"]
    assert _found(tmp_path, LintConfig(exclude=("gen",))) == ["a.py", ".venv/b.py", "sub/d.py"]


def test_tests_migrations_and_builds_are_skipped_unless_asked(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        "app/main.py",
        "app/tests/test_api.py",
        "app/test_util.py",
        "app/util_test.py",
        "conftest.py",
        "test_scripts/load.py",
        "migrations/0001.py",
        "pkg.egg-info/x.py",
    )
    assert _found(tmp_path, LintConfig()) == ["app/main.py", "test_scripts/load.py"]
    with_tests = _found(tmp_path, LintConfig(include_tests=True))
    assert "app/tests/test_api.py" in with_tests and "conftest.py" in with_tests
    assert "migrations" in DEFAULT_EXCLUDE


def test_test_functions_are_skipped_unless_tests_are_linted(tmp_path: Path) -> None:
    (tmp_path / "checks.py").write_text("import time\nasync def test_sleepy():\n    time.sleep(1)\n")
    assert not lint_paths([tmp_path]).findings
    assert [f.code for f in lint_paths([tmp_path], LintConfig(include_tests=True)).findings] == ["AWB102"]


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(LintUsageError, match="no such file or directory"):
        lint_paths([tmp_path / "nope.py"])


def test_a_file_that_does_not_parse_is_a_finding_like_ruffs_syntax_error(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("x = 1\ndef (:\n")
    (tmp_path / "ok.py").write_text(SLEEPY)
    result = lint_paths([tmp_path])
    broken, sleepy = result.findings
    assert (broken.code, broken.line, broken.severity, broken.pitfall) == ("AWB000", 2, "high", None)
    assert broken.message.startswith("SyntaxError:") and sleepy.code == "AWB102"
    assert result.files == 2 and not result.skipped


def test_newer_syntax_parses_on_this_python(tmp_path: Path) -> None:
    source = (
        "import time\n"
        "type Pair[T] = tuple[T, T]\n"
        "def first[T](pair: Pair[T]) -> T:\n"
        "    return pair[0]\n"
        "async def handler(d: dict[str, str]) -> str:\n"
        '    label = f"{d["name"]} {", ".join(d)}"\n'
        "    time.sleep(1)\n"
        "    return label\n"
    )
    (tmp_path / "modern.py").write_text(source)
    [finding] = lint_paths([tmp_path]).findings
    assert (finding.code, finding.line, finding.col) == ("AWB102", 7, 5)


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
