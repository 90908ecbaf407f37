"""`awaitbench lint` and `python -m awaitbench.detect.lint` as a user runs them: exit codes 0/1/2, one-line
errors, syntax errors in every format, severity filtering, test files. Each command runs once as a real
process; the other cases call its `main(argv)` in process."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from awaitbench.cli import main
from awaitbench.detect.lint.__main__ import main as lint_main
from bench.processes import awaitbench_argv
from tests.in_process_cli import CliResult, call_main

ROOT = Path(__file__).resolve().parents[4]
CORPUS = Path(__file__).resolve().parent / "corpus"
RESULTS = ROOT / "tests" / "reports" / "fixtures" / "run_small"


@pytest.fixture
def lint(monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """`awaitbench lint ARGS` in process, from the repository's root (paths in ARGS are relative to it)."""
    monkeypatch.chdir(ROOT)
    return lambda *args: call_main(main, ["lint", *args])


def test_findings_exit_1_and_clean_exits_0(lint: Callable[..., CliResult]) -> None:
    dirty = subprocess.run(
        awaitbench_argv("lint", str(CORPUS / "bad" / "forgotten.py")),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert dirty.returncode == 1 and "AWB108" in dirty.stdout
    clean = lint(str(CORPUS / "clean"))
    assert clean.returncode == 0 and clean.stdout.startswith("All checks passed")


def test_usage_errors_exit_2_with_one_line(lint: Callable[..., CliResult]) -> None:
    for args in (("no/such/path",), ("scenarios", "--select", "AWB999"), ("scenarios", "--format", "xml")):
        result = lint(*args)
        assert result.returncode == 2, args
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("awaitbench: error:"), args


def test_scenarios_report_exactly_the_pitfall_variants_with_the_catalogue_theory(
    lint: Callable[..., CliResult],
) -> None:
    result = lint("scenarios", "--format", "json")
    assert result.returncode == 1
    findings = json.loads(result.stdout)
    assert sorted({f["pitfall"] for f in findings}) == sorted(
        [
            "sync_client",
            "blocking_work",
            "per_request_client",
            "serial_awaits",
            "fan_out",
            "timeouts",
            "retries",
            "forgotten_await",
            "sync_db_driver",
            "db_session_held",
        ]
    )
    sync = next(f for f in findings if f["code"] == "AWB101")
    assert "See `awaitbench run sync_client`." in sync["message"]


def _headline(scenario_id: str) -> str:
    """What the run measured for `scenario_id` on its headline, as the summary words it."""
    from bench.results import load_run
    from bench.results.summary import summarize

    (pair,) = [pair for pair in summarize(load_run(RESULTS)) if pair.scenario.id == scenario_id]
    assert pair.headline is not None and pair.headline.outcome == "pitfall worse"
    return f"{pair.headline.text} at {pair.headline.users} users"


def test_results_directory_puts_the_measured_cost_in_the_message(lint: Callable[..., CliResult]) -> None:
    result = lint("scenarios/sync_client.py", "--results", str(RESULTS))
    assert result.returncode == 1
    expected = f"{_headline('sync_client')}, see `awaitbench run sync_client`"
    assert expected.startswith("x") and "fewer req/s at 10 users" in expected
    assert expected in result.stdout


def test_a_bad_results_directory_is_a_usage_error(tmp_path: Path, lint: Callable[..., CliResult]) -> None:
    result = lint("scenarios", "--results", str(tmp_path))
    assert result.returncode == 2 and result.stderr.count("\n") == 1


def test_python_m_detect_lint_works_without_the_catalogue() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "awaitbench.detect.lint",
            str(CORPUS / "bad" / "blocking.py"),
            "--format",
            "github",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stdout.startswith(("::error file=", "::warning file=", "::notice file="))


def test_python_m_detect_lint_usage_error_is_one_line() -> None:
    missing = call_main(lint_main, ["nope.py"])
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1


def test_why_texts_cover_the_catalogue_and_quote_a_results_directory() -> None:
    from awaitbench.commands.lint import why_texts
    from scenarios import catalogue

    theory = why_texts()
    assert set(theory) == {scenario.id for scenario in catalogue()}
    assert theory["timeouts"].endswith("See `awaitbench run timeouts`.")
    measured = why_texts(RESULTS)
    assert measured["serial_awaits"] == f"{_headline('serial_awaits')}, see `awaitbench run serial_awaits`"
    assert "longer" in measured["serial_awaits"]  # serial awaits cost the user's wait (p50)
    assert measured["timeouts"] == theory["timeouts"]  # not in that run: the theory stays


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_a_file_that_does_not_parse_fails_in_every_format(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "broken.py").write_text("value = 1\ndef broken(:\n")
    result = call_main(lint_main, [str(tmp_path / "broken.py"), "--format", fmt])
    assert result.returncode == 1
    assert "AWB000" in result.stdout and "SyntaxError" in result.stdout
    assert "All checks passed" not in result.stdout


def test_min_severity_keeps_the_worst_findings(tmp_path: Path) -> None:
    (tmp_path / "mixed.py").write_text("import time\nasync def f(path):\n    open(path)\n    time.sleep(1)\n")
    everything = call_main(lint_main, [str(tmp_path)])
    assert everything.returncode == 1 and everything.stdout.index(" high ") < everything.stdout.index(" low ")
    worst = call_main(lint_main, [str(tmp_path), "--min-severity", "medium"])
    assert worst.returncode == 1 and " low " not in worst.stdout
    assert worst.stdout.count("AWB102") == 2  # the line and the summary


def test_tests_are_linted_only_when_asked(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_api.py").write_text("import time\nasync def helper():\n    time.sleep(1)\n")
    assert call_main(lint_main, [str(tmp_path)]).returncode == 0
    assert call_main(lint_main, [str(tmp_path), "--include-tests"]).returncode == 1
