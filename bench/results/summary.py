"""What each pitfall costs: the pitfall and its fix compared at the run's reference load.

The one place a pair is compared. Pure logic over `RunResults`: the end-of-run table and `--summary-json`
of `awaitbench run`, the overview chart, `summary.md` and the HTML page all read these objects, so they
can never disagree about a number. A pair with a missing, failed or invalid point still gets a row: the
verdict says which point and why, instead of the report crashing or silently dropping it.

Signals are the evidence beyond req/s and p99 that each scenario declares (429s, lost writes, first
byte, retry amplification): a forgotten `await` is *faster* (it skips the write it loses), a retry storm
answers as fast as backoff while it multiplies the upstream's load. Only figures that differ between the
two points are reported, so a pair with nothing to add gets no phrase.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.results.figures import figure_value
from bench.results.files import RunResults
from bench.results.ids import parse_point_id, point_id
from bench.results.records import PointRecord, ScenarioInfo, SignalInfo

__all__ = [
    "PairSummary",
    "format_number",
    "format_ratio",
    "loops_in_run",
    "pair_signals",
    "point_problem",
    "reference_loop",
    "reference_users_for",
    "summarize",
    "summary_dict",
    "variant_summary",
]

# Ratios closer to 1 than this are within the run-to-run noise of a few-second window: "no measurable cost".
_NOISE_RATIO = 1.15
_COSTLY_RATIO = 2.0


@dataclass(frozen=True, kw_only=True)
class PairSummary:
    """Pitfall vs fix of one scenario at one load.

    `throughput_ratio` is fix / pitfall (how many times more requests per second the fix serves);
    `p99_ratio` is pitfall / fix (how many times slower the pitfall's tail is). Both > 1 mean the
    pitfall costs something; either is None when a point is missing or has no data.
    """

    scenario: ScenarioInfo
    users: int
    loop: str
    pitfall: PointRecord | None
    fix: PointRecord | None
    throughput_ratio: float | None
    p99_ratio: float | None
    problems: tuple[str, ...]  # missing, failed or invalid points, one phrase each
    verdict: str
    signals: tuple[str, ...] = ()  # evidence beyond req/s and p99 (429s, lost writes, first byte, ...)

    @property
    def cost(self) -> float:
        """The larger of the two ratios: what sorts the overview, costliest first."""
        return max(self.throughput_ratio or 0.0, self.p99_ratio or 0.0)

    @property
    def pitfall_loop_lag_p99_ms(self) -> float | None:
        return _lag(self.pitfall)

    @property
    def fix_loop_lag_p99_ms(self) -> float | None:
        return _lag(self.fix)


def _lag(point: PointRecord | None) -> float | None:
    if point is None or point.server is None:
        return None
    return point.server.loop_lag_p99_ms


def format_ratio(ratio: float) -> str:
    """`x38`, `x3.2`, `x0.85`: whole numbers once the ratio is large enough that decimals are noise."""
    if ratio >= 10:
        return f"x{ratio:.0f}"
    if ratio >= 1:
        return f"x{ratio:.1f}"
    return f"x{ratio:.2f}"


def loops_in_run(run: RunResults) -> tuple[str, ...]:
    """Loops the run measured or planned, uvloop first (the default the summary compares on)."""
    loops: set[str] = {p.loop for p in run.points}
    for pid in run.manifest.planned_points:
        parsed = parse_point_id(pid)
        if parsed:
            loops.add(parsed.loop)
    return tuple(sorted(loops, key=lambda loop: (loop != "uvloop", loop)))


def reference_loop(run: RunResults) -> str:
    loops = loops_in_run(run)
    return loops[0] if loops else "uvloop"


def _users_for(run: RunResults, scenario_id: str) -> list[int]:
    users = {p.users for p in run.points if p.scenario == scenario_id}
    for pid in run.manifest.planned_points:
        parsed = parse_point_id(pid)
        if parsed and parsed.scenario == scenario_id:
            users.add(parsed.users)
    return sorted(users)


def reference_users_for(run: RunResults, scenario_id: str) -> int:
    """The manifest's reference load, or the highest load this scenario has when it lacks that one."""
    users = _users_for(run, scenario_id)
    if run.manifest.reference_users in users or not users:
        return run.manifest.reference_users
    return users[-1]


def _find(run: RunResults, scenario: str, variant: str, loop: str, users: int) -> PointRecord | None:
    wanted = point_id(scenario, variant, loop, users)
    return next((p for p in run.points if p.id == wanted), None)


def point_problem(pid: str, point: PointRecord | None) -> str | None:
    """Why a point cannot be trusted (not measured, failed, invalid), or None when it can."""
    if point is None:
        return f"{pid} not measured"
    if point.status != "ok":
        return f"{pid} failed: {point.error or 'no error recorded'}"
    if not point.valid:
        reasons = "; ".join(point.invalid_reasons) or "no reason recorded"
        return f"{pid} invalid: {reasons}"
    return None


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or numerator <= 0 or denominator <= 0:
        return None
    return numerator / denominator


def _p99(point: PointRecord | None) -> float | None:
    if point is None or point.status != "ok" or point.latency is None:
        return None
    return point.latency.p99_ms


def _throughput(point: PointRecord | None) -> float | None:
    if point is None or point.status != "ok":
        return None
    return point.throughput_rps


def _verdict(
    throughput_ratio: float | None,
    p99_ratio: float | None,
    problems: Sequence[str],
    signals: Sequence[str] = (),
) -> str:
    """Words for a pair: what the pitfall costs, what the fix costs, or that both are within the noise."""
    if throughput_ratio is None and p99_ratio is None:
        return "no comparison: a point is missing, failed or empty" if problems else "not measured"
    suffix = " (check: invalid or missing point)" if problems else ""
    pitfall_worse: list[str] = []
    fix_worse: list[str] = []
    for ratio, what in ((throughput_ratio, "less throughput"), (p99_ratio, "slower p99")):
        if ratio is None:
            continue
        if ratio >= _NOISE_RATIO:
            pitfall_worse.append(f"{format_ratio(ratio)} {what}")
        elif ratio <= 1 / _NOISE_RATIO:
            fix_worse.append(f"fix {format_ratio(1 / ratio)} {what}")
    if pitfall_worse and fix_worse:
        return "mixed: " + ", ".join(pitfall_worse + fix_worse) + suffix
    if pitfall_worse:
        worst = max(r for r in (throughput_ratio, p99_ratio) if r is not None)
        label = "costly" if worst >= _COSTLY_RATIO else "measurable cost"
        return f"{label}: " + ", ".join(pitfall_worse) + suffix
    if fix_worse and signals:
        # The fix does more work than the pitfall (it writes what the pitfall loses, waits where the pitfall
        # hammers the upstream): its price in req/s is real, and the pitfall's cost is in the signal.
        price = ", ".join(phrase.removeprefix("fix ") for phrase in fix_worse)
        return "the pitfall's cost is in the signal; the fix costs " + price + suffix
    if fix_worse:
        return "fix is slower here: " + ", ".join(fix_worse) + suffix
    return "no measurable difference" + suffix


def summarize(run: RunResults) -> tuple[PairSummary, ...]:
    """One PairSummary per scenario in the manifest, in manifest order."""
    loop = reference_loop(run)
    summaries = []
    for info in run.manifest.scenarios:
        users = reference_users_for(run, info.id)
        pitfall = _find(run, info.id, info.pitfall_variant, loop, users)
        fix = _find(run, info.id, info.fix_variant, loop, users)
        problems = tuple(
            problem
            for variant, point in ((info.pitfall_variant, pitfall), (info.fix_variant, fix))
            if (problem := point_problem(point_id(info.id, variant, loop, users), point)) is not None
        )
        throughput_ratio = _ratio(_throughput(fix), _throughput(pitfall))
        p99_ratio = _ratio(_p99(pitfall), _p99(fix))
        signals = pair_signals(pitfall, fix, info.signals)
        summaries.append(
            PairSummary(
                scenario=info,
                users=users,
                loop=loop,
                pitfall=pitfall,
                fix=fix,
                throughput_ratio=throughput_ratio,
                p99_ratio=p99_ratio,
                problems=problems,
                verdict=_verdict(throughput_ratio, p99_ratio, problems, signals),
                signals=signals,
            )
        )
    return tuple(summaries)


def format_number(value: float | None, *, digits: int = 1) -> str:
    """A figure for tables: fixed decimals, "-" when there is none (a missing or failed point)."""
    if value is None:
        return "-"
    return f"{value:.{digits}f}"


# ------------------------------------------------------------------------------------------------ signals

_DIFFERENT = 1.15  # relative difference below which two per-request figures count as the same


def _differ(a: float, b: float, min_gap: float) -> bool:
    low, high = sorted((abs(a), abs(b)))
    return high - low >= min_gap and (low == 0 or high / low >= _DIFFERENT)


def _phrase(signal: SignalInfo, pitfall: PointRecord, fix: PointRecord) -> str | None:
    a, b = figure_value(pitfall, signal.figure), figure_value(fix, signal.figure)
    if a is None or b is None:
        return None
    if signal.kind == "count":
        if a == b or max(a, b) <= 0:
            return None
    elif not _differ(a, b, signal.min_gap):
        return None
    unit = f" {signal.unit}" if signal.unit else ""
    return f"{signal.name} {a:.{signal.digits}f} vs {b:.{signal.digits}f}{unit}"


def pair_signals(
    pitfall: PointRecord | None, fix: PointRecord | None, signals: Sequence[SignalInfo]
) -> tuple[str, ...]:
    """Phrases like "upstream 429s 533 vs 0", pitfall figure first; empty when a point is unusable."""
    if pitfall is None or fix is None or pitfall.status != "ok" or fix.status != "ok":
        return ()
    found = (_phrase(signal, pitfall, fix) for signal in signals)
    return tuple(phrase for phrase in found if phrase is not None)


# ------------------------------------------------------------------------------------------ summary JSON


def variant_summary(record: PointRecord) -> dict[str, Any]:
    """The headline figures of one point (None where not measured): what `--summary-json` writes."""
    latency = record.latency
    server = record.server
    upstream = record.upstream
    figures: dict[str, Any] = {
        "status": record.status,
        "users": record.users,
        "loop": record.loop,
        "throughput_rps": record.throughput_rps if record.status == "ok" else None,
        "p50_ms": latency.p50_ms if latency else None,
        "p99_ms": latency.p99_ms if latency else None,
        "loop_lag_p99_ms": server.loop_lag_p99_ms if server else None,
        "cpu_ms_per_request": server.cpu_ms_per_request if server else None,
        "upstream_connections_per_request": upstream.connections_per_request if upstream else None,
        "failures": record.failures,
        "valid": record.valid,
        "invalid_reasons": list(record.invalid_reasons),
    }
    if record.ttfb is not None:  # streamed requests only: what the user waits for before the first byte
        figures["ttfb_p50_ms"] = record.ttfb.p50_ms
        figures["ttfb_p99_ms"] = record.ttfb.p99_ms
    return figures


def summary_dict(
    points: Sequence[PointRecord], *, reference_users: int, loop: str
) -> dict[str, dict[str, dict[str, Any]]]:
    """{scenario: {variant: figures}} at `reference_users` on `loop`, in the order points were measured."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for record in points:
        if record.users == reference_users and record.loop == loop:
            out.setdefault(record.scenario, {})[record.variant] = variant_summary(record)
    return out
