"""Findings as text (ruff-like), JSON, SARIF 2.1.0 or GitHub Actions annotations.

- text: `path:line:col: CODE message [pitfall]`, then one summary line.
- json: a list of `{"path", "line", "col", "code", "pitfall", "message", "fix"}`.
- sarif: one run with every selected rule's metadata (`tool.driver.rules`) and one result per finding;
  columns are Unicode code points (`columnKind`), as in the text output.
- github: `::warning file=...,line=...,col=...,title=...::message`, one per finding, which GitHub Actions
  turns into annotations on the pull request's diff.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Literal, get_args
from urllib.parse import quote

from awaitbench.detect.lint.findings import Finding

if TYPE_CHECKING:  # the engine and the rules are not needed to declare the CLI's --format choices
    from awaitbench.detect.lint.engine import LintResult
    from awaitbench.detect.lint.rules import Rule

__all__ = ["FORMATS", "Format", "render", "sarif_log", "summary_line"]

Format = Literal["text", "json", "sarif", "github"]
FORMATS: tuple[str, ...] = get_args(Format)
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "awaitbench-lint"


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
    return f"Found {_plural(len(result.findings), 'finding')} ({by_code}) in {scanned}."


def _text(result: LintResult) -> str:
    lines = [f"{f.path}:{f.line}:{f.col}: {f.code} {f.message} [{f.pitfall}]" for f in result.findings]
    lines.append(summary_line(result))
    return "\n".join(lines)


def _github_escape(text: str, *, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def _github(result: LintResult) -> str:
    lines = [
        f"::warning file={_github_escape(f.path, property_value=True)},line={f.line},col={f.col},"
        f"title={_github_escape(f'{f.code} {f.pitfall}', property_value=True)}::"
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
        "defaultConfiguration": {"level": "warning"},
        "properties": {"pitfall": rule.pitfall, "tags": ["async", "performance", rule.pitfall]},
    }


def _sarif_result(finding: Finding, index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "level": "warning",
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": quote(PurePath(finding.path).as_posix())},
                    "region": {"startLine": finding.line, "startColumn": finding.col},
                }
            }
        ],
        "properties": {"pitfall": finding.pitfall, "fix": finding.fix},
    }
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    return result


def sarif_log(result: LintResult, rules: Sequence[Rule]) -> dict[str, Any]:
    """A SARIF 2.1.0 log (as a dict) with one run: the rules' metadata and every finding."""
    index = {rule.code: position for position, rule in enumerate(rules)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": _version(),
                        "rules": [_sarif_rule(rule) for rule in rules],
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
