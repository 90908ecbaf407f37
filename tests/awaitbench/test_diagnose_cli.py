"""`awaitbench diagnose` as a user runs it: one real diagnosis (discovery from OpenAPI, --json, --out,
--fail-on), usage errors as one line and exit 2, the app's failure with its log tail and exit 1, and
Ctrl-C leaving no process or port behind."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from pathlib import Path

import psutil
import pytest

from awaitbench.cli import main
from awaitbench.detect.diagnose.document import Diagnosis, validate_document
from bench.processes import awaitbench_argv, wait_port_free
from tests.awaitbench.diagnose_catalogue import ROOT, TEST_SETTINGS
from tests.in_process_cli import call_main
from tests.interrupts import default_sigint
from tests.waiting import wait_until

APP = "tests.awaitbench.diagnose_app:create_app"


def _run(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        awaitbench_argv("diagnose", *args), capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )


@pytest.fixture(scope="module")
def diagnosed(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("diagnose")
    done = _run(APP, "--factory", "--json", str(out / "d.json"), "--out", str(out / "report"),
                "--fail-on", "medium", *TEST_SETTINGS)  # fmt: skip
    return done, out


def test_a_diagnosis_finds_the_planted_pitfall_and_exits_1_with_fail_on(
    diagnosed: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    done, out = diagnosed
    assert done.returncode == 1, done.stderr
    assert "finding(s) at or above 'medium' (--fail-on)" in done.stderr
    diagnosis = Diagnosis.from_json(json.loads((out / "d.json").read_text()))
    found = {route.label: [f.pitfall for f in route.findings] for route in diagnosis.routes}
    assert found == {"GET /health": [], "POST /ask": [], "POST /parse": ["blocking_work"], "POST /admin": []}
    (admin,) = [r for r in diagnosis.routes if r.path == "/admin"]
    assert not admin.exercised and "needs the header 'x-token'" in (admin.reason or "")
    (health,) = [r for r in diagnosis.routes if r.path == "/health"]
    assert "the route made no upstream call: no 429 or hang probe" in health.notes
    (parse,) = [r for r in diagnosis.routes if r.path == "/parse"]
    assert parse.findings[0].location and "diagnose_app.py" in parse.findings[0].location
    assert set(diagnosis.phase_seconds) >= {"start", "one_user", "load", "retry", "hang", "stop"}


def test_the_json_validates_against_the_schema_in_the_repo(
    diagnosed: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, out = diagnosed
    document = json.loads((out / "d.json").read_text())
    validate_document(document)
    assert document["schema_version"] == 1 and document["app"] == APP


def test_the_terminal_shows_a_table_per_route_and_out_writes_the_page(
    diagnosed: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    done, out = diagnosed
    assert "blocking_work" in done.stdout and "✓ POST /ask" in done.stdout
    assert "Not exercised:" in done.stdout and "POST /admin" in done.stdout
    report = out / "report"
    page = (report / "index.html").read_text()
    assert "blocking_work" in page and "throughput vs Little's bound" in page
    assert "| `POST /parse` | `blocking_work` |" in (report / "summary.md").read_text()
    assert len(list((report / "img").glob("*.png"))) == 3  # one chart per exercised route


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("myservice",), "'myservice' is not an import string"),
        (("tests.nowhere:app",), "cannot import module 'tests.nowhere'"),
        (("m:app", "--env", "NOPE"), "--env 'NOPE' is not KEY=VALUE"),
        (("m:app", "--users", "0"), "--users must be between 1 and 2000, got 0"),
        (("m:app", "--requests", "tests/awaitbench/no-such-file.toml"), "cannot read it"),
        (("m:app", "--db-seed", "tests/awaitbench/no-such-seed.sql"), "--db-seed tests/awaitbench/no-such"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    args: tuple[str, ...], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    done = call_main(main, ["diagnose", *args])
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("awaitbench: error:"), done.stderr
    assert message in done.stderr


def test_a_bad_requests_file_names_the_entry(tmp_path: Path) -> None:
    bad = tmp_path / "requests.toml"
    bad.write_text('[[request]]\nname = "ask"\nmethod = "POST"\npath = "ask"\n')
    done = call_main(main, ["diagnose", APP, "--factory", "--requests", str(bad)])
    assert done.returncode == 2
    assert f"--requests {bad}: [[request]] #1 ('ask'): 'path' must start with '/'" in done.stderr


def test_an_app_that_fails_to_start_is_reported_with_its_log_tail() -> None:
    done = _run("tests.awaitbench.detect.serve_apps:broken_at_startup", "--factory", timeout=120)
    assert done.returncode == 1
    assert "db.internal:5432 refused the connection" in done.stderr  # the app's own traceback, tailed
    last = done.stderr.rstrip().splitlines()[-1]
    assert last.startswith("awaitbench: error: the app exited with code 3 while starting; its log is ")
    log = Path(last.rsplit(" ", 1)[-1])
    assert log.is_file()  # kept, since it explains the failure: remove it
    shutil.rmtree(log.parent)


def test_ctrl_c_stops_every_child_and_frees_every_port() -> None:
    proc = subprocess.Popen(
        awaitbench_argv("diagnose", APP, "--factory", "--load-s", "30"),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,
    )
    try:
        me = psutil.Process(proc.pid)
        (app,) = wait_until(
            lambda: [
                c for c in me.children(recursive=True) if "awaitbench.detect.serve" in " ".join(c.cmdline())
            ],
            60.0,
            "the app under diagnosis to start",
        )
        argv = app.cmdline()
        app_port, channel_port = (int(argv[argv.index(flag) + 1]) for flag in ("--port", "--channel-port"))
        wait_until(  # the interrupt must land mid-load: 20 users connected to the app
            lambda: sum(
                c.laddr.port == app_port and c.status == "ESTABLISHED" for c in app.net_connections()
            ),
            60.0,
            "the load phase to connect its 20 users",
            ready=lambda n: n >= 20,
        )
        every = me.children(recursive=True)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)  # reaps it and closes the pipes, whatever happened above
    assert proc.returncode == 130, err
    assert "awaitbench: interrupted" in err
    _, alive = psutil.wait_procs(every, timeout=10)
    assert not alive, f"left behind: {[p.pid for p in alive]}"
    assert wait_port_free(app_port) and wait_port_free(channel_port)
