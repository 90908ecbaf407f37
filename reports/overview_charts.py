"""Run-wide figures: what each pitfall costs on its own headline, and asyncio vs uvloop when both ran."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, NullLocator

from bench.results import RunResults
from bench.results.summary import PairSummary, format_ratio, reference_users_for
from reports.chart_files import Chart, new_figure, save_figure, themed
from reports.theme import FIX_COLOR, IDEAL_COLOR, PITFALL_COLOR, Theme, style_for, variant_styles

__all__ = ["headline_label", "loops_chart", "overview_chart"]

_NO_BAR = 1.0  # a pair with nothing to draw sits on the x1 line
_PANEL_WIDTHS = (1.0, 2.2)  # bars, words: the words are what a slide reads, the bars only rank them


def _flag(summary: PairSummary) -> str:
    """ " (not steady)", " (invalid)": the first kind of problem of the pair, in two words."""
    for kind, words in (
        ("failed", "failed point"),
        ("invalid", "invalid point"),
        ("not at steady", "not steady"),
    ):
        if any(kind in problem for problem in summary.problems):
            return f" ({words})"
    return ""


def headline_label(summary: PairSummary) -> str:
    """The words beside a bar: the scenario's own when the pitfall is worse, plain otherwise."""
    headline = summary.headline
    if headline is None or headline.outcome == "not measured":
        return f"not measured at {summary.users} users"
    if headline.outcome == "pitfall worse":
        text = headline.text
    elif headline.outcome == "fix worse":
        ratio = f" {format_ratio(1.0 / headline.ratio)}" if headline.ratio else ""
        text = f"fix{ratio} worse on {headline.info.name}"
    else:
        text = f"no difference in {headline.info.name}"
    label = f"{text}{_flag(summary)} · {summary.users} users"
    # Why not, when the scenario knows: a slide must not leave "fix worse" unexplained.
    if headline.outcome != "pitfall worse" and headline.info.caveat:
        label += f"\n{headline.info.caveat}"
    return label


def _bar(summary: PairSummary, cap: float) -> tuple[float, str]:
    """(where the bar ends on the x axis, its colour): right of x1 when the pitfall is worse."""
    headline = summary.headline
    if headline is None or headline.outcome in ("not measured", "no difference"):
        return _NO_BAR, IDEAL_COLOR
    if headline.outcome == "pitfall worse":
        return (cap if headline.ratio is None else headline.ratio), PITFALL_COLOR
    return (headline.ratio or 1.0 / cap), FIX_COLOR


def _cap(summaries: Sequence[PairSummary]) -> float:
    """Where a bar without a finite ratio (the fix's side is zero) ends: beyond every finite one."""
    finite = [s.headline.ratio for s in summaries if s.headline is not None and s.headline.ratio]
    return max([*finite, 5.0]) * 2.0


def _headline_panel(
    ax: Axes, words: Axes, ordered: Sequence[PairSummary], labels: Sequence[str], theme: Theme
) -> None:
    cap = _cap(ordered)
    positions = list(range(len(ordered)))
    ends, colors = zip(*(_bar(s, cap) for s in ordered), strict=True)
    # Bars grow from x1 (no difference) outwards, so a fix that is worse points left.
    bars = ax.barh(positions, [end - 1.0 for end in ends], left=1.0, color=colors, height=0.6)
    for bar, summary, end in zip(bars, ordered, ends, strict=True):
        if summary.problems:
            bar.set_alpha(0.45)
            bar.set_hatch("//")
        if end == cap:  # unbounded: an arrow head says "and beyond"
            ax.plot([cap], [bar.get_y() + bar.get_height() / 2], marker=">", color=PITFALL_COLOR)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"x{value:g}"))
    ax.axvline(1.0, color=IDEAL_COLOR, linewidth=theme.line_width * 0.5)
    ax.set_yticks(positions, labels)
    low = min([*ends, 0.5]) * 0.8
    ax.set_xlim(low, cap * 1.15)
    # Decades inside the axis only (a tick outside would stretch it): x1, x10, ... and x0.1 when needed.
    decades = range(math.ceil(math.log10(low)), math.floor(math.log10(cap * 1.15)) + 1)
    ax.set_xticks([10.0**k for k in decades])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.tick_params(axis="x", labelsize="small")
    ax.tick_params(axis="y", labelsize="small")
    ax.set_xlabel("x times worse on its own metric")
    # The words get a panel of their own beside the bars (a fixed share of the width), so neither the
    # scenario titles nor the words can squeeze the bars, whatever the theme's font size.
    words.set_ylim(ax.get_ylim())
    words.set_axis_off()
    for pos, summary in zip(positions, ordered, strict=True):
        words.text(0.0, pos, headline_label(summary), va="center", fontsize="small", linespacing=1.1)


def overview_chart(summaries: Sequence[PairSummary], *, theme: Theme, out_dir: Path) -> Chart:
    """Per scenario, the pitfall against its fix on the scenario's headline metric at its reference load,
    costliest on top."""
    ordered = sorted(summaries, key=lambda s: s.cost)  # barh draws bottom-up: costliest ends on top
    with themed(theme):
        fig, (ax, words) = new_figure(theme, ncols=2)
        grid = ax.get_gridspec()
        if grid is not None:
            grid.set_width_ratios(_PANEL_WIDTHS)
        if ordered:
            _headline_panel(ax, words, ordered, [s.scenario.title for s in ordered], theme)
        else:
            words.set_axis_off()
            ax.text(0.5, 0.5, "no scenario measured", transform=ax.transAxes, ha="center")
        ax.grid(axis="y", visible=False)
        fig.suptitle("What each pitfall costs, in its own terms")
        return save_figure(
            fig,
            out_dir=out_dir,
            stem="overview",
            title="What each pitfall costs",
            caption="Each pair on its scenario's headline metric (req/s, first byte, lost writes, "
            "upstream calls, unanswered requests...) at its reference load, where the pitfall bites "
            "and the fix is not short of CPU; log scale, x1 = no difference. An arrow head: the fix's "
            "side is zero (nothing lost, nothing unanswered). A blue bar pointing left: the fix is "
            "worse on that metric, with the scenario's reason when it knows one. Hatched: a point is "
            "invalid or not at steady state (the bench says why in the table).",
            theme=theme,
        )


def loops_chart(run: RunResults, *, theme: Theme, out_dir: Path) -> Chart | None:
    """Throughput uvloop ÷ asyncio per variant at the reference load; None unless both loops were run."""
    labels: list[str] = []
    ratios: list[float] = []
    colors: list[str] = []
    suspect: list[bool] = []
    for info in run.manifest.scenarios:
        users = reference_users_for(run, info.id)
        styles = variant_styles(info)
        for variant in info.variants:
            by_loop = {
                p.loop: p
                for p in run.points_for(info.id, variant.id)
                if p.users == users and p.status == "ok" and p.throughput_rps > 0
            }
            if "uvloop" in by_loop and "asyncio" in by_loop:
                labels.append(f"{info.id}: {variant.id}\n({users} users)")
                ratios.append(by_loop["uvloop"].throughput_rps / by_loop["asyncio"].throughput_rps)
                colors.append(style_for(styles, variant.id).color)
                suspect.append(not (by_loop["uvloop"].valid and by_loop["asyncio"].valid))
    if not ratios:
        return None
    with themed(theme):
        fig, (ax,) = new_figure(theme)
        positions = list(range(len(labels)))
        bars = ax.barh(positions, ratios, color=colors, height=0.6)
        for bar, doubtful in zip(bars, suspect, strict=True):
            if doubtful:
                bar.set_alpha(0.45)
                bar.set_hatch("//")
        ax.axvline(1.0, color=IDEAL_COLOR, linewidth=theme.line_width * 0.5)
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
        ax.set_xlim(0, max([*ratios, 1.0]) * 1.25)
        for pos, ratio in zip(positions, ratios, strict=True):
            ax.text(ratio * 1.02, pos, format_ratio(ratio), va="center", fontsize="small")
        ax.set_xlabel("throughput uvloop ÷ asyncio")
        ax.grid(axis="y", visible=False)
        ax.set_title("Event loop implementation: uvloop vs asyncio")
        return save_figure(
            fig,
            out_dir=out_dir,
            stem="loops",
            title="uvloop vs asyncio",
            caption="Each variant's throughput on uvloop divided by asyncio's, at the reference load; "
            "hatched bars rest on an invalid point.",
            theme=theme,
        )
