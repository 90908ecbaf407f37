"""The open-loop figures: latency and served load against the offered load, and capacity at an SLO."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from bench.results import CapacityResult, PointRecord, RunResults, ScenarioInfo
from bench.results.rate_points import capacity_results, capacity_text, rate_points
from bench.results.summary import capacity_pairs, reference_loop
from reports.chart_files import Chart, autoscale_log, new_figure, save_figure, themed
from reports.chart_marks import hollow_legend_handle, mark_hollow, mark_lower_bounds
from reports.theme import (
    FIX_COLOR,
    IDEAL_COLOR,
    PITFALL_COLOR,
    Theme,
    VariantStyle,
    style_for,
    variant_styles,
)

__all__ = ["capacity_overview_chart", "open_loop_charts"]

_LineStyle = Literal[":", "--", "-"]
_PERCENTILES: tuple[tuple[str, str, _LineStyle], ...] = (
    ("p50_ms", "p50", ":"),
    ("p95_ms", "p95", "--"),
    ("p99_ms", "p99", "-"),
)


@dataclass(frozen=True, kw_only=True)
class _Context:
    theme: Theme
    info: ScenarioInfo
    loop: str
    styles: dict[str, VariantStyle]
    series: dict[str, list[PointRecord]]  # variant -> its open-loop points, by offered rate
    capacity: list[CapacityResult]
    out_dir: Path

    def ok(self, variant: str) -> list[PointRecord]:
        return [p for p in self.series[variant] if p.status == "ok"]

    @property
    def rates(self) -> list[float]:
        return sorted({p.load_value for points in self.series.values() for p in points})

    def theory_capacity(self, variant: str) -> float | None:
        found = [p.theory.capacity_rps for p in self.series.get(variant, ()) if p.theory is not None]
        found += [c.theory_capacity_rps for c in self.capacity if c.variant == variant]
        return next((value for value in found if value is not None), None)


def _context(run: RunResults, info: ScenarioInfo, theme: Theme, out_dir: Path) -> _Context:
    loop = reference_loop(run)
    order = [v.id for v in info.variants]
    measured = sorted({p.variant for p in rate_points(run, info.id, loop=loop)} - set(order))
    series = {v: points for v in order + measured if (points := rate_points(run, info.id, v, loop))}
    return _Context(
        theme=theme,
        info=info,
        loop=loop,
        styles=variant_styles(info),
        series=series,
        capacity=[c for c in capacity_results(run, info.id) if c.loop == loop],
        out_dir=out_dir,
    )


def _title(ctx: _Context, what: str) -> str:
    limit = 55 if ctx.theme.name == "talk" else 80
    joined = f"{ctx.info.title}: {what}"
    return joined if len(joined) <= limit else f"{ctx.info.title}\n{what}"


def _rate_axis(ax: Axes, rates: Sequence[float]) -> None:
    ax.set_xlabel("offered load (requests/s)")
    autoscale_log(ax, "x", rates, spread=10.0)


def _scale_y(ax: Axes, values: Sequence[float]) -> None:
    if autoscale_log(ax, "y", values, spread=10.0) or not values:
        return
    ax.set_ylim(-0.02 * max(values), max(values) * 1.12 or 1.0)


def _plot(
    ctx: _Context,
    ax: Axes,
    variant: str,
    value: Callable[[PointRecord], float | None],
    *,
    lower_bound: Callable[[PointRecord], bool] = lambda _: False,
    **kwargs: object,
) -> list[float]:
    """One variant's figure vs offered rate; hollow when invalid or unsteady, an arrow up on a lower bound."""
    style = style_for(ctx.styles, variant)
    pairs = [(p, v) for p in ctx.ok(variant) if (v := value(p)) is not None]
    if not pairs:
        return []
    options: dict[str, object] = {
        "color": style.color,
        "marker": style.marker,
        "label": style.label,
        **kwargs,
    }
    ax.plot([p.load_value for p, _ in pairs], [v for _, v in pairs], **options)  # type: ignore[arg-type]
    mark_lower_bounds(ax, ctx.theme, style.color, [(p.load_value, v) for p, v in pairs if lower_bound(p)])
    hollow = [(p.load_value, v) for p, v in pairs if not p.valid or not p.steady]
    mark_hollow(ax, ctx.theme, marker=style.marker, color=style.color, points=hollow)
    return [v for _, v in pairs]


def _capacity_lines(ctx: _Context, ax: Axes, *, vertical: bool) -> None:
    """The theory's capacity of each variant within the offered rates measured: a vertical line on a rate
    axis, horizontal on a req/s one (a capacity far beyond every rate would only squash the data)."""
    rates = ctx.rates
    if not rates:
        return
    for variant in ctx.series:
        capacity = ctx.theory_capacity(variant)
        if capacity is None or not rates[0] / 2 <= capacity <= rates[-1] * 2:
            continue
        draw = ax.axvline if vertical else ax.axhline
        draw(
            capacity,
            color=style_for(ctx.styles, variant).color,
            linestyle="-.",
            alpha=0.7,
            linewidth=ctx.theme.line_width * 0.6,
        )


def _legend(ctx: _Context, ax: Axes, extra: Sequence[Line2D]) -> None:
    handles, _ = ax.get_legend_handles_labels()
    handles += list(extra)
    if any(not p.valid or not p.steady for v in ctx.series for p in ctx.ok(v)):
        handles.append(hollow_legend_handle())
    if handles:
        ax.legend(handles=handles, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))


def _save(ctx: _Context, fig: Figure, name: str, title: str, caption: str) -> Chart:
    stem = f"{ctx.info.id}-{name}"
    return save_figure(fig, out_dir=ctx.out_dir, stem=stem, title=title, caption=caption, theme=ctx.theme)


def _latency_of(key: str) -> Callable[[PointRecord], float | None]:
    return lambda p: float(getattr(p.latency, key)) if p.latency else None


def _bound_of(key: str) -> Callable[[PointRecord], bool]:
    return lambda p: p.latency is not None and p.latency.is_lower_bound(key)


def _hockey_stick(ctx: _Context) -> Chart:
    percentiles = [p for p in _PERCENTILES if ctx.theme.name != "talk" or p[1] != "p95"]
    fig, (ax,) = new_figure(ctx.theme)
    values: list[float] = []
    for variant in ctx.series:
        label = style_for(ctx.styles, variant).label
        for key, name, linestyle in percentiles:
            values += _plot(
                ctx,
                ax,
                variant,
                _latency_of(key),
                lower_bound=_bound_of(key),
                linestyle=linestyle,
                label=label if name == "p99" else "_nolegend_",
            )
    _capacity_lines(ctx, ax, vertical=True)
    extra = [Line2D([], [], color=IDEAL_COLOR, linestyle=style, label=name) for _, name, style in percentiles]
    slo = next((c.slo_p99_ms for c in ctx.capacity), None)
    if slo is not None:
        ax.axhline(slo, color=IDEAL_COLOR, linestyle="--", linewidth=ctx.theme.line_width * 0.5)
        extra.append(Line2D([], [], color=IDEAL_COLOR, linestyle="--", label=f"SLO p99 ≤ {slo:g} ms"))
        values.append(slo)
    extra.append(
        Line2D([], [], color=IDEAL_COLOR, linestyle="-.", label="theory's capacity (variant colour)")
    )
    _scale_y(ax, values)
    _rate_axis(ax, ctx.rates)
    ax.set_ylabel("latency from the intended send (ms)")
    ax.set_title(_title(ctx, "latency vs offered load (open loop)"))
    _legend(ctx, ax, extra)
    return _save(
        ctx,
        fig,
        "open-latency",
        "Latency vs offered load",
        "Open loop: requests sent on schedule whatever the server does, latency counted from each "
        "request's intended send time. Flat below a variant's capacity, vertical beyond it; dash-dot lines "
        "mark the theory's capacity in the variant's colour. An arrow up marks a lower bound (requests "
        "never answered or dropped).",
    )


def _served_chart(ctx: _Context) -> Chart:
    fig, (ax,) = new_figure(ctx.theme)
    values: list[float] = []
    for variant in ctx.series:
        values += _plot(ctx, ax, variant, lambda p: p.throughput_rps)
    rates = ctx.rates
    if rates:
        ax.plot(
            rates,
            rates,
            color=IDEAL_COLOR,
            linestyle=":",
            linewidth=ctx.theme.line_width * 0.6,
            label="served = offered",
        )
        values += rates
    _capacity_lines(ctx, ax, vertical=False)
    extra = [Line2D([], [], color=IDEAL_COLOR, linestyle="-.", label="theory's capacity (variant colour)")]
    _scale_y(ax, values)
    _rate_axis(ax, rates)
    ax.set_ylabel("served (successful answers/s)")
    ax.set_title(_title(ctx, "served vs offered load (open loop)"))
    _legend(ctx, ax, extra)
    return _save(
        ctx,
        fig,
        "open-throughput",
        "Served vs offered load",
        "Successful answers per second against the offered rate: on the dotted diagonal a variant keeps "
        "up; beyond its capacity (dash-dot, the theory's) it plateaus while the queue grows.",
    )


def _capacity_chart(ctx: _Context) -> Chart:
    fig, (ax,) = new_figure(ctx.theme)
    results = ctx.capacity
    positions = list(range(len(results)))[::-1]
    for y, result in zip(positions, results, strict=True):
        style = style_for(ctx.styles, result.variant)
        width = result.capacity_rps or 0.0
        ax.barh(y, width, color=style.color, height=0.6)
        if result.theory_capacity_rps is not None:
            ax.plot(
                [result.theory_capacity_rps],
                [y],
                marker="D",
                color=IDEAL_COLOR,
                linestyle="none",
                markersize=ctx.theme.marker_size * 1.2,
            )
        theory = result.theory_capacity_rps
        words = capacity_text(result) + (" (theory: no limit)" if theory is None else f" (theory {theory:g})")
        ax.annotate(
            words,
            (max(width, theory or 0.0), y),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize="small",
        )
    ax.set_yticks(positions, [style_for(ctx.styles, r.variant).label for r in results])
    top = max(
        [r.capacity_rps or 0.0 for r in results] + [r.theory_capacity_rps or 0.0 for r in results] + [1.0]
    )
    ax.set_xlim(0, top * 1.9)
    ax.set_xlabel("highest offered rate within the SLO (requests/s)")
    slo = results[0].slo_p99_ms if results else 0.0
    ax.set_title(_title(ctx, f"capacity at p99 ≤ {slo:g} ms"))
    ax.legend(
        handles=[Line2D([], [], marker="D", color=IDEAL_COLOR, linestyle="none", label="theory's capacity")],
        fontsize="small",
        loc="lower right",
    )
    return _save(
        ctx,
        fig,
        "capacity",
        f"Capacity at p99 ≤ {slo:g} ms",
        "The highest offered rate each variant sustained with its p99 (requests never answered or dropped "
        "counted) within the SLO and under 1 % failed; diamonds mark the theory's capacity.",
    )


def open_loop_charts(run: RunResults, info: ScenarioInfo, *, theme: Theme, out_dir: Path) -> list[Chart]:
    """The scenario's open-loop charts (none when it has no open-loop point): latency and served load vs
    offered load, and its capacity at the SLO when the run searched for it."""
    with themed(theme):
        ctx = _context(run, info, theme, out_dir)
        if not ctx.series:
            return []
        charts = [_hockey_stick(ctx), _served_chart(ctx)]
        if ctx.capacity:
            charts.append(_capacity_chart(ctx))
        return charts


def capacity_overview_chart(run: RunResults, *, theme: Theme, out_dir: Path) -> Chart | None:
    """Across the catalogue: each scenario's pitfall and fix capacity at the SLO, log scale, in words."""
    pairs = [pair for pair in capacity_pairs(run) if pair.pitfall is not None or pair.fix is not None]
    if not pairs:
        return None
    with themed(theme):
        fig, (ax,) = new_figure(theme)
        labels, ticks, values = [], [], []
        for index, pair in enumerate(reversed(pairs)):
            base = index * 3
            for offset, result, color in ((0.4, pair.pitfall, PITFALL_COLOR), (-0.4, pair.fix, FIX_COLOR)):
                if result is None:
                    continue
                width = result.capacity_rps or 0.0
                values.append(width)
                ax.barh(base + offset, width or 1e-9, height=0.75, color=color)
                title = next(
                    (v.title for v in pair.scenario.variants if v.id == result.variant), result.variant
                )
                ax.annotate(
                    f"{title}: {capacity_text(result)}",
                    (max(width, 1e-9), base + offset),
                    xytext=(6, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize="x-small",
                )
            ticks.append(base)
            labels.append(pair.scenario.id)
        ax.set_yticks(ticks, labels)
        positive = [v for v in values if v > 0]
        if positive:
            ax.set_xscale("log")
            ax.set_xlim(min(positive) / 2, max(positive) * 30)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        slo = pairs[0].slo_p99_ms or 0.0
        ax.set_xlabel("highest offered rate within the SLO (requests/s, log)")
        ax.set_title(f"Capacity at p99 ≤ {slo:g} ms: pitfall vs fix")
        ax.legend(
            handles=[
                Line2D([], [], color=PITFALL_COLOR, linewidth=6, label="pitfall"),
                Line2D([], [], color=FIX_COLOR, linewidth=6, label="fix"),
            ],
            fontsize="small",
            loc="lower right",
        )
        return save_figure(
            fig,
            out_dir=out_dir,
            stem="capacity",
            title=f"Capacity at p99 ≤ {slo:g} ms across the catalogue",
            caption="Each scenario's pitfall (vermillion) and fix (blue): the highest offered rate each "
            "sustained within the SLO (open loop, unanswered and dropped requests counted).",
            theme=theme,
        )
