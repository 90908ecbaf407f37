"""When a measured point cannot be trusted, and why: pure rules, unit-tested.

A generator or fake_llm out of CPU, or an open loop late on its own schedule, makes a point invalid."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "FAKE_LLM_CPU_LIMIT_PERCENT",
    "LOADGEN_CPU_LIMIT_PERCENT",
    "MACHINE_CPU_WARN_PERCENT",
    "SCHEDULE_LAG_LIMIT_MS",
    "PointHealth",
    "invalid_reasons",
    "warnings_for",
]

# Percent of one core, averaged over the window, for one process of a single-threaded event loop.
LOADGEN_CPU_LIMIT_PERCENT = 90.0
FAKE_LLM_CPU_LIMIT_PERCENT = 90.0
# Whole machine (100 = every core busy): everything competes, figures may be skewed; a warning only,
# since a CPU-bound app on a small machine is itself a legitimate result.
MACHINE_CPU_WARN_PERCENT = 95.0
# The open loop's schedule lag p99 beyond which the generator, not the app, was late. A few ms: well
# below any latency the scenarios measure (100 ms and up), above the timer and scheduling jitter of a
# generator on a core of its own (docs/bench.md measures it).
SCHEDULE_LAG_LIMIT_MS = 5.0


@dataclass(frozen=True, kw_only=True)
class PointHealth:
    """What the validity rules look at.

    Args:
        requests: requests completed in the window.
        min_requests: the smallest count that still gives meaningful percentiles.
        loadgen_cpu_percent_per_process: the busiest Locust process's mean CPU over the window.
        loadgen_cpu_warning: Locust itself reported "CPU usage above 90%".
        fake_llm_cpu_percent: fake_llm's CPU over the window (None = not measured).
        machine_cpu_percent: all cores (None = not measured).
        schedule_lag_p99_ms: the open-loop generator's lag p99 (None: a closed loop, or nothing sent).
        open_loop: the generator was the open loop (the fix for a saturated one differs from Locust's).
        loadgen_remedy: what to do about a saturated generator, when its command has other means than
            `run`'s (`awaitbench demo`: fewer users); None: `run`'s advice for its generator.
    """

    requests: int
    min_requests: int
    loadgen_cpu_percent_per_process: float
    loadgen_cpu_warning: bool = False
    fake_llm_cpu_percent: float | None = None
    machine_cpu_percent: float | None = None
    schedule_lag_p99_ms: float | None = None
    open_loop: bool = False
    loadgen_remedy: str | None = None


def invalid_reasons(health: PointHealth) -> tuple[str, ...]:
    """Reasons the point is invalid; empty = valid."""
    reasons: list[str] = []
    if health.loadgen_cpu_percent_per_process > LOADGEN_CPU_LIMIT_PERCENT:
        fix = health.loadgen_remedy or (
            "lower --rate or spread generators (docs/bench.md)" if health.open_loop else "use --processes N"
        )
        reasons.append(
            f"load generator CPU {health.loadgen_cpu_percent_per_process:.0f}% of a core "
            f"(> {LOADGEN_CPU_LIMIT_PERCENT:.0f}%): {fix}"
        )
    lag = health.schedule_lag_p99_ms
    if lag is not None and lag > SCHEDULE_LAG_LIMIT_MS:
        reasons.append(
            f"the open-loop generator was late: schedule lag p99 {lag:.1f} ms (> {SCHEDULE_LAG_LIMIT_MS:g} "
            "ms), its own delay, not the app's; run on a quieter machine or lower --rate"
        )
    if health.loadgen_cpu_warning:
        reasons.append("Locust reported its own CPU above 90%")
    if health.fake_llm_cpu_percent is not None and health.fake_llm_cpu_percent > FAKE_LLM_CPU_LIMIT_PERCENT:
        reasons.append(
            f"fake_llm CPU {health.fake_llm_cpu_percent:.0f}% of a core (> {FAKE_LLM_CPU_LIMIT_PERCENT:.0f}%)"
        )
    if health.requests < health.min_requests:
        reasons.append(
            f"only {health.requests} requests completed in the window (< {health.min_requests}): "
            "use a longer --duration"
        )
    return tuple(reasons)


def warnings_for(health: PointHealth) -> tuple[str, ...]:
    """Conditions worth showing that do not invalidate the point."""
    if health.machine_cpu_percent is not None and health.machine_cpu_percent > MACHINE_CPU_WARN_PERCENT:
        return (f"machine CPU {health.machine_cpu_percent:.0f}%: every process competed for cores",)
    return ()
