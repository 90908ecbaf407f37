"""[tool.awaitbench.lint] found like ruff finds its settings; flags replace it; bad input is one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from awaitbench.detect.lint import LintUsageError, load_config
from awaitbench.detect.lint.config import LintConfig, select_rules


def _project(tmp_path: Path, table: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(f"[project]\nname = 'x'\n\n[tool.awaitbench.lint]\n{table}\n")
    source = tmp_path / "pkg" / "deep"
    source.mkdir(parents=True)
    return source


def test_config_is_found_walking_up_from_the_first_path(tmp_path: Path) -> None:
    source = _project(
        tmp_path,
        'select = ["timeouts", "AWB101"]\nignore = ["AWB101"]\nextend-exclude = ["gen"]\n'
        'include-tests = true\nmin-severity = "medium"',
    )
    config = load_config([source])
    assert config.source == tmp_path / "pyproject.toml"
    assert [rule.code for rule in config.rules()] == ["AWB106"]
    assert (config.exclude, config.extend_exclude) == (None, ("gen",))
    assert config.include_tests and config.min_severity == "medium"
    assert "gen" in config.excluded() and "tests" not in config.excluded()


def test_a_pyproject_without_the_table_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    assert load_config([tmp_path]) == LintConfig()


def test_flags_replace_the_file(tmp_path: Path) -> None:
    config = load_config([_project(tmp_path, 'select = ["AWB101"]')]).with_overrides(select=["AWB10"])
    assert len(config.rules()) == 9  # AWB101-AWB109: the prefix leaves AWB110 out


@pytest.mark.parametrize(
    ("table", "fragment"),
    [
        ('selec = ["AWB101"]', "unknown key(s) selec"),
        ('select = "AWB101"', "must be a list of strings"),
        ('select = ["AWB999"]', "unknown rule 'AWB999'"),
        ("select = [", "not valid TOML"),
        ("include-tests = 1", "include-tests must be true or false"),
        ('min-severity = "worst"', "min-severity must be one of high, medium, low"),
    ],
)
def test_bad_tables_are_usage_errors_that_name_the_problem(tmp_path: Path, table: str, fragment: str) -> None:
    with pytest.raises(LintUsageError) as caught:
        load_config([_project(tmp_path, table)])
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def test_selectors_accept_codes_prefixes_pitfall_ids_and_all() -> None:
    assert [r.code for r in select_rules(["fan_out", "AWB101"])] == ["AWB101", "AWB105"]
    assert len(select_rules(["ALL"], ["AWB1"])) == 0
