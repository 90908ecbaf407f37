"""What the demo's stage asks of fake_llm when the speaker changes L: the scenario's upstream, rescaled."""

from __future__ import annotations

import pytest

from bench.demo.stage import upstream_settings
from scenarios import get


def test_a_fixed_latency_upstream_takes_the_new_latency_and_keeps_its_other_settings() -> None:
    retries = get("retries")  # a capped upstream: the cap must survive a change of L
    settings = upstream_settings(retries, 250.0)
    assert settings["ttft_ms"] == pytest.approx(250.0)
    assert settings["max_concurrency"] == retries.upstream.fake_llm["max_concurrency"]


def test_a_streamed_upstream_keeps_its_shape() -> None:
    streaming = get("streaming")
    nominal = streaming.upstream.fake_llm
    settings = upstream_settings(streaming, streaming.upstream.latency_ms * 2)
    assert settings["ttft_ms"] == pytest.approx(2 * float(nominal["ttft_ms"]))
    assert settings["itl_ms"] == pytest.approx(2 * float(nominal["itl_ms"]))
    assert settings["output_tokens"] == nominal["output_tokens"]
