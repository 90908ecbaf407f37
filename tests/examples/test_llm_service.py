"""The example service, diagnosed with the issue's own command: exit 0, each planted pitfall named on its
route, nothing on the clean routes. One real diagnosis with default settings (about a minute), `slow`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from awaitbench.detect.diagnose.document import validate_document
from bench.processes import awaitbench_argv

ROOT = Path(__file__).resolve().parents[2]
PLANTED = {
    "POST /chat": [],
    "POST /summarize": ["sync_client"],
    "POST /translate": ["per_request_client"],
    "POST /analyze": ["serial_awaits"],
    "POST /moderate": ["timeouts"],
    "POST /embed": [],
}

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_diagnose_names_each_planted_pitfall_and_nothing_on_the_clean_routes(tmp_path: Path) -> None:
    out = tmp_path / "d.json"
    argv = awaitbench_argv(
        "diagnose",
        "examples.llm_service.app:app",
        "--requests",
        "examples/llm_service/requests.toml",
        "--json",
        str(out),
    )
    done = subprocess.run(argv, capture_output=True, text=True, timeout=540, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    document = json.loads(out.read_text())
    validate_document(document)
    found = {f"{r['method']} {r['path']}": [f["pitfall"] for f in r["findings"]] for r in document["routes"]}
    assert found == PLANTED
    assert all(r["exercised"] for r in document["routes"])
    locations = {f["pitfall"]: f["location"] or "" for r in document["routes"] for f in r["findings"]}
    assert "examples/llm_service/app.py" in locations["sync_client"]
    assert "examples/llm_service/app.py" in locations["timeouts"]
    assert (
        document["duration_s"] < 120
    )  # the budget for a six-route app on two cores, wide: ~55 s here
