"""streaming: a buffered answer's first byte comes with its last; a streamed one's after ~TTFT."""

from __future__ import annotations

import json
import statistics

import pytest

from scenarios.streaming import OUTPUT_TOKENS, SCENARIO, TTFT_MS, UPSTREAM_LATENCY_MS
from tests.scenarios.clients import ask_concurrently
from tests.scenarios.conftest import Fleet, fleet_fixture

USERS = 3


apps = fleet_fixture(SCENARIO)


def test_streamed_answers_server_sent_events(apps: Fleet) -> None:
    (outcome,) = ask_concurrently(apps.apps["streamed"], 1)
    assert outcome.status == 200
    events = [line.removeprefix("data: ") for line in outcome.body.decode().splitlines() if line]
    assert events[-1] == "[DONE]"
    deltas = [json.loads(event)["delta"] for event in events[:-1]]
    assert len(deltas) >= OUTPUT_TOKENS // 2 and "".join(deltas).strip()


@pytest.mark.perf
def test_streamed_first_byte_comes_long_before_the_end(apps: Fleet) -> None:
    buffered = ask_concurrently(apps.apps["buffered"], USERS)
    streamed = ask_concurrently(apps.apps["streamed"], USERS)
    total_s = UPSTREAM_LATENCY_MS / 1000.0
    buffered_first = statistics.median(o.first_byte_s for o in buffered)
    streamed_first = statistics.median(o.first_byte_s for o in streamed)
    streamed_total = statistics.median(o.elapsed_s for o in streamed)
    assert buffered_first >= 0.9 * total_s  # nothing before the last token
    assert streamed_total >= 0.9 * total_s  # the same total time...
    # ...but the first token arrives after ~TTFT (100 ms of 500 ms); theory: a ratio of 5.
    assert streamed_first <= 0.6 * buffered_first, (streamed_first, buffered_first)
    assert streamed_first >= 0.9 * TTFT_MS / 1000.0
