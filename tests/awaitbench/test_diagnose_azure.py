"""An Azure OpenAI service under `awaitbench diagnose` and `awaitbench lint`, as a user runs them: a client
built per request through an uncached FastAPI dependency (`client: AsyncAzureOpenAI =
Depends(get_azure_client)`, the tutorials' pattern) is `per_request_client` for both tools, whether the
dependency is a plain or an async function, and the route whose dependency hands out the lifespan's client
is clean. The app builds its clients from the environment only (`AsyncAzureOpenAI(timeout=...)`), so this
also proves that diagnose's `AZURE_OPENAI_*` variables reach fake_llm's Azure routes.

One diagnosis, three routes, the short phases of the CLI test (about 15 s on two cores). The verdicts rest
on connection counts (1.00 new connection per call against ~0), which load on the machine does not move.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from awaitbench.cli import main
from bench.processes import awaitbench_argv
from tests.awaitbench.diagnose_catalogue import ROOT, TEST_SETTINGS
from tests.in_process_cli import call_main

APP_FILE = Path(__file__).with_name("diagnose_azure_app.py")
APP = "tests.awaitbench.diagnose_azure_app:create_app"


def _line_of(text: str) -> int:
    (line,) = [n for n, source in enumerate(APP_FILE.read_text().splitlines(), 1) if text in source]
    return line


@pytest.fixture(scope="module")
def diagnosis(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("diagnose_azure") / "d.json"
    done = subprocess.run(
        awaitbench_argv("diagnose", APP, "--factory", "--json", str(out), *TEST_SETTINGS),
        capture_output=True, text=True, timeout=240, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    document: dict[str, Any] = json.loads(out.read_text())
    return {route["path"]: route for route in document["routes"]}


def test_an_uncached_azure_client_dependency_is_per_request_client(diagnosis: dict[str, Any]) -> None:
    assert set(diagnosis) == {"/ask", "/ask-async", "/ask-shared"}
    for path in ("/ask", "/ask-async"):
        route = diagnosis[path]
        assert route["exercised"], route["reason"]
        found = {f["pitfall"]: f for f in route["findings"]}
        assert "per_request_client" in found, f"{path}: {route['findings']}"
        assert "1.00 new upstream connections per call" in found["per_request_client"]["evidence"]
    # The async dependency builds its client on the loop: diagnose names the line.
    (built,) = [f for f in diagnosis["/ask-async"]["findings"] if f["pitfall"] == "per_request_client"]
    line = _line_of("async def get_azure_client_async") + 2  # after its docstring: the return that builds it
    assert f"diagnose_azure_app.py:{line} in get_azure_client_async" in built["location"]


def test_the_shared_client_route_is_clean(diagnosis: dict[str, Any]) -> None:
    route = diagnosis["/ask-shared"]
    assert route["exercised"], route["reason"]
    assert route["findings"] == [], [f["evidence"] for f in route["findings"]]


def test_every_route_reached_fake_llms_azure_routes(diagnosis: dict[str, Any]) -> None:
    for path, route in diagnosis.items():
        figures = route["figures"]
        upstream = figures["one_user"]["upstream"]
        assert upstream["calls"] >= 1, path  # AsyncAzureOpenAI() from diagnose's environment reached it
        # The 429 probe: the SDK retried Azure's 429s (max_retries=2), waiting the retry-after-ms each time.
        retry = figures["retry"]
        assert retry["upstream_attempts"] == 3, (path, retry)
        assert retry["latency_ms"] >= 2 * retry["retry_after_ms"], (path, retry)


def test_lint_flags_both_dependencies_and_not_the_shared_one() -> None:
    done = call_main(main, ["lint", str(APP_FILE), "--format", "json"])
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)
    assert [(f["code"], f["pitfall"], f["line"]) for f in findings] == [
        ("AWB103", "per_request_client", _line_of("Depends(get_azure_client)")),
        ("AWB103", "per_request_client", _line_of("Depends(get_azure_client_async)")),
    ]
    assert "AsyncAzureOpenAI" in findings[0]["message"] and "get_azure_client" in findings[0]["message"]
