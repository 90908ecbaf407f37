"""Fault schedules are exact; fault rates are seeded."""

from __future__ import annotations

import pytest

from fake_llm.config import FaultConfig
from fake_llm.faults import FaultPicker, parse_fault


def test_first_n_then_every_k() -> None:
    picker = FaultPicker(FaultConfig(fault_kind="503", fault_first_n=2, fault_every_k=4), seed=0)
    picks = [picker.pick() for _ in range(9)]
    assert picks == ["503", "503", None, "503", None, None, None, "503", None]


def test_window_from_start() -> None:
    picker = FaultPicker(FaultConfig(fault_kind="hang", fault_window_s="0-60"), seed=0)
    assert picker.pick() == "hang"
    later = FaultPicker(FaultConfig(fault_kind="hang", fault_window_s="50-60"), seed=0)
    assert later.pick() is None


def test_rates_are_seeded_and_roughly_right() -> None:
    config = FaultConfig(error_rate_500=0.2, error_rate_429=0.1)
    a = [FaultPicker(config, seed=3).pick() for _ in range(1)]
    picker = FaultPicker(config, seed=3)
    picks = [picker.pick() for _ in range(5000)]
    again = FaultPicker(config, seed=3)
    assert [again.pick() for _ in range(5000)] == picks
    assert a[0] == picks[0]
    # 5000 draws: the binomial std-dev is ~0.006 for p=0.2; 0.03 is five of them.
    assert picks.count("500") / 5000 == pytest.approx(0.2, abs=0.03)
    assert picks.count("429") / 5000 == pytest.approx(0.1, abs=0.03)


def test_parse_fault() -> None:
    assert parse_fault("HANG") == "hang"
    assert parse_fault("none") is None
    with pytest.raises(ValueError, match="x-fake-fault must be one of"):
        parse_fault("teapot")


@pytest.mark.parametrize(
    ("config", "enabled"),
    [
        (FaultConfig(), False),
        (FaultConfig(fault_first_n=1), True),
        (FaultConfig(fault_every_k=3), True),
        (FaultConfig(fault_window_s="5-6"), True),
        (FaultConfig(hang_rate=0.01), True),
    ],
)
def test_enabled_only_when_something_can_fire(config: FaultConfig, enabled: bool) -> None:
    # The engine skips `pick` when disabled, so a disabled picker must never return a fault.
    picker = FaultPicker(config, seed=0)
    assert picker.enabled is enabled
    if not enabled:
        assert {picker.pick() for _ in range(100)} == {None}
