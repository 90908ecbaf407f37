"""The cost phrases: numbers a reviewer reads once."""

from __future__ import annotations

import pytest

from awaitbench.detect.diagnose.cost import fmt, fmt_ms, littles_bound_rps, ratio_text, throughput_cost
from tests.awaitbench.detect.diagnose.evidence_builders import evidence, phase


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (9.8, "9.8"),
        (0.523, "0.52"),
        (190.4, "190"),
        (1234.0, "1,234"),
        (12.25, "12.2"),
        (40.0, "40"),
        (3.0, "3"),
    ],
)
def test_fmt(value: float, text: str) -> None:
    assert fmt(value) == text


def test_fmt_ms_and_ratio() -> None:
    assert (fmt_ms(312.0), fmt_ms(4012.0)) == ("312 ms", "4.01 s")
    assert (ratio_text(19.4), ratio_text(2.84)) == ("x19", "x2.8")
    assert littles_bound_rps(20, 105.0) == pytest.approx(190.476, abs=1e-3)
    assert littles_bound_rps(20, 0.0) is None


def test_throughput_cost_against_littles_bound() -> None:
    assert throughput_cost(evidence(load=phase(throughput_rps=9.8))) == (
        "reaches 9.8 req/s at 20 users where Little's law allows 190: x19 below"
    )
    assert (
        throughput_cost(evidence())
        == "reaches 190 req/s at 20 users where Little's law allows 190 (within 15%)"
    )
    assert throughput_cost(evidence(load=phase(throughput_rps=0.0))).endswith(": no answer at all")
    assert throughput_cost(evidence(load=None)) == ""
