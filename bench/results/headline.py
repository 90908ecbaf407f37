"""Each scenario's headline: the one metric that shows its pitfall's cost, judged and put into words.

The words claim a cost only when the pitfall is worse on that very metric."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from bench.results.named_figures import figure_is_lower_bound, figure_value
from bench.results.records import HeadlineInfo, PointRecord

__all__ = [
    "FALLBACK_HEADLINE",
    "NOISE_RATIO",
    "HeadlineResult",
    "Outcome",
    "format_ratio",
    "headline_result",
]

# Ratios closer to 1 than this are within the run-to-run noise of a few-second window.
NOISE_RATIO = 1.15

Outcome = Literal["pitfall worse", "fix worse", "no difference", "not measured"]

# Manifests written before scenarios declared a headline compare on throughput.
FALLBACK_HEADLINE = HeadlineInfo(
    metric="throughput_rps", name="req/s", better="higher", users=0, text="{ratio} fewer req/s", unit="req/s"
)


def format_ratio(ratio: float) -> str:
    """`x38`, `x3.2`, `x0.85`: whole numbers once the ratio is large enough that decimals are noise."""
    if ratio >= 10:
        return f"x{ratio:.0f}"
    if ratio >= 1:
        return f"x{ratio:.1f}"
    return f"x{ratio:.2f}"


@dataclass(frozen=True, kw_only=True)
class HeadlineResult:
    """A pair on its scenario's headline metric at one load.

    `ratio` is the pitfall's side over the fix's in the direction that hurts (pitfall / fix for a
    "lower is better" metric, fix / pitfall for "higher"): > 1 means the pitfall is worse. It is None
    when a value is missing or the denominator is zero (0.00 vs 1.00 records written: `text` says it).
    """

    info: HeadlineInfo
    users: int
    pitfall: float | None
    fix: float | None
    pitfall_is_lower_bound: bool
    fix_is_lower_bound: bool
    ratio: float | None
    outcome: Outcome
    text: str

    def as_dict(self) -> dict[str, Any]:
        """The `headline` entry of `--summary-json`."""
        return {
            "metric": self.info.metric,
            "name": self.info.name,
            "unit": self.info.unit,
            "better": self.info.better,
            "users": self.users,
            "pitfall": self.pitfall,
            "fix": self.fix,
            "pitfall_is_lower_bound": self.pitfall_is_lower_bound,
            "fix_is_lower_bound": self.fix_is_lower_bound,
            "ratio": None if self.ratio is None else round(self.ratio, 4),
            "outcome": self.outcome,
            "text": self.text,
        }


def _percent(share: float) -> str:
    percent = share * 100.0
    return f"{percent:.1f}%" if 0 < abs(percent) < 1 else f"{percent:.0f}%"


def _unit(info: HeadlineInfo) -> str:
    return f" {info.unit}" if info.unit and info.unit != "%" else ""


def _value(info: HeadlineInfo, value: float, lower_bound: bool, *, unit: bool = True) -> str:
    """A value as a reader sees it: "2,950 ms", "9%", "0.00"; "≥ " when it is only a lower bound."""
    text = _percent(value) if info.unit == "%" else f"{value:,.{info.digits}f}"
    return ("≥ " if lower_bound else "") + text + (_unit(info) if unit else "")


def _worse_side(info: HeadlineInfo, pitfall: float, fix: float) -> tuple[float, float]:
    """(the pitfall's side, the fix's side) so that a larger first value means the pitfall is worse."""
    return (pitfall, fix) if info.better == "lower" else (fix, pitfall)


def _outcome(info: HeadlineInfo, pitfall: float, fix: float) -> Outcome:
    bad, good = _worse_side(info, pitfall, fix)
    low, high = sorted((abs(bad), abs(good)))
    if high - low < info.min_gap or high == 0 or (low > 0 and high / low < NOISE_RATIO):
        return "no difference"
    return "pitfall worse" if bad > good else "fix worse"


def _ratio(info: HeadlineInfo, pitfall: float, fix: float) -> float | None:
    bad, good = _worse_side(info, pitfall, fix)
    return bad / good if good > 0 and bad >= 0 else None


def _cost_words(info: HeadlineInfo, pitfall: float, fix: float, ratio: float | None, bound: bool) -> str:
    """The scenario's own words for a pitfall that is worse; the plain values when they cannot be filled."""
    if ratio is None and "{ratio}" in info.text:
        return f"{info.name} {_value(info, pitfall, bound, unit=False)} vs {_value(info, fix, False)}"
    return info.text.format(
        ratio=("≥" if bound else "") + (format_ratio(ratio) if ratio is not None else ""),
        pitfall=_value(info, pitfall, bound),
        fix=_value(info, fix, False),
        pitfall_pct=("≥ " if bound else "") + _percent(pitfall),
        fix_pct=_percent(fix),
        loss_pct=_percent(1.0 - pitfall / fix) if fix else "-",
    )


def _text(result: HeadlineResult) -> str:
    info, pitfall, fix = result.info, result.pitfall, result.fix
    if pitfall is None or fix is None:
        return f"{info.name} not measured at {result.users} users"
    values = (
        f"{_value(info, pitfall, result.pitfall_is_lower_bound, unit=False)} vs "
        f"{_value(info, fix, result.fix_is_lower_bound, unit=False)}{_unit(info)}"
    )
    if result.outcome == "pitfall worse":
        # A "lower is better" pitfall resting on a lower bound is at least this bad: say "≥".
        bound = result.pitfall_is_lower_bound and info.better == "lower"
        return _cost_words(info, pitfall, fix, result.ratio, bound)
    why = f"; {info.caveat}" if info.caveat else ""
    if result.outcome == "fix worse":
        return f"the fix is worse on {info.name} here: {values} (pitfall vs fix){why}"
    return f"no measurable difference in {info.name} ({values}){why}"


def headline_result(
    info: HeadlineInfo | None, pitfall: PointRecord | None, fix: PointRecord | None, *, users: int
) -> HeadlineResult:
    """Judge a pair on its headline metric (`FALLBACK_HEADLINE` when the manifest declares none)."""
    info = info or FALLBACK_HEADLINE
    usable = [p if p is not None and p.status == "ok" else None for p in (pitfall, fix)]
    values = [None if p is None else figure_value(p, info.metric) for p in usable]
    bounds = [p is not None and figure_is_lower_bound(p, info.metric) for p in usable]
    a, b = values
    outcome: Outcome = "not measured" if a is None or b is None else _outcome(info, a, b)
    result = HeadlineResult(
        info=info,
        users=users,
        pitfall=a,
        fix=b,
        pitfall_is_lower_bound=bounds[0],
        fix_is_lower_bound=bounds[1],
        ratio=None if a is None or b is None else _ratio(info, a, b),
        outcome=outcome,
        text="",
    )
    return replace(result, text=_text(result))
