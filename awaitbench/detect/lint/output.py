"""Findings as text (ruff-like, worst first), JSON, SARIF 2.1.0 or GitHub Actions annotations; every
format carries each finding's severity (docs/lint.md, "Output formats")."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Literal, get_args
from urllib.parse import quote

from awaitbench.detect.lint.findings import SYNTAX_ERROR, Finding, Severity, severity_rank

if TYPE_CHECKING:  # the engine and the rules are not needed to declare the CLI's --format choices
    from awaitbench.detect.lint.engine import LintResult
    from awaitbench.detect.lint.rules import Rule

__all__ = ["FORMATS", "Format", "render", "sarif_log", "summary_line"]

Format = Literal["text", "json", "sarif", "github"]
FORMATS: tuple[str, ...] = get_args(Format)
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "awaitbench-lint"
_SARIF_LEVEL: dict[Severity, str] = {"high": "error", "medium": "warning", "low": "note"}
_GITHUB_COMMAND: dict[Severity, str] = {"high": "error", "medium": "warning", "low": "notice"}
_SYNTAX_RULE = {
    "id": SYNTAX_ERROR,
    "name": "syntax-error",
    "shortDescription": {"text": "The file does not parse, so nothing in it was checked."},
    "help": {"text": "Fix the syntax error; files in Python 3.11-3.14 syntax parse on any supported Python."},
    "defaultConfiguration": {"level": "error"},
}


def _version() -> str:
    from importlib import metadata  # only SARIF needs it; keeps the CLI's start-up light

    try:
        return metadata.version("awaitbench")
    except metadata.PackageNotFoundError:
        return "0"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(result: LintResult) -> str:
    """`Found 3 findings (AWB101 x2, AWB106 x1) in 17 files (2,336 lines).` or `All checks passed ...`."""
    scanned = f"{_plural(result.files, 'file')} ({result.lines:,} lines)"
    if not result.findings:
        return f"All checks passed: {scanned}."
    counts = Counter(f.code for f in result.findings)
    by_code = ", ".join(f"{code} x{n}" for code, n in sorted(counts.items()))
    levels = Counter(f.severity for f in result.findings)
    by_level = ", ".join(f"{levels[level]} {level}" for level in ("high", "medium", "low") if levels[level])
    return f"Found {_plural(len(result.findings), 'finding')} ({by_level}; {by_code}) in {scanned}."


def _text_line(f: Finding) -> str:
    pitfall = f" [{f.pitfall}]" if f.pitfall else ""
    return f"{f.path}:{f.line}:{f.col}: {f.code} {f.severity:<6} {f.message}{pitfall}"


def _text(result: LintResult) -> str:
    ranked = sorted(result.findings, key=lambda f: (severity_rank(f.severity), f.sort_key()))
    return "\n".join([*(_text_line(f) for f in ranked), summary_line(result)])


def _github_escape(text: str, *, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def _github(result: LintResult) -> str:
    lines = [
        f"::{_GITHUB_COMMAND[f.severity]} file={_github_escape(f.path, property_value=True)},line={f.line},"
        f"col={f.col},title={_github_escape(f'{f.code} {f.pitfall or f.severity}', property_value=True)}::"
        f"{_github_escape(f'{f.message} Fix: {f.fix}')}"
        for f in result.findings
    ]
    return "\n".join(lines)


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": f"{rule.summary} Why it matters: {rule.why}"},
        "help": {"text": rule.fix},
        "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
        "properties": {
            "pitfall": rule.pitfall,
            "severity": rule.severity,
            "tags": ["async", "performance", rule.pitfall],
        },
    }


def _sarif_result(finding: Finding, index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "level": _SARIF_LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": quote(PurePath(finding.path).as_posix())},
                    "region": {"startLine": finding.line, "startColumn": finding.col},
                }
            }
        ],
        "properties": {"pitfall": finding.pitfall, "severity": finding.severity, "fix": finding.fix},
    }
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    return result


def sarif_log(result: LintResult, rules: Sequence[Rule]) -> dict[str, Any]:
    """A SARIF 2.1.0 log (as a dict) with one run: the rules' metadata and every finding."""
    descriptors = [_sarif_rule(rule) for rule in rules]
    if any(f.code == SYNTAX_ERROR for f in result.findings):
        descriptors.append(_SYNTAX_RULE)
    index = {str(d["id"]): position for position, d in enumerate(descriptors)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": _version(),
                        "rules": descriptors,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [_sarif_result(f, index) for f in result.findings],
            }
        ],
    }


def render(result: LintResult, fmt: Format, rules: Sequence[Rule]) -> str:
    """The findings in format `fmt` (text ends with its summary line; github is empty when clean).

    Raises:
        ValueError: `fmt` is not one of FORMATS.
    """
    if fmt == "text":
        return _text(result)
    if fmt == "json":
        return json.dumps([f.as_dict() for f in result.findings], indent=2)
    if fmt == "sarif":
        return json.dumps(sarif_log(result, rules), indent=2)
    if fmt == "github":
        return _github(result)
    raise ValueError(f"unknown format '{fmt}': use one of {', '.join(FORMATS)}")
