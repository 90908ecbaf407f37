"""The demo's figure stream: each driver's intervals over a sliding window, and the frame the page draws.

Histograms are merged, never percentiles averaged; a window whose driver or fake_llm ran out of CPU is
flagged by `awaitbench run`'s own validity rule."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bench.loadgen.intervals import Interval, decode_histogram, new_histogram
from bench.measure.validity import PointHealth, invalid_reasons, warnings_for
from scenarios.model import Prediction

__all__ = [
    "SIDES",
    "CpuWindow",
    "Frame",
    "SideFrame",
    "SideStatus",
    "Window",
    "WindowFigures",
    "fix_ratio",
    "merge_intervals",
]

SIDES = ("pitfall", "fix")
SideStatus = Literal["running", "starting", "down"]
_REMEDY = "fewer users, or a quieter machine"


@dataclass(frozen=True, kw_only=True)
class WindowFigures:
    """What a driver measured over a window (latencies None when nothing completed)."""

    window_s: float
    completed: int
    failed: int
    throughput_rps: float
    errors_per_s: float
    p50_ms: float | None
    p99_ms: float | None
    loadgen_cpu_percent: float


def merge_intervals(intervals: Sequence[Interval]) -> WindowFigures:
    """Sum the counts and merge the latency histograms of `intervals` into one window's figures."""
    window_s = sum(i.duration_s for i in intervals)
    completed = sum(i.completed for i in intervals)
    failed = sum(sum(i.errors.values()) for i in intervals)
    histogram = new_histogram()
    for interval in intervals:
        if interval.latency_histogram:
            histogram.add(decode_histogram(interval.latency_histogram))
    has_latency = histogram.get_total_count() > 0

    def percentile_ms(q: float) -> float | None:
        return round(histogram.get_value_at_percentile(q) / 1000.0, 1) if has_latency else None

    per_s = 1.0 / window_s if window_s > 0 else 0.0
    return WindowFigures(
        window_s=round(window_s, 3),
        completed=completed,
        failed=failed,
        throughput_rps=round(completed * per_s, 1),
        errors_per_s=round(failed * per_s, 1),
        p50_ms=percentile_ms(50.0),
        p99_ms=percentile_ms(99.0),
        loadgen_cpu_percent=round(sum(i.cpu_s for i in intervals) * per_s * 100.0, 1),
    )


class Window:
    """One driver's intervals that ended within the last `window_s` seconds of its clock."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._intervals: deque[Interval] = deque()

    def add(self, interval: Interval) -> None:
        self._intervals.append(interval)
        horizon = interval.end_s - self.window_s
        while self._intervals and self._intervals[0].end_s <= horizon:
            self._intervals.popleft()

    def clear(self) -> None:
        """Forget every interval (a new stage, or the load resumed after a pause)."""
        self._intervals.clear()

    def figures(self) -> WindowFigures:
        return merge_intervals(list(self._intervals))


class CpuWindow:
    """A process's CPU share (100 = one core) over the last `window_s` seconds, from cumulative readings."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._readings: deque[tuple[float, float]] = deque()

    def add(self, at_s: float, cpu_s: float) -> None:
        self._readings.append((at_s, cpu_s))
        while len(self._readings) > 2 and self._readings[1][0] <= at_s - self.window_s:
            self._readings.popleft()

    def clear(self) -> None:
        self._readings.clear()

    def percent(self) -> float | None:
        if len(self._readings) < 2:
            return None
        (t0, c0), (t1, c1) = self._readings[0], self._readings[-1]
        return round((c1 - c0) / (t1 - t0) * 100.0, 1) if t1 > t0 else None


@dataclass(frozen=True, kw_only=True)
class SideFrame:
    """One side (the pitfall's or the fix's app) in one frame.

    Args:
        variant: the variant id.
        status: "running", "starting" (a new stage is coming up) or "down" (its app exited).
        figures: the window's figures (None while starting or down).
        theory_rps, theory_ms: the scenario's theory at the frame's users and upstream latency.
        invalid: why the figures cannot be trusted (empty = they can): `awaitbench run`'s rule.
        message: what the page says about a side that is not running.
    """

    variant: str
    status: SideStatus
    figures: WindowFigures | None = None
    theory_rps: float | None = None
    theory_ms: float | None = None
    invalid: tuple[str, ...] = ()
    message: str = ""

    @classmethod
    def measured(
        cls,
        variant: str,
        figures: WindowFigures,
        prediction: Prediction | None,
        *,
        fake_llm_cpu_percent: float | None,
    ) -> SideFrame:
        health = PointHealth(
            requests=figures.completed,
            min_requests=0,
            loadgen_cpu_percent_per_process=figures.loadgen_cpu_percent,
            fake_llm_cpu_percent=fake_llm_cpu_percent,
            loadgen_remedy=_REMEDY,
        )
        return cls(
            variant=variant,
            status="running",
            figures=figures,
            theory_rps=None if prediction is None else round(prediction.throughput_rps, 1),
            theory_ms=None if prediction is None else round(prediction.latency_ms, 1),
            invalid=invalid_reasons(health),
        )


def fix_ratio(pitfall: SideFrame, fix: SideFrame) -> float | None:
    """How many times the fix's throughput the pitfall's is (None when either has no figures)."""
    if pitfall.figures is None or fix.figures is None or pitfall.figures.throughput_rps <= 0:
        return None
    return round(fix.figures.throughput_rps / pitfall.figures.throughput_rps, 1)


@dataclass(frozen=True, kw_only=True)
class Frame:
    """What the page draws at one tick: both sides at the same load, and notes about the machine.

    Args:
        at: seconds since the demo started (wall clock: replay paces itself by it).
        t: seconds of load (paused time excluded): the charts' time axis.
        users: the users each driver keeps busy.
        latency_ms: the upstream latency L.
        sides: "pitfall" and "fix".
        ratio: the fix's throughput over the pitfall's.
        notes: conditions worth showing that do not invalidate the figures (the machine's CPU).
    """

    at: float
    t: float
    users: int
    latency_ms: float
    sides: Mapping[str, SideFrame]
    ratio: float | None = None
    notes: tuple[str, ...] = field(default=())

    @classmethod
    def of(
        cls,
        *,
        at: float,
        t: float,
        users: int,
        latency_ms: float,
        sides: Mapping[str, SideFrame],
        machine_cpu_percent: float | None,
    ) -> Frame:
        machine = PointHealth(
            requests=0,
            min_requests=0,
            loadgen_cpu_percent_per_process=0.0,
            machine_cpu_percent=machine_cpu_percent,
        )
        return cls(
            at=round(at, 3),
            t=round(t, 3),
            users=users,
            latency_ms=latency_ms,
            sides=dict(sides),
            ratio=fix_ratio(sides["pitfall"], sides["fix"]),
            notes=warnings_for(machine),
        )

    def to_message(self) -> dict[str, Any]:
        return {"kind": "frame", **asdict(self)}
