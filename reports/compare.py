"""Before/after comparison of two results, with a verdict that knows about noise.

A change is better or worse only outside its metric's noise band (threshold, repeats, sampling error); a
point not worth judging is "not comparable" with its reason."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bench.results import LoadKind, PointRecord, ResultsError, RunResults, load_run
from reports.noise import percentile_band_pct, percentile_judgeable, rate_band_pct

__all__ = [
    "METRICS",
    "Comparison",
    "MetricChange",
    "PointChange",
    "Verdict",
    "compare_runs",
    "load_side",
    "unsteady_reason",
]

# "lost": measured in BASE but failed or missing in NEW, which a CI gate must not wave through.
Verdict = Literal["better", "worse", "unchanged", "missing", "lost", "not comparable"]

# A closed loop at a steady state obeys Little's law, X = U / R (fixes below CPU saturation measure
# 0.98-1.03); 10 % below it, the window saw a queue still filling or a generator that lagged.
_MIN_FIDELITY = 0.9


@dataclass(frozen=True, kw_only=True)
class _Metric:
    name: str
    label: str
    higher_is_better: bool
    value: Callable[[PointRecord], float | None]
    fraction: float | None = None  # the percentile, for latency metrics

    def sampling_band_pct(self, point: PointRecord) -> float | None:
        """This point's own sampling error of the metric, in percent; None when it cannot be judged."""
        if self.fraction is None:
            return rate_band_pct(point.requests - point.failures)
        if point.latency is None or not percentile_judgeable(point.latency.count, self.fraction):
            return None
        return percentile_band_pct(point.latency.cdf, point.latency.count, self.fraction)


def _p50(point: PointRecord) -> float | None:
    return point.latency.p50_ms if point.latency else None


def _p99(point: PointRecord) -> float | None:
    return point.latency.p99_ms if point.latency else None


METRICS: tuple[_Metric, ...] = (
    _Metric(name="throughput_rps", label="req/s", higher_is_better=True, value=lambda p: p.throughput_rps),
    _Metric(name="p50_ms", label="p50 ms", higher_is_better=False, value=_p50, fraction=0.50),
    _Metric(name="p99_ms", label="p99 ms", higher_is_better=False, value=_p99, fraction=0.99),
)


@dataclass(frozen=True, kw_only=True)
class MetricChange:
    """One metric of one point: means of each side, relative change, the band used and the verdict."""

    metric: str
    label: str
    base: float | None
    new: float | None
    change_pct: float | None  # (new - base) / base, in percent
    band_pct: float  # |change| within this is "unchanged"
    verdict: Verdict
    higher_is_better: bool
    reason: str = ""  # why the metric is not comparable

    @property
    def worse_pct(self) -> float:
        """How much worse NEW is, in percent: 100 when lost, 0 when better, unchanged or missing."""
        if self.verdict == "lost":
            return 100.0
        if self.change_pct is None or self.verdict != "worse":
            return 0.0
        return -self.change_pct if self.higher_is_better else self.change_pct


@dataclass(frozen=True, kw_only=True)
class PointChange:
    """Every metric of one (scenario, variant, loop, load) point: `users` closed-loop users, or (`load`
    "rate") an open-loop point at `load_value` req/s offered."""

    point_id: str
    scenario: str
    variant: str
    loop: str
    users: int
    base_repeats: int
    new_repeats: int
    changes: tuple[MetricChange, ...]
    notes: tuple[str, ...] = ()
    load: LoadKind = "users"
    load_value: float = 0.0


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """The whole comparison; `points` in scenario, variant, loop, users order."""

    base: tuple[RunResults, ...]
    new: tuple[RunResults, ...]
    threshold_pct: float
    points: tuple[PointChange, ...]

    def regressions(self, limit_pct: float) -> list[tuple[PointChange, MetricChange]]:
        """Metrics judged worse by more than `limit_pct` percent."""
        return [(p, c) for p in self.points for c in p.changes if c.worse_pct > limit_pct]


def load_side(path: Path) -> tuple[RunResults, ...]:
    """A results directory, or a directory of results directories (repeated runs), sorted by name.

    Raises:
        ResultsError: neither, or a results directory that cannot be read.
    """
    if (path / "manifest.json").exists() or not path.is_dir():
        return (load_run(path),)
    repeats = sorted(child for child in path.iterdir() if (child / "manifest.json").is_file())
    if not repeats:
        raise ResultsError(
            f"{path} holds no manifest.json and no results directories: pass the --out directory of "
            "an 'awaitbench run', or a directory of several"
        )
    return tuple(load_run(child) for child in repeats)


def _points(runs: Sequence[RunResults], pid: str) -> list[PointRecord]:
    return [point for run in runs for point in run.points if point.id == pid and point.status == "ok"]


def _values(points: Sequence[PointRecord], metric: _Metric) -> list[float]:
    return [v for point in points if (v := metric.value(point)) is not None]


def unsteady_reason(point: PointRecord) -> str | None:
    """Why a measured point did not reach a steady state, or None."""
    if not point.valid:
        return "invalid point"
    if not point.steady and point.steady_state is not None:
        return "not steady (" + ("; ".join(point.steady_state.reasons) or "the window's halves differ") + ")"
    fidelity = point.theory.closed_loop_fidelity if point.theory else None
    if fidelity is not None and fidelity < _MIN_FIDELITY:
        return f"not steady (closed-loop fidelity {fidelity:.2f})"
    warnings = point.loadgen.warnings if point.loadgen else ()
    if any("queue was still filling" in warning for warning in warnings):
        return "not steady (queue still filling)"
    return None


def _repeat_band_pct(base: Sequence[float], new: Sequence[float]) -> float:
    if len(base) < 2 or len(new) < 2:
        return 0.0
    mean_base = statistics.fmean(base)
    if mean_base <= 0:
        return 0.0
    stderr = math.sqrt(statistics.variance(base) / len(base) + statistics.variance(new) / len(new))
    return 100.0 * 2.0 * stderr / mean_base


def _sampling_band_pct(
    metric: _Metric, base: Sequence[PointRecord], new: Sequence[PointRecord]
) -> tuple[float, str]:
    """The combined sampling error of both sides' means, or (nan, reason) when a side cannot be judged."""
    squares = []
    for side, points in (("base", base), ("new", new)):
        for point in points:
            if (reason := unsteady_reason(point)) is not None:
                return math.nan, f"{side}: {reason}"
        bands = [metric.sampling_band_pct(point) for point in points]
        if any(band is None for band in bands):
            what = "answers" if metric.fraction is None else f"requests beyond {metric.label.split()[0]}"
            return math.nan, f"{side}: too few {what}"
        # The mean of k independent repeats has 1/sqrt(k) of one repeat's error.
        squares.append(statistics.fmean(band**2 for band in bands if band is not None) / len(points))
    return math.sqrt(sum(squares)), ""


def _change(
    metric: _Metric, base: Sequence[PointRecord], new: Sequence[PointRecord], threshold_pct: float
) -> MetricChange:
    base_values, new_values = _values(base, metric), _values(new, metric)
    mean_base = statistics.fmean(base_values) if base_values else None
    mean_new = statistics.fmean(new_values) if new_values else None
    sampling, reason = _sampling_band_pct(metric, base, new) if base and new else (0.0, "")
    band = max(threshold_pct, _repeat_band_pct(base_values, new_values), 0.0 if reason else sampling)
    change_pct: float | None = None
    verdict: Verdict = "lost" if mean_base is not None and mean_new is None else "missing"
    if mean_base is not None and mean_new is not None and mean_base > 0:
        change_pct = 100.0 * (mean_new - mean_base) / mean_base
        if reason:
            verdict = "not comparable"
        elif abs(change_pct) <= band:
            verdict = "unchanged"
        elif (change_pct > 0) == metric.higher_is_better:
            verdict = "better"
        else:
            verdict = "worse"
    return MetricChange(
        metric=metric.name,
        label=metric.label,
        base=mean_base,
        new=mean_new,
        change_pct=change_pct,
        band_pct=band,
        verdict=verdict,
        higher_is_better=metric.higher_is_better,
        reason=reason,
    )


def _point_index(runs: Sequence[RunResults]) -> dict[str, PointRecord]:
    return {p.id: p for run in runs for p in run.points}


def _notes(pid: str, base: Sequence[RunResults], new: Sequence[RunResults]) -> tuple[str, ...]:
    notes = []
    for side, runs in (("base", base), ("new", new)):
        points = [p for run in runs for p in run.points if p.id == pid]
        if not points:
            notes.append(f"{side}: not measured")
        elif any(p.status != "ok" for p in points):
            notes.append(f"{side}: failed")
        elif any(reason := unsteady_reason(p) for p in points):
            notes.append(f"{side}: {reason}")
    return tuple(notes)


def compare_runs(
    base: Sequence[RunResults], new: Sequence[RunResults], *, threshold_pct: float = 10.0
) -> Comparison:
    """Compare every point measured on either side (closed-loop and open-loop points alike: a point is
    matched by its id, which names its load).

    Args:
        base, new: one or more runs each (more = repeats, used for the noise band).
        threshold_pct: the smallest relative change that counts as better or worse.

    Raises:
        ValueError: `threshold_pct` is negative.
    """
    if threshold_pct < 0:
        raise ValueError("`threshold_pct` must be non-negative")
    base_points, new_points = _point_index(base), _point_index(new)
    changes = []
    for pid in sorted(set(base_points) | set(new_points)):
        sample = base_points.get(pid) or new_points[pid]
        changes.append(
            PointChange(
                point_id=pid,
                scenario=sample.scenario,
                variant=sample.variant,
                loop=sample.loop,
                users=sample.users,
                base_repeats=len(_points(base, pid)),
                new_repeats=len(_points(new, pid)),
                changes=tuple(
                    _change(m, _points(base, pid), _points(new, pid), threshold_pct) for m in METRICS
                ),
                notes=_notes(pid, base, new),
                load=sample.load,
                load_value=sample.load_value,
            )
        )
    changes.sort(key=lambda c: (c.scenario, c.variant, c.loop, c.load, c.load_value))
    return Comparison(base=tuple(base), new=tuple(new), threshold_pct=threshold_pct, points=tuple(changes))
