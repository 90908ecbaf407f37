"""What each pitfall costs: the pitfall and its fix compared at each scenario's reference load.

The one place a pair is compared (the run's table, `--summary-json`, the overview, `summary.md` and the
page read it); a pair with a missing, failed, invalid or unsteady point still gets a row that says why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bench.results.files import RunResults
from bench.results.headline import NOISE_RATIO, HeadlineResult, format_ratio, headline_result
from bench.results.ids import parse_point_id, point_id
from bench.results.named_figures import figure_value
from bench.results.records import CapacityResult, PointRecord, ScenarioInfo, SignalInfo

__all__ = [
    "Bound",
    "CapacityPair",
    "PairSummary",
    "capacity_pairs",
    "format_bounded_ratio",
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

_NOISE_RATIO = NOISE_RATIO
_COSTLY_RATIO = 2.0

Bound = Literal["exact", "lower", "upper", "unknown"]


@dataclass(frozen=True, kw_only=True)
class PairSummary:
    """Pitfall vs fix of one scenario at one closed-loop load (users).

    `headline` is the pair on the scenario's own metric: what the verdict and the overview lead with.
    `throughput_ratio` is fix / pitfall (how many times more requests per second the fix serves);
    `p99_ratio` is pitfall / fix (how many times slower the pitfall's tail is), `p99_bound` says whether
    it is exact or rests on a lower bound (requests that never answered). Both > 1 mean the pitfall
    costs something; either is None when a point is missing or has no data.
    """

    scenario: ScenarioInfo
    users: int
    loop: str
    pitfall: PointRecord | None
    fix: PointRecord | None
    throughput_ratio: float | None
    p99_ratio: float | None
    problems: tuple[str, ...]  # missing, failed, invalid or unsteady points, one phrase each
    verdict: str
    signals: tuple[str, ...] = ()  # evidence beyond req/s and p99 (429s, lost writes, first byte, ...)
    headline: HeadlineResult | None = None
    p99_bound: Bound = "exact"

    @property
    def cost(self) -> float:
        """The headline ratio (infinite when the fix's side is zero): what sorts the overview."""
        if self.headline is None or self.headline.outcome == "not measured":
            return 0.0
        if self.headline.ratio is None:
            return float("inf") if self.headline.outcome == "pitfall worse" else 0.0
        return self.headline.ratio

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


def format_bounded_ratio(ratio: float, bound: Bound = "exact") -> str:
    """`x3.2`, or `≥x3.2` / `≤x3.2` when it rests on a lower bound, `x3.2?` when on two."""
    prefix = {"lower": "≥", "upper": "≤"}.get(bound, "")
    return prefix + format_ratio(ratio) + ("?" if bound == "unknown" else "")


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
    """The closed-loop loads of a scenario (open-loop points are compared by `bench.results.rate_points`)."""
    users = {p.users for p in run.points if p.scenario == scenario_id and p.load == "users"}
    for pid in run.manifest.planned_points:
        parsed = parse_point_id(pid)
        if parsed and parsed.scenario == scenario_id and parsed.load == "users":
            users.add(parsed.users)
    return sorted(users)


def reference_users_for(run: RunResults, scenario_id: str) -> int:
    """The load this scenario's pair is compared at: the one the run chose for it (its headline load, or
    --reference-users), else the manifest's run-wide reference load, else the highest load it has."""
    users = _users_for(run, scenario_id)
    chosen = run.manifest.reference_users_by_scenario.get(scenario_id)
    if chosen is not None and chosen in users:
        return chosen
    if run.manifest.reference_users in users or not users:
        return run.manifest.reference_users
    return users[-1]


def _find(run: RunResults, scenario: str, variant: str, loop: str, users: int) -> PointRecord | None:
    wanted = point_id(scenario, variant, loop, users)
    return next((p for p in run.points if p.id == wanted), None)


def point_problem(pid: str, point: PointRecord | None) -> str | None:
    """Why a point cannot be trusted (not measured, failed, invalid, not at steady state), or None."""
    if point is None:
        return f"{pid} not measured"
    if point.status != "ok":
        return f"{pid} failed: {point.error or 'no error recorded'}"
    if not point.valid:
        reasons = "; ".join(point.invalid_reasons) or "no reason recorded"
        return f"{pid} invalid: {reasons}"
    if not point.steady and point.steady_state is not None:
        reasons = "; ".join(point.steady_state.reasons) or "no reason recorded"
        return f"{pid} not at steady state: {reasons}"
    return None


_PROBLEM_KINDS = ("not measured", "failed", "invalid", "not at steady state")


def _check_suffix(problems: Sequence[str]) -> str:
    """ " (check: invalid point)", naming each kind of problem once; "" when there is none."""
    kinds = [kind for kind in _PROBLEM_KINDS if any(f" {kind}" in problem for problem in problems)]
    return f" (check: {', '.join(kinds) or 'a point'})" if problems else ""


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or numerator <= 0 or denominator <= 0:
        return None
    return numerator / denominator


def _p99(point: PointRecord | None) -> float | None:
    if point is None or point.status != "ok" or point.latency is None:
        return None
    return point.latency.p99_ms


def _p99_bound(pitfall: PointRecord | None, fix: PointRecord | None) -> Bound:
    """How pitfall p99 / fix p99 relates to the truth when either rests on unanswered requests."""
    lower = [
        p is not None and p.latency is not None and p.latency.is_lower_bound("p99_ms") for p in (pitfall, fix)
    ]
    bounds: dict[tuple[bool, bool], Bound] = {
        (False, False): "exact",
        (True, False): "lower",
        (False, True): "upper",
    }
    return bounds.get((lower[0], lower[1]), "unknown")


def _throughput(point: PointRecord | None) -> float | None:
    if point is None or point.status != "ok":
        return None
    return point.throughput_rps


def _ratio_verdict(throughput_ratio: float | None, p99_ratio: float | None, suffix: str) -> str:
    """Req/s and p99 only: the verdict of a manifest without headline metrics (schema version 1 runs)."""
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
    if fix_worse:
        return "fix is slower here: " + ", ".join(fix_worse) + suffix
    return "no measurable difference" + suffix


def _verdict(
    headline: HeadlineResult,
    throughput_ratio: float | None,
    problems: Sequence[str],
    signals: Sequence[str] = (),
) -> str:
    """Words for a pair, led by its headline metric; never "no measurable difference" beside a signal."""
    suffix = _check_suffix(problems)
    if headline.outcome == "not measured":
        return "no comparison: a point is missing, failed or empty" if problems else "not measured"
    if headline.outcome == "pitfall worse":
        ratio = headline.ratio
        label = "costly" if ratio is None or ratio >= _COSTLY_RATIO else "measurable cost"
        verdict = f"{label}: {headline.text}"
        if (
            headline.info.metric != "throughput_rps"
            and throughput_ratio
            and throughput_ratio <= 1 / _NOISE_RATIO
        ):
            # The fix does more work (it writes what the pitfall loses, waits where the pitfall hammers).
            verdict += f"; the fix serves {format_ratio(1 / throughput_ratio)} fewer req/s for it"
        return verdict + suffix
    if headline.outcome == "fix worse":
        return headline.text + suffix
    if signals:
        return f"{headline.info.name} within noise; the signals differ: " + "; ".join(signals) + suffix
    return headline.text + suffix


def _pair(run: RunResults, info: ScenarioInfo, loop: str) -> PairSummary:
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
    headline = headline_result(info.headline, pitfall, fix, users=users)
    if info.headline is None:
        verdict = (
            _ratio_verdict(throughput_ratio, p99_ratio, _check_suffix(problems))
            if throughput_ratio is not None or p99_ratio is not None
            else _verdict(headline, throughput_ratio, problems)
        )
    else:
        verdict = _verdict(headline, throughput_ratio, problems, signals)
    return PairSummary(
        scenario=info,
        users=users,
        loop=loop,
        pitfall=pitfall,
        fix=fix,
        throughput_ratio=throughput_ratio,
        p99_ratio=p99_ratio,
        problems=problems,
        verdict=verdict,
        signals=signals,
        headline=headline,
        p99_bound=_p99_bound(pitfall, fix),
    )


def summarize(run: RunResults) -> tuple[PairSummary, ...]:
    """One PairSummary per scenario in the manifest, in manifest order."""
    loop = reference_loop(run)
    return tuple(_pair(run, info, loop) for info in run.manifest.scenarios)


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
        "p99_is_lower_bound": latency.is_lower_bound("p99_ms") if latency else False,
        "unanswered": record.unanswered,
        "loop_lag_p99_ms": server.loop_lag_p99_ms if server else None,
        "cpu_ms_per_request": server.cpu_ms_per_request if server else None,
        "upstream_connections_per_request": upstream.connections_per_request if upstream else None,
        "failures": record.failures,
        "valid": record.valid,
        "invalid_reasons": list(record.invalid_reasons),
        "steady_state": record.steady,
    }
    if record.ttfb is not None:  # streamed requests only: what the user waits for before the first byte
        figures["ttfb_p50_ms"] = record.ttfb.p50_ms
        figures["ttfb_p99_ms"] = record.ttfb.p99_ms
    return figures


def summary_dict(run: RunResults) -> dict[str, dict[str, dict[str, Any]]]:
    """`--summary-json`: {scenario: {variant: figures, ..., "headline": {...}}} at each scenario's reference
    load on the reference loop, variants in the order they were measured; scenarios with no point there
    are left out."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for pair in summarize(run):
        entry = {
            p.variant: variant_summary(p)
            for p in run.points
            if p.scenario == pair.scenario.id
            and p.load == "users"
            and p.users == pair.users
            and p.loop == pair.loop
        }
        if entry and pair.headline is not None:
            entry["headline"] = pair.headline.as_dict()
            out[pair.scenario.id] = entry
    return out


# ------------------------------------------------------------------------------------ capacity at an SLO


@dataclass(frozen=True, kw_only=True)
class CapacityPair:
    """Pitfall vs fix of one scenario on capacity at an SLO (`--find-capacity`).

    `ratio` is the fix's capacity over the pitfall's (> 1: the pitfall sustains that many times less);
    None when either is missing or the pitfall never met the SLO. `bound` is "lower" when the true ratio
    is at least `ratio` (the fix's capacity is itself a lower bound), "upper" when at most.
    """

    scenario: ScenarioInfo
    slo_p99_ms: float | None
    pitfall: CapacityResult | None
    fix: CapacityResult | None
    ratio: float | None
    bound: Bound
    text: str


def _capacity_words(info: ScenarioInfo, pitfall: CapacityResult, fix: CapacityResult) -> str:
    """ "9.8 vs 380.0 req/s at p99 ≤ 500 ms (pitfall vs fix)", or who never met the SLO."""
    slo = f"p99 ≤ {fix.slo_p99_ms:,.0f} ms"
    bad, good = pitfall.capacity_rps, fix.capacity_rps
    if bad is None and good is None:
        return f"neither {info.pitfall_variant} nor {info.fix_variant} meets {slo}"
    if bad is None:
        return f"{info.pitfall_variant} never meets {slo}; {info.fix_variant} sustains {good:,.1f} req/s"
    if good is None:
        return f"{info.fix_variant} never meets {slo}; {info.pitfall_variant} sustains {bad:,.1f} req/s"
    return f"{bad:,.1f} vs {good:,.1f} req/s at {slo} (pitfall vs fix)"


# (the fix's capacity is a lower bound, the pitfall's is) -> how fix / pitfall relates to the truth
_CAPACITY_BOUNDS: dict[tuple[bool, bool], Bound] = {
    (False, False): "exact",
    (True, False): "lower",
    (False, True): "upper",
}


def capacity_pairs(run: RunResults) -> tuple[CapacityPair, ...]:
    """One CapacityPair per scenario that has a capacity result on the reference loop, manifest order."""
    loop = reference_loop(run)
    found = {(c.scenario, c.variant): c for c in run.manifest.capacity if c.loop == loop}
    pairs = []
    for info in run.manifest.scenarios:
        pitfall, fix = found.get((info.id, info.pitfall_variant)), found.get((info.id, info.fix_variant))
        if pitfall is None and fix is None:
            continue
        ratio: float | None = None
        bound: Bound = "exact"
        text = "not measured"
        if pitfall is not None and fix is not None:
            text = _capacity_words(info, pitfall, fix)
            ratio = _ratio(fix.capacity_rps, pitfall.capacity_rps)
            bound = _CAPACITY_BOUNDS.get((fix.lower_bound, pitfall.lower_bound), "unknown")
            if ratio is not None and ratio >= _NOISE_RATIO:
                text += f": the pitfall sustains {format_bounded_ratio(ratio, bound)} less"
        either = fix or pitfall
        slo = either.slo_p99_ms if either is not None else None
        pairs.append(
            CapacityPair(
                scenario=info, slo_p99_ms=slo, pitfall=pitfall, fix=fix, ratio=ratio, bound=bound, text=text
            )
        )
    return tuple(pairs)
