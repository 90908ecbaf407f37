"""WatchConfig and FrameFilter: bad settings fail at construction, naming the setting and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from awaitbench.detect.watchdog import FrameFilter, WatchConfig, WatchConfigError, watch_loop


@pytest.mark.parametrize(
    ("settings", "names"),
    [
        ({"threshold_ms": 0}, "threshold_ms"),
        ({"threshold_ms": float("nan")}, "threshold_ms"),
        ({"threshold_ms": True}, "threshold_ms"),
        ({"interval_ms": 0.5}, "interval_ms"),
        ({"threshold_ms": 10, "interval_ms": 20}, "must not exceed threshold_ms"),
        ({"loops": "mine"}, "loops"),
        ({"coroutine_origin_depth": -1}, "coroutine_origin_depth"),
        ({"max_blocks": -1}, "max_blocks"),
    ],
)
def test_invalid_settings_name_the_setting(settings: dict[str, Any], names: str) -> None:
    with pytest.raises(WatchConfigError, match=names):
        WatchConfig(**settings)


def test_default_interval_is_a_fifth_of_the_threshold_capped_at_20_ms() -> None:
    assert WatchConfig().interval_s == pytest.approx(0.010)  # 50 ms threshold
    assert WatchConfig(threshold_ms=500).interval_s == pytest.approx(0.020)
    assert WatchConfig(threshold_ms=2).interval_s == pytest.approx(0.001)
    assert WatchConfig(threshold_ms=100, interval_ms=5).interval_s == pytest.approx(0.005)


def test_frame_filter_rejects_a_bare_string() -> None:
    with pytest.raises(WatchConfigError, match=r"user_modules=\('myapp',\)"):
        FrameFilter(user_modules="myapp")  # type: ignore[arg-type]  # the mistake under test: a str, not a tuple


def test_watch_loop_rejects_unknown_settings_and_mixed_forms() -> None:
    with pytest.raises(WatchConfigError, match="WatchConfig's fields"):
        watch_loop(treshold_ms=10)
    with pytest.raises(WatchConfigError, match="not both"):
        watch_loop(WatchConfig(), threshold_ms=10)


def test_current_loop_mode_needs_a_running_loop() -> None:
    with pytest.raises(WatchConfigError, match="loops='all'"):
        watch_loop(loops="current").start()
