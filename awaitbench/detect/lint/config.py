"""`LintConfig`: which rules run, which files are skipped and which findings shown, from the
`[tool.awaitbench.lint]` table of the closest pyproject.toml and the command line (docs/lint.md,
"Configuration"). Every problem is a LintUsageError naming the key or flag and the fix.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import cast

from awaitbench.detect.lint.errors import LintUsageError
from awaitbench.detect.lint.findings import SEVERITIES, Severity
from awaitbench.detect.lint.rules import RULES, Rule

__all__ = ["DEFAULT_EXCLUDE", "TEST_EXCLUDE", "LintConfig", "find_config", "load_config", "select_rules"]

# Skipped while walking directories (a directory holding `pyvenv.cfg`, a virtualenv, is skipped too).
DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".git",
    ".hg",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "build",
    "dist",
    "*.egg-info",
    ".eggs",
    "__pypackages__",
    "node_modules",
    "site-packages",
    "migrations",
    "alembic",
)
# Test code is not a request path: skipped unless `--include-tests` / `include-tests = true`.
TEST_EXCLUDE: tuple[str, ...] = ("tests", "test", "test_*.py", "*_test.py", "conftest.py")
_LISTS = ("select", "ignore", "exclude", "extend-exclude")
_KEYS = (*_LISTS, "include-tests", "min-severity")


@dataclass(frozen=True, kw_only=True)
class LintConfig:
    """The linter's settings.

    Args:
        select: rule selectors to run (codes, code prefixes, pitfall ids, "ALL").
        ignore: rule selectors removed from `select`.
        exclude: glob patterns matched against each file's and directory's name and its path relative
            to the linted directory; matched entries are skipped while walking directories. None keeps
            DEFAULT_EXCLUDE; a list replaces it (as ruff's `exclude` does).
        extend_exclude: patterns skipped in addition to `exclude`.
        include_tests: lint test files too (TEST_EXCLUDE).
        min_severity: findings below this severity are not reported.
        source: the pyproject.toml the values came from (None: defaults or flags only).
    """

    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = ()
    include_tests: bool = False
    min_severity: Severity = "low"
    source: Path | None = None

    def with_overrides(
        self,
        *,
        select: Sequence[str] | None = None,
        ignore: Sequence[str] | None = None,
        exclude: Sequence[str] | None = None,
        extend_exclude: Sequence[str] | None = None,
        include_tests: bool | None = None,
        min_severity: Severity | None = None,
    ) -> LintConfig:
        """The config with command-line values replacing the file's (None keeps the file's value)."""
        return replace(
            self,
            select=self.select if select is None else tuple(select),
            ignore=self.ignore if ignore is None else tuple(ignore),
            exclude=self.exclude if exclude is None else tuple(exclude),
            extend_exclude=self.extend_exclude if extend_exclude is None else tuple(extend_exclude),
            include_tests=self.include_tests if include_tests is None else include_tests,
            min_severity=self.min_severity if min_severity is None else min_severity,
        )

    def excluded(self) -> tuple[str, ...]:
        """Every pattern skipped while walking directories."""
        base = DEFAULT_EXCLUDE if self.exclude is None else self.exclude
        return (*base, *self.extend_exclude, *(() if self.include_tests else TEST_EXCLUDE))

    def rules(self) -> tuple[Rule, ...]:
        """The rules this config runs, in code order.

        Raises:
            LintUsageError: a selector matches no rule.
        """
        return select_rules(self.select, self.ignore)


def _matches(selector: str, rule: Rule) -> bool:
    upper = selector.upper()
    return upper == "ALL" or rule.code.startswith(upper) or selector == rule.pitfall


def _expand(selectors: Iterable[str], where: str) -> set[str]:
    codes: set[str] = set()
    for selector in selectors:
        matched = {rule.code for rule in RULES if _matches(selector.strip(), rule)}
        if not matched:
            known = ", ".join(f"{r.code} ({r.pitfall})" for r in RULES)
            raise LintUsageError(
                f"unknown rule '{selector}' in {where}: use a code, a pitfall id or ALL ({known})"
            )
        codes |= matched
    return codes


def select_rules(select: Sequence[str], ignore: Sequence[str] = ()) -> tuple[Rule, ...]:
    """The rules matching `select` minus those matching `ignore`.

    Raises:
        LintUsageError: a selector matches no rule (the message lists the codes).
    """
    chosen = _expand(select, "select") - _expand(ignore, "ignore")
    return tuple(rule for rule in RULES if rule.code in chosen)


def find_config(start: Path) -> Path | None:
    """The closest pyproject.toml at or above `start` that has a `[tool.awaitbench.lint]` table."""
    directory = start.resolve()
    if not directory.is_dir():
        directory = directory.parent
    for candidate_dir in (directory, *directory.parents):
        candidate = candidate_dir / "pyproject.toml"
        if candidate.is_file() and "awaitbench" in _read_text(candidate) and _table(candidate) is not None:
            return candidate
    return None


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LintUsageError(f"cannot read {path}: {exc}: fix its permissions or encoding") from exc


def _table(path: Path) -> dict[str, object] | None:
    try:
        data = tomllib.loads(_read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise LintUsageError(f"{path} is not valid TOML ({exc}): fix the file") from exc
    table = data.get("tool", {}).get("awaitbench", {}).get("lint")
    if table is not None and not isinstance(table, dict):
        raise LintUsageError(f"{path}: [tool.awaitbench.lint] must be a table of {', '.join(_KEYS)}")
    return cast("dict[str, object] | None", table)


def _strings(path: Path, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise LintUsageError(
            f"{path}: [tool.awaitbench.lint] {key} must be a list of strings, got {value!r}: "
            f'write e.g. {key} = ["AWB101"]'
        )
    return tuple(value)


def load_config(paths: Sequence[Path]) -> LintConfig:
    """The config found from the first of `paths` (defaults when there is none).

    Raises:
        LintUsageError: unreadable or invalid TOML, an unknown key, or a value of the wrong type.
    """
    source = find_config(paths[0]) if paths else None
    if source is None:
        return LintConfig()
    table = _table(source) or {}
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise LintUsageError(
            f"{source}: unknown key(s) {', '.join(unknown)} in [tool.awaitbench.lint] "
            f"(known: {', '.join(_KEYS)})"
        )
    lists = {key.replace("-", "_"): _strings(source, key, table[key]) for key in _LISTS if key in table}
    include_tests = table.get("include-tests", False)
    if not isinstance(include_tests, bool):
        raise LintUsageError(f"{source}: [tool.awaitbench.lint] include-tests must be true or false")
    min_severity = table.get("min-severity", "low")
    if min_severity not in SEVERITIES:
        raise LintUsageError(
            f"{source}: [tool.awaitbench.lint] min-severity must be one of {', '.join(SEVERITIES)}, "
            f"got {min_severity!r}"
        )
    config = LintConfig(
        source=source,
        include_tests=include_tests,
        min_severity=min_severity,
        **lists,
    )
    config.rules()  # validate the selectors now, naming the file
    return config
