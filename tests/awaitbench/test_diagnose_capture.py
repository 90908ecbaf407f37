"""A service that hard-codes its providers' URLs is diagnosed without any flag: diagnose's capture sends
the calls of the OpenAI SDK (to api.groq.com and api.cerebras.ai) and of a raw httpx client (to
api.anthropic.com) to the fake LLM, each in its dialect, and the findings are the ones the code has
(`tests/awaitbench/diagnose_capture_app.py`). One diagnosis, three routes, the short phases of the CLI
test. The verdicts rest on an upstream peak of 1 at 10 users against a loop parked most of the phase, and
on one new connection per call: a loaded machine does not move them across the thresholds.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from bench.processes import awaitbench_argv
from tests.awaitbench.diagnose_catalogue import ROOT, TEST_SETTINGS

pytestmark = pytest.mark.timeout(300)
APP = "tests.awaitbench.diagnose_capture_app:app"


@pytest.fixture(scope="module")
def diagnosis(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("diagnose_capture") / "d.json"
    done = subprocess.run(
        awaitbench_argv("diagnose", APP, "--json", str(out), *TEST_SETTINGS),
        capture_output=True, text=True, timeout=280, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    document: dict[str, Any] = json.loads(out.read_text())
    return document


def _route(diagnosis: dict[str, Any], path: str) -> dict[str, Any]:
    (route,) = [r for r in diagnosis["routes"] if r["path"] == path]
    assert route["exercised"], route["reason"]
    found: dict[str, Any] = route
    return found


@pytest.mark.parametrize(("path", "host"), [("/groq", "api.groq.com"), ("/cerebras", "api.cerebras.ai")])
def test_a_hard_coded_provider_url_is_captured_and_diagnosed(
    diagnosis: dict[str, Any], path: str, host: str
) -> None:
    route = _route(diagnosis, path)
    found = {f["pitfall"]: f for f in route["findings"]}
    assert {"sync_client", "timeouts"} <= set(found), route["findings"]
    assert "diagnose_capture_app.py" in found["sync_client"]["location"]
    (called,) = route["outbound"]
    assert (called["host"], called["captured"], called["dialect"]) == (host, True, "openai")
    assert called["errors"] == 0


def test_a_raw_httpx_call_to_anthropic_is_captured_and_diagnosed(diagnosis: dict[str, Any]) -> None:
    route = _route(diagnosis, "/claude")
    found = {f["pitfall"] for f in route["findings"]}
    assert {"per_request_client", "timeouts"} <= found, route["findings"]
    (called,) = route["outbound"]
    assert (called["host"], called["captured"], called["dialect"]) == ("api.anthropic.com", True, "anthropic")


def test_every_outbound_host_is_listed_for_the_whole_run(diagnosis: dict[str, Any]) -> None:
    hosts = {h["host"]: h for h in diagnosis["outbound"]}
    assert set(hosts) == {"api.groq.com", "api.cerebras.ai", "api.anthropic.com"}
    assert all(h["captured"] for h in hosts.values())
