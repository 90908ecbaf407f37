"""What fooled diagnose on public services, reproduced on a service written here
(`tests/awaitbench/diagnose_patterns_app.py`) and diagnosed without a requests file or any flag: every
route that can work is exercised, the ones that cannot say why in one line, and no route gets a finding it
does not have. One diagnosis, nine routes, the short phases of the CLI test (a minute or two on two
cores). The verdicts rest on wide margins (a parked loop against a free one, a token held for a lone
request's time against twenty times it), so a loaded machine does not move them.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bench.processes import awaitbench_argv
from tests.awaitbench.diagnose_catalogue import ROOT, TEST_SETTINGS

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]
APP = "tests.awaitbench.diagnose_patterns_app:app"


@pytest.fixture(scope="module")
def diagnosed(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    out = tmp_path_factory.mktemp("diagnose_patterns") / "d.json"
    done = subprocess.run(
        awaitbench_argv("diagnose", APP, "--json", str(out), *TEST_SETTINGS),
        capture_output=True, text=True, timeout=380, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    document: dict[str, Any] = json.loads(out.read_text())
    return {route["path"]: route for route in document["routes"]}, done.stdout


def _findings(route: dict[str, Any]) -> set[str]:
    assert route["exercised"], route["reason"]
    return {f["pitfall"] for f in route["findings"]}


def test_bodies_with_defaults_and_string_dicts_reach_the_upstream(
    diagnosed: tuple[dict[str, Any], str],
) -> None:
    routes, _ = diagnosed
    for path in (
        "/chat",
        "/proxy",
        "/azure",
        "/search?message=What+is+the+capital+of+France%3F+Answer+in+one+sentence.",
    ):
        assert _findings(routes[path]) == set(), (path, routes[path]["findings"])
        assert routes[path]["figures"]["one_user"]["upstream"]["calls"] >= 1, path


def test_a_route_that_fails_at_once_says_so_and_the_next_route_is_unharmed(
    diagnosed: tuple[dict[str, Any], str],
) -> None:
    routes, stdout = diagnosed
    boom, broken = routes["/boom"], routes["/stream-broken"]
    assert boom["reason"].startswith("failed at once (500 after"), boom["reason"]
    assert "the app logged: RuntimeError: this route always fails" in boom["reason"]
    assert broken["reason"].startswith("failed at once (status 200, then ClientPayloadError"), broken[
        "reason"
    ]
    assert "no answer" not in broken["reason"]
    log_dir = stdout.rsplit("logs of the app, the fake LLM and the load driver: ", 1)[1].split()[0]
    assert (Path(log_dir) / "app.log").is_file()


def test_a_route_failing_on_a_host_diagnose_does_not_capture_names_it(
    diagnosed: tuple[dict[str, Any], str],
) -> None:
    reason = diagnosed[0]["/profile/1"]["reason"]
    assert "its call to db.diagnose-test.invalid:443 failed (ConnectError" in reason, reason
    assert "diagnose does not capture that host" in reason


def test_cpu_bound_and_loop_blocked_routes_get_no_threadpool_finding(
    diagnosed: tuple[dict[str, Any], str],
) -> None:
    routes, _ = diagnosed
    assert _findings(routes["/health"]) == set(), routes["/health"]["findings"]
    assert "threadpool" not in _findings(routes["/stream-sync"])
    assert "sync_client" in _findings(routes["/stream-sync"])


def test_an_app_specific_key_variable_and_a_hard_coded_azure_endpoint_work(
    diagnosed: tuple[dict[str, Any], str],
) -> None:
    (called,) = diagnosed[0]["/azure"]["outbound"]
    assert (called["host"], called["captured"], called["dialect"]) == (
        "contoso.openai.azure.com",
        True,
        "azure",
    )
