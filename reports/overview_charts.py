"""Run-wide figures: "what each pitfall costs", and asyncio vs uvloop when both loops were run."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, NullLocator
from matplotlib.transforms import blended_transform_factory

from bench.results import RunResults
from bench.results.summary import PairSummary, format_ratio, reference_users_for
from reports.chart_files import Chart, new_figure, save_figure, themed
from reports.theme import FIX_COLOR, IDEAL_COLOR, PITFALL_COLOR, Theme, style_for, variant_styles

__all__ = ["loops_chart", "overview_chart"]

_TWO_LINE_LABELS_MAX = 7  # more scenarios than this and "title / variants" labels collide at paper size


def _bar_panel(
    ax: Axes,
    labels: Sequence[str],
    ratios: Sequence[float | None],
    suspect: Sequence[bool],
    *,
    word: str,
    theme: Theme,
    elsewhere: Sequence[bool] = (),
) -> None:
    """Horizontal bars on a log axis around x1 (no difference), each annotated like "x38 slower p99".

    A bar in the pitfall's colour means the pitfall costs that much; a bar pointing left in the fix's
    colour means the fix lost at this load (said in words, not as "x0.33"). Hatched, lighter bars rest on
    an invalid or missing point.
    """
    positions = list(range(len(labels)))
    shown = [r if r is not None else 1.0 for r in ratios]
    colors = [PITFALL_COLOR if r >= 1.0 else FIX_COLOR for r in shown]
    # Bars grow from 1 (no difference) outwards, so a ratio below 1 (the fix is slower) points left.
    bars = ax.barh(positions, [max(r, 1e-3) - 1.0 for r in shown], left=1.0, color=colors, height=0.6)
    for bar, doubtful in zip(bars, suspect, strict=True):
        if doubtful:
            bar.set_alpha(0.45)
            bar.set_hatch("//")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"x{value:g}"))
    ax.axvline(1.0, color=IDEAL_COLOR, linewidth=theme.line_width * 0.5)
    ax.set_yticks(positions, labels)
    texts = []
    marks = list(elsewhere) or [False] * len(ratios)
    for ratio, doubtful, mark in zip(ratios, suspect, marks, strict=True):
        if ratio is None:
            text = "not measured"
        elif ratio >= 1.0:
            text = f"{format_ratio(ratio)} {word}"
        else:
            # The fix does more work here; "*" sends the reader to the signal that shows the pitfall.
            text = f"fix {format_ratio(1.0 / ratio)} worse" + ("*" if mark else "")
        texts.append(text + (" (check)" if doubtful and ratio is not None else ""))
    ax.set_xlim(min([*shown, 0.5]) * 0.8, max([*shown, 2.0]) * 1.5)
    # Ticks only where bars can be: the room kept for labels is not part of the scale.
    top_decade = max(1, math.ceil(math.log10(max([*shown, 1.0]))))
    bottom_decade = min(0, math.floor(math.log10(min([*shown, 1.0]))))
    ax.set_xticks([10.0**k for k in range(bottom_decade, top_decade + 1)])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.tick_params(axis="x", labelsize="small")
    # The words go in a column right of the axes (constrained layout makes room for it), so labels never
    # squeeze the bars, whatever the theme's font size.
    column = blended_transform_factory(ax.transAxes, ax.transData)
    for pos, text in zip(positions, texts, strict=True):
        ax.text(1.02, pos, text, transform=column, va="center", fontsize="small")


def overview_chart(summaries: Sequence[PairSummary], *, theme: Theme, out_dir: Path) -> Chart:
    """Per scenario, pitfall vs fix at the reference load: throughput and p99 ratios, costliest on top."""
    ordered = sorted(summaries, key=lambda s: s.cost)  # barh draws bottom-up: costliest ends on top
    # Slides get the scenario's name only: the variant ids are for readers of the paper version, and
    # only while two-line labels still fit the figure's fixed height.
    two_lines = theme.name != "talk" and len(ordered) <= _TWO_LINE_LABELS_MAX
    labels = [
        f"{s.scenario.title}\n{s.scenario.pitfall_variant} vs {s.scenario.fix_variant}"
        if two_lines
        else s.scenario.title
        for s in ordered
    ]
    suspect = [bool(s.problems) for s in ordered]
    elsewhere = [bool(s.signals) for s in ordered]
    with themed(theme):
        fig, (left, right) = new_figure(theme, ncols=2)
        if ordered:
            _bar_panel(
                left,
                labels,
                [s.throughput_ratio for s in ordered],
                suspect,
                word="fewer req/s",
                theme=theme,
                elsewhere=elsewhere,
            )
            _bar_panel(
                right,
                [""] * len(ordered),
                [s.p99_ratio for s in ordered],
                suspect,
                word="slower p99",
                theme=theme,
                elsewhere=elsewhere,
            )
        else:
            left.text(0.5, 0.5, "no scenario measured", transform=left.transAxes, ha="center")
        left.set_title("throughput: fix ÷ pitfall", fontsize="medium")
        right.set_title("p99 latency: pitfall ÷ fix", fontsize="medium")
        for ax in (left, right):
            ax.grid(axis="y", visible=False)
        loads = sorted({s.users for s in summaries})
        load_text = ", ".join(str(u) for u in loads) or "-"
        fig.suptitle(f"What each pitfall costs (at {load_text} users)")
        return save_figure(
            fig,
            out_dir=out_dir,
            stem="overview",
            title="What each pitfall costs",
            caption="Ratios of the pitfall to its fix at the reference load, log scale; 1 = no difference. "
            "Hatched bars rest on an invalid or missing point. * the fix does more work here and the "
            "pitfall's cost shows in another signal (429s, lost writes, first byte): see the summary table.",
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
