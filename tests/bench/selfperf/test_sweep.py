"""Judging one step: invalid (generator-bound) before failed, and every reason named."""

from __future__ import annotations

from typing import Any

import pytest

from bench.errors import UsageError
from bench.loadgen.open_loop_config import OpenLoopConfig
from bench.run.rate_search import StepVerdict
from bench.selfperf.config import PerfConfig
from bench.selfperf.sweep import judge_step


def _figures(**overrides: Any) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "rate_rps": 1000.0,
        "sent": 3000,
        "sent_rps": 1000.0,
        "ok": 3000,
        "achieved_rps": 1000.0,
        "failed": {},
        "error_ms": {"p50": 0.5, "p90": 1.0, "p99": 2.0, "max": 3.0},
        "dispatch_lag_ms": {"p50": 0.1, "p90": 0.3, "p99": 0.8, "max": 1.0},
        "loadgen_cpu_util": 0.3,
        "server_cpu_util": 0.5,
    }
    figures.update(overrides)
    return figures


CONFIG = PerfConfig()


def test_within_budget_is_sustained() -> None:
    assert judge_step(_figures(), config=CONFIG).verdict is StepVerdict.SUSTAINED


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"error_ms": {"p50": 1.0, "p90": 3.0, "p99": 5.5, "max": 9.0}}, "p99 error 5.5 ms"),
        ({"achieved_rps": 900.0}, "completed 900 rps"),
        ({"failed": {"timeout": 10}}, "timeout x10"),
        ({"error_ms": {"p50": -30.0, "p90": -29.0, "p99": -28.0, "max": 0.0}}, "early"),
    ],
)
def test_failures_name_their_reason(overrides: dict[str, Any], reason: str) -> None:
    outcome = judge_step(_figures(**overrides), config=CONFIG)
    assert outcome.verdict is StepVerdict.FAILED
    assert any(reason in r for r in outcome.reasons), outcome.reasons


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"loadgen_cpu_util": 0.97}, "generator CPU 97%"),
        ({"sent_rps": 800.0}, "generator sent only 800 rps"),
        ({"dispatch_lag_ms": {"p50": 1.0, "p90": 5.0, "p99": 12.0, "max": 20.0}}, "dispatch lag"),
    ],
)
def test_generator_bound_steps_are_invalid_even_if_slow(overrides: dict[str, Any], reason: str) -> None:
    slow = {"error_ms": {"p50": 10.0, "p90": 20.0, "p99": 40.0, "max": 50.0}}
    outcome = judge_step(_figures(**slow, **overrides), config=CONFIG)
    assert outcome.verdict is StepVerdict.INVALID
    assert any(reason in r for r in outcome.reasons), outcome.reasons


def test_load_config_round_trips_and_streaming_only_gets_the_itl() -> None:
    load = CONFIG.load_config(url="http://127.0.0.1:1/v1/chat/completions", mode="streaming", rate_rps=10)
    assert OpenLoopConfig.from_json(load.to_json()) == load
    assert load.expected is not None and load.expected.intended_ms(2) == 50 + 2 * 20
    assert load.count_tokens and load.json_body is not None and load.json_body["stream"] is True
    plain = CONFIG.load_config(url="http://127.0.0.1:1/", mode="non-streaming", rate_rps=10)
    assert plain.expected is not None and plain.expected.itl_ms == 0
    assert not plain.count_tokens


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ttft_ms": 0}, "--ttft-ms must be > 0"),
        ({"start_rps": 500, "max_rps": 100}, "--max-rps"),
        ({"server_cpu": 1, "loadgen_cpu": 1}, "must differ"),
        ({"loadgen_cpu": 4096}, "--loadgen-cpu 4096"),
        ({"max_steps": 0}, "--max-steps"),
    ],
)
def test_bad_settings_are_usage_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        PerfConfig(**kwargs)
