"""The four formats: ruff-like text, the JSON list, SARIF 2.1.0 (validated against the OASIS schema),
GitHub annotations."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from awaitbench.detect.lint import RULES, LintResult, lint_paths
from awaitbench.detect.lint.findings import Finding, severity_rank
from awaitbench.detect.lint.output import render

HERE = Path(__file__).resolve().parent
SARIF_SCHEMA = json.loads((HERE / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def result() -> LintResult:
    return lint_paths([HERE / "corpus" / "bad"])


def test_text_is_one_line_per_finding_worst_first_then_a_summary(result: LintResult) -> None:
    lines = render(result, "text", RULES).splitlines()
    assert len(lines) == len(result.findings) + 1
    ranked = sorted(result.findings, key=lambda f: (severity_rank(f.severity), f.sort_key()))
    first = ranked[0]
    assert lines[0].startswith(f"{first.path}:{first.line}:{first.col}: {first.code} {first.severity} ")
    assert lines[0].endswith(f"[{first.pitfall}]")
    severities = [line.split(": ", 1)[1].split()[1] for line in lines[:-1]]
    assert severities == sorted(severities, key=lambda s: ("high", "medium", "low").index(s))
    assert lines[-1].startswith(f"Found {len(result.findings)} findings (") and " high, " in lines[-1]


def test_clean_text_says_so() -> None:
    assert render(LintResult(findings=(), files=2, lines=10), "text", RULES) == (
        "All checks passed: 2 files (10 lines)."
    )


def test_json_is_a_list_of_the_documented_keys(result: LintResult) -> None:
    data = json.loads(render(result, "json", RULES))
    assert len(data) == len(result.findings)
    keys = {"path", "line", "col", "code", "pitfall", "severity", "message", "fix"}
    assert all(set(item) == keys for item in data)


def test_sarif_validates_against_the_sarif_2_1_0_schema(result: LintResult) -> None:
    log = json.loads(render(result, "sarif", RULES))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    run = log["runs"][0]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == [rule.code for rule in RULES]
    assert len(run["results"]) == len(result.findings)
    assert all(r["ruleId"] == RULES[r["ruleIndex"]].code for r in run["results"])
    levels = {"high": "error", "medium": "warning", "low": "note"}
    assert [r["level"] for r in run["results"]] == [levels[f.severity] for f in result.findings]


def test_sarif_describes_a_syntax_error_it_reports(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def (:\n")
    log = json.loads(render(lint_paths([tmp_path]), "sarif", RULES))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    [result] = log["runs"][0]["results"]
    assert result["ruleId"] == "AWB000" and result["level"] == "error"
    assert log["runs"][0]["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "AWB000"


def test_sarif_of_a_clean_run_validates_too() -> None:
    log = json.loads(render(LintResult(findings=(), files=0, lines=0), "sarif", RULES[:1]))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)


def test_github_annotations_escape_their_separators() -> None:
    finding = Finding(
        path="a,b:c.py",
        line=3,
        col=5,
        code="AWB101",
        pitfall="sync_client",
        severity="high",
        message="50%\nnext",
        fix="f",
    )
    text = render(LintResult(findings=(finding,), files=1, lines=3), "github", RULES)
    assert text == ("::error file=a%2Cb%3Ac.py,line=3,col=5,title=AWB101 sync_client::50%25%0Anext Fix: f")
