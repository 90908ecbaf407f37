"""The `/stats` document as a typed value: the route serves `to_json`, `from_json` reads it back or says
which key is wrong, and docs/fake_llm.md lists exactly the keys served."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from fake_llm.app import create_app
from fake_llm.config import FakeLLMConfig, LatencyConfig
from fake_llm.errors import StatsFormatError
from fake_llm.snapshot import StatsSnapshot
from fake_llm.stats import ServerStats

DOCS = Path(__file__).resolve().parents[2] / "docs" / "fake_llm.md"


def _busy_stats() -> ServerStats:
    stats = ServerStats()
    for status in ("200", "200", "429", "503", "499"):
        stats.request_started()
        stats.request_finished("chat.completions", status, 3, 7)
    stats.connection_opened()
    stats.scheduling_error(0.4)
    stats.scheduling_error(12.0)
    return stats


def test_json_round_trip_is_exact() -> None:
    snapshot = _busy_stats().snapshot()
    wire = json.loads(json.dumps(snapshot.to_json()))
    assert StatsSnapshot.from_json(wire) == snapshot
    assert wire["requests_by_status"] == {"200": 2, "429": 1, "499": 1, "503": 1}
    assert wire["scheduling_error_ms"]["count"] == 2


def test_the_route_serves_the_snapshot() -> None:
    async def main() -> tuple[Any, Any]:
        app = create_app(FakeLLMConfig(latency=LatencyConfig(ttft_ms=0.0, itl_ms=0.0)))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://fake") as client:
            chat = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
            (await client.post("/v1/chat/completions", json=chat)).raise_for_status()
            served = (await client.get("/stats")).json()
            after_reset = (await client.post("/stats/reset")).json()
        return served, after_reset

    served, after_reset = asyncio.run(main())
    snapshot = StatsSnapshot.from_json(served)
    assert snapshot.requests_total == 1 and snapshot.requests_by_status == {"200": 1}
    assert list(served) == list(snapshot.to_json())  # same keys, same order
    assert StatsSnapshot.from_json(after_reset).requests_total == 0


def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(json.dumps(_busy_stats().snapshot().to_json()))
    return document


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda d: d.pop("peak_in_flight"), "peak_in_flight: Field required"),
        (lambda d: d.update(requests_total="5"), "requests_total: Input should be a valid integer, got '5'"),
        (lambda d: d.update(hangs_total=1.5), "hangs_total: Input should be a valid integer, got 1.5"),
        (lambda d: d.update(in_flight=True), "in_flight: Input should be a valid integer, got True"),
        (lambda d: d.update(uptime_s=None), "uptime_s: Input should be a valid number, got None"),
        (lambda d: d.update(requests_by_status=[1]), "requests_by_status: Input should be a valid dict"),
        (lambda d: d["requests_by_status"].update({"200": "2"}), "requests_by_status/200: Input should be"),
        (lambda d: d["scheduling_error_ms"].pop("p99"), "scheduling_error_ms/p99: Field required"),
    ],
)
def test_a_bad_document_names_the_key(change: Any, needle: str) -> None:
    document = _document()
    change(document)
    with pytest.raises(StatsFormatError) as info:
        StatsSnapshot.from_json(document)
    assert needle in str(info.value)
    assert isinstance(info.value, ValueError)  # the bench treats it like a malformed reply


def test_not_an_object_and_extra_keys() -> None:
    with pytest.raises(StatsFormatError, match="the document: Input should be a dictionary"):
        StatsSnapshot.from_json([])
    document = {**_document(), "added_later": 1}
    assert StatsSnapshot.from_json(document).requests_total == 5


def test_an_int_is_accepted_where_a_float_is_expected() -> None:
    document = {**_document(), "requests_per_connection": 5}
    value = StatsSnapshot.from_json(document).requests_per_connection
    assert value == 5.0 and isinstance(value, float)


def test_docs_list_exactly_the_served_keys() -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## `/stats` keys", 1)[1].strip().split("\n\n", 1)[0]
    documented = {key for key in re.findall(r"`([a-z_0-9]+)`", section) if not key.isdigit()}  # not "499"
    wire = _document()
    served = set(wire) | set(wire["scheduling_error_ms"])
    assert served == documented, (
        f"docs/fake_llm.md '/stats keys' misses {served - documented}, lists unserved {documented - served}"
    )
