from __future__ import annotations

from typing import Any

from bench.measure.validity import PointHealth, invalid_reasons, warnings_for


def _health(**overrides: object) -> PointHealth:
    base: dict[str, Any] = {
        "requests": 500,
        "min_requests": 10,
        "loadgen_cpu_percent_per_process": 40.0,
        "loadgen_cpu_warning": False,
        "fake_llm_cpu_percent": 30.0,
        "machine_cpu_percent": 60.0,
    }
    base.update(overrides)
    return PointHealth(**base)


def test_healthy_point_is_valid() -> None:
    assert invalid_reasons(_health()) == ()
    assert warnings_for(_health()) == ()


def test_saturated_generator_is_invalid() -> None:
    (reason,) = invalid_reasons(_health(loadgen_cpu_percent_per_process=97.0))
    assert "load generator CPU 97%" in reason and "--processes" in reason


def test_locust_cpu_warning_is_invalid() -> None:
    assert invalid_reasons(_health(loadgen_cpu_warning=True)) == ("Locust reported its own CPU above 90%",)


def test_saturated_fake_llm_is_invalid() -> None:
    (reason,) = invalid_reasons(_health(fake_llm_cpu_percent=95.0))
    assert reason.startswith("fake_llm CPU 95%")


def test_too_few_requests_is_invalid() -> None:
    (reason,) = invalid_reasons(_health(requests=3))
    assert "only 3 requests" in reason


def test_reasons_accumulate() -> None:
    assert len(invalid_reasons(_health(requests=0, loadgen_cpu_warning=True, fake_llm_cpu_percent=99))) == 3


def test_busy_machine_is_a_warning_not_invalid() -> None:
    health = _health(machine_cpu_percent=99.0)
    assert invalid_reasons(health) == ()
    assert "machine CPU 99%" in warnings_for(health)[0]


def test_a_late_open_loop_generator_makes_the_point_invalid() -> None:
    (reason,) = invalid_reasons(_health(schedule_lag_p99_ms=12.5, open_loop=True))
    assert "schedule lag p99 12.5 ms" in reason and "not the app's" in reason
    assert invalid_reasons(_health(schedule_lag_p99_ms=1.2, open_loop=True)) == ()


def test_a_saturated_open_loop_generator_is_not_told_to_use_locust_processes() -> None:
    (reason,) = invalid_reasons(_health(loadgen_cpu_percent_per_process=95.0, open_loop=True))
    assert "--processes" not in reason and "--rate" in reason
