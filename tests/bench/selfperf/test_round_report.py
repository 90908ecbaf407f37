"""The saturation rounds judged from synthetic figures (pure logic: no processes): a round is valid only
when both servers were the bottleneck and nothing else ran; the headline is conclusive only when every
round is."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console

from bench.selfperf.config import Mode, PerfConfig
from bench.selfperf.round_report import judge_round, render_rounds, rounds_json, summarise
from bench.selfperf.rounds import RoundRecord


def _figures(us: float, *, cpu: float = 0.95, **changes: Any) -> dict[str, Any]:
    figures = {
        "achieved_rps": round(cpu / us * 1e6, 1),
        "completed": 10_000,
        "failed": {},
        "loadgen_cpu_util": 0.6,
        "server_cpu_util": cpu,
        "server_cpu_us_per_request": us,
        "load_average_1m": 2.1,
        "other_cpu_util": {"server_core": 0.01, "loadgen_core": 0.02},
    }
    return {**figures, **changes}


def _round(
    index: int, ceiling: dict[str, Any], fake: dict[str, Any], mode: Mode = "non-streaming"
) -> RoundRecord:
    return RoundRecord(mode=mode, index=index, connections=1500, ceiling=ceiling, fake_llm=fake)


def test_a_quiet_round_is_valid_and_its_ratio_is_the_cost_ratio() -> None:
    verdict = judge_round(_round(1, _figures(56.0), _figures(62.0)))
    assert verdict.valid and verdict.problems == ()
    assert verdict.cost_ratio == round(56 / 62, 3)
    assert verdict.throughput_ratio == pytest.approx(56 / 62, rel=0.01)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"cpu": 0.45}, "fake_llm used 45% of its core"),
        (
            {"other_cpu_util": {"server_core": 0.3, "loadgen_core": 0.0}},
            "other work took 30% of the server's core",
        ),
        ({"other_cpu_util": {"server_core": 0.0, "loadgen_core": 0.5}}, "50% of the generator's core"),
        ({"load_average_1m": 6.2}, "load average 6.2"),
        ({"loadgen_cpu_util": 0.97}, "generator CPU 97%"),
        ({"failed": {"connect": 500}}, "errors: connect x500"),
    ],
)
def test_a_disturbed_round_is_invalid_and_says_why(changes: dict[str, Any], reason: str) -> None:
    verdict = judge_round(_round(1, _figures(56.0), _figures(62.0, **changes)))
    assert not verdict.valid
    assert reason in "; ".join(verdict.problems)
    assert verdict.problems[0].startswith("fake_llm ")


def test_one_invalid_round_makes_the_mode_inconclusive_but_keeps_the_valid_spread() -> None:
    rounds = [
        _round(1, _figures(56.0), _figures(60.0)),
        _round(2, _figures(58.0), _figures(61.0)),
        _round(3, _figures(56.0, cpu=0.5), _figures(80.0)),
    ]
    verdicts = [judge_round(r) for r in rounds]
    summary = summarise(verdicts, "non-streaming")
    assert summary.rounds == 3 and summary.valid_rounds == 2
    assert not summary.conclusive and summary.meets_target is None
    assert summary.min_ratio == round(56 / 60, 3) and summary.max_ratio == round(58 / 61, 3)
    conclusive = summarise(verdicts[:2], "non-streaming")
    assert conclusive.conclusive and conclusive.meets_target is True
    assert conclusive.median_ratio == pytest.approx((56 / 60 + 58 / 61) / 2, abs=0.001)


def test_a_costly_fake_llm_misses_the_target() -> None:
    summary = summarise([judge_round(_round(1, _figures(56.0), _figures(72.0)))], "non-streaming")
    assert summary.conclusive and summary.median_ratio == 0.778 and summary.meets_target is False


def test_table_and_document() -> None:
    config = PerfConfig(sched="normal", modes=("non-streaming",))
    rounds = [_round(1, _figures(56.0), _figures(60.0)), _round(2, _figures(56.0), _figures(60.0, cpu=0.4))]
    buffer = io.StringIO()
    render_rounds(Console(file=buffer, width=250), records=rounds, config=config)
    text = buffer.getvalue()
    assert "0.93x" in text and "1 of 2" in text and "inconclusive" in text and "used 40% of its core" in text
    document = rounds_json(rounds, config)
    assert document["target_ratio"] == 0.9 and document["min_core_share"] == 0.9
    [summary] = document["summaries"]
    assert summary["valid_rounds"] == 1 and summary["conclusive"] is False
    assert [v["valid"] for v in document["verdicts"]] == [True, False]
    assert len(document["records"]) == 2
