"""The figure set of one scenario: its variants side by side at every measured load, on the reference loop."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import NullFormatter, ScalarFormatter

from bench.results import PointRecord, RunResults, ScenarioInfo
from bench.results.named_figures import figure_is_lower_bound, figure_value
from bench.results.summary import reference_loop, reference_users_for
from reports.chart_files import Chart, autoscale_log, new_figure, save_figure, themed
from reports.chart_marks import hollow_legend_handle, mark_hollow, mark_lower_bounds
from reports.theme import FAILED_COLOR, IDEAL_COLOR, Theme, VariantStyle, style_for, variant_styles

__all__ = ["scenario_charts"]

_LINESTYLE_WORDS = {":": "dotted", "--": "dashed", "-": "solid"}
_PERCENTILE_STYLES = (("p50_ms", "p50", ":"), ("p95_ms", "p95", "--"), ("p99_ms", "p99", "-"))


@dataclass(frozen=True, kw_only=True)
class _Context:
    theme: Theme
    info: ScenarioInfo
    loop: str
    reference_users: int
    styles: dict[str, VariantStyle]
    series: dict[str, list[PointRecord]]  # variant id -> its points on the reference loop, by users
    out_dir: Path

    def ok(self, variant: str) -> list[PointRecord]:
        return [p for p in self.series[variant] if p.status == "ok"]

    @property
    def users(self) -> list[int]:
        return sorted({p.users for points in self.series.values() for p in points})


def _context(run: RunResults, info: ScenarioInfo, theme: Theme, out_dir: Path) -> _Context:
    loop = reference_loop(run)
    ordered = [v.id for v in info.variants]
    measured = sorted(
        {p.variant for p in run.points if p.scenario == info.id and p.load == "users"} - set(ordered)
    )
    # Closed-loop points only: open-loop ones (offered rates) have their own charts (`open_loop_charts`).
    series = {
        variant: points
        for variant in ordered + measured
        if (points := [p for p in run.points_for(info.id, variant, loop) if p.load == "users"])
    }
    return _Context(
        theme=theme,
        info=info,
        loop=loop,
        reference_users=reference_users_for(run, info.id),
        styles=variant_styles(info),
        series=series,
        out_dir=out_dir,
    )


def _users_axis(ax: Axes, users: Sequence[int]) -> None:
    """Users on x: log scale past a 10x range, ticks at the measured loads only."""
    ax.set_xlabel("concurrent users")
    if not users:
        return
    autoscale_log(ax, "x", users, spread=10.0)
    ax.set_xticks(list(users))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())


def _mark_failed(ctx: _Context, ax: Axes, variant: str) -> bool:
    failed = [p.users for p in ctx.series[variant] if p.status != "ok"]
    if failed:
        ax.plot(
            failed,
            [0.02] * len(failed),
            linestyle="none",
            marker="X",
            color=FAILED_COLOR,
            markersize=ctx.theme.marker_size * 1.3,
            transform=ax.get_xaxis_transform(),
            clip_on=False,
            zorder=4,
        )
    return bool(failed)


def _plot_metric(
    ctx: _Context,
    ax: Axes,
    variant: str,
    value: Callable[[PointRecord], float | None],
    *,
    lower_bound: Callable[[PointRecord], bool] | None = None,
    **kwargs: object,
) -> list[float]:
    """Plot one variant's metric vs users; invalid or unsteady points hollow, lower bounds with an arrow
    up. Returns the plotted values."""
    style = style_for(ctx.styles, variant)
    pairs = [(p, v) for p in ctx.ok(variant) if (v := value(p)) is not None]
    if not pairs:
        return []
    options: dict[str, object] = {"color": style.color, "marker": style.marker, "label": style.label}
    options.update(kwargs)
    ax.plot([p.users for p, _ in pairs], [v for _, v in pairs], **options)  # type: ignore[arg-type]
    if lower_bound is not None:
        mark_lower_bounds(ax, ctx.theme, style.color, [(p.users, v) for p, v in pairs if lower_bound(p)])
    invalid = [(p.users, v) for p, v in pairs if not p.valid or not p.steady]
    mark_hollow(ax, ctx.theme, marker=style.marker, color=style.color, points=invalid)
    return [v for _, v in pairs]


def _status_legend(ctx: _Context, ax: Axes, *, any_failed: bool) -> None:
    handles, _ = ax.get_legend_handles_labels()
    any_invalid = any(not p.valid or not p.steady for v in ctx.series for p in ctx.ok(v))
    if any_invalid:
        handles.append(hollow_legend_handle())
    if any_failed:
        handles.append(Line2D([], [], linestyle="none", marker="X", color=FAILED_COLOR, label="failed point"))
    if handles:
        # Outside the axes: a legend must never sit on a line (constrained layout makes room for it).
        ax.legend(handles=handles, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))


def _scale_y(ax: Axes, values: Sequence[float], *, spread: float = 20.0) -> None:
    """Log y past `spread`; otherwise a linear axis from 0, so a flat 0.01 does not look like a cliff."""
    if autoscale_log(ax, "y", values, spread=spread) or not values or min(values) < 0:
        return
    top = max(values) * 1.12 if max(values) > 0 else 1.0
    ax.set_ylim(-0.02 * top, top)  # a hair below 0 so markers at 0 stay whole


def _title(ctx: _Context, what: str) -> str:
    """One line "scenario: chart" when it fits, two lines when it would run off a 16:9 slide."""
    limit = 55 if ctx.theme.name == "talk" else 80
    joined = f"{ctx.info.title}: {what}"
    return joined if len(joined) <= limit else f"{ctx.info.title}\n{what}"


def _no_data(ax: Axes, what: str) -> None:
    ax.text(
        0.5, 0.5, f"no {what} measured", transform=ax.transAxes, ha="center", va="center", color=IDEAL_COLOR
    )


def _save(ctx: _Context, fig: Figure, name: str, title: str, caption: str) -> Chart:
    return save_figure(
        fig,
        out_dir=ctx.out_dir,
        stem=f"{ctx.info.id}-{name}",
        title=title,
        caption=caption,
        theme=ctx.theme,
    )


def _throughput_chart(ctx: _Context) -> Chart:
    fig, (ax,) = new_figure(ctx.theme)
    bounds = {p.users: p.theory.littles_law_bound_rps for v in ctx.series for p in ctx.series[v] if p.theory}
    values: list[float] = []
    if bounds:
        xs = sorted(bounds)
        ideal = [bounds[u] for u in xs]
        ax.plot(
            xs,
            ideal,
            color=IDEAL_COLOR,
            marker="_",  # a single load point still shows its ideal
            markersize=ctx.theme.marker_size * 2.5,
            linestyle="-.",
            linewidth=ctx.theme.line_width * 0.6,
            label="Little's law ideal (U / L)",
        )
        values += ideal
    any_failed = False
    for variant in ctx.series:
        values += _plot_metric(ctx, ax, variant, lambda p: p.throughput_rps)
        theory = [p for p in ctx.series[variant] if p.theory is not None]
        if theory:
            style = style_for(ctx.styles, variant)
            predicted = [p.theory.throughput_rps for p in theory if p.theory]
            ax.plot(
                [p.users for p in theory],
                predicted,
                color=style.color,
                linestyle=":",
                marker="_",
                markersize=ctx.theme.marker_size * 2.5,
                linewidth=ctx.theme.line_width * 0.7,
                label="_nolegend_",
            )
            values += predicted
        any_failed |= _mark_failed(ctx, ax, variant)
    if not values:
        _no_data(ax, "throughput")
    _scale_y(ax, values)
    _users_axis(ax, ctx.users)
    if any(p.theory for v in ctx.series for p in ctx.series[v]):
        ax.plot(
            [], [], color=IDEAL_COLOR, linestyle=":", marker="_", label="theory (dotted, variant's colour)"
        )
    ax.set_ylabel("throughput (req/s)")
    ax.set_title(_title(ctx, "throughput vs users"))
    _status_legend(ctx, ax, any_failed=any_failed)
    return _save(
        ctx,
        fig,
        "throughput",
        "Throughput vs users",
        "Measured throughput (solid), the scenario's theory (dotted) and the Little's-law ideal U/L "
        f"for a perfectly concurrent app (dash-dot); {ctx.loop} loop.",
    )


def _latency_of(key: str) -> Callable[[PointRecord], float | None]:
    def value(point: PointRecord) -> float | None:
        return float(getattr(point.latency, key)) if point.latency else None

    return value


def _latency_lower_bound(key: str) -> Callable[[PointRecord], bool]:
    def lower_bound(point: PointRecord) -> bool:
        return point.latency is not None and point.latency.is_lower_bound(key)

    return lower_bound


def _latency_chart(ctx: _Context) -> Chart:
    # A slide carries one idea: the typical request and the tail. The paper version adds p95.
    percentiles = [p for p in _PERCENTILE_STYLES if ctx.theme.name != "talk" or p[1] != "p95"]
    fig, (ax,) = new_figure(ctx.theme)
    values: list[float] = []
    any_failed = False
    for variant in ctx.series:
        for key, name, linestyle in percentiles:
            values += _plot_metric(
                ctx,
                ax,
                variant,
                _latency_of(key),
                lower_bound=_latency_lower_bound(key),
                linestyle=linestyle,
                label=style_for(ctx.styles, variant).label if name == "p99" else "_nolegend_",
            )
        any_failed |= _mark_failed(ctx, ax, variant)
    if not values:
        _no_data(ax, "latency")
    _scale_y(ax, values, spread=10.0)
    _users_axis(ax, ctx.users)
    ax.set_ylabel("latency (ms)")
    ax.set_title(_title(ctx, "latency percentiles vs users"))
    for _, name, linestyle in percentiles:
        ax.plot([], [], color=IDEAL_COLOR, linestyle=linestyle, label=name)
    _status_legend(ctx, ax, any_failed=any_failed)
    caption = ", ".join(f"{name} {_LINESTYLE_WORDS[style]}" for _, name, style in percentiles) + (
        " over every request issued in the window; an arrow up marks a lower bound (the percentile "
        "rests on requests still unanswered when the window ended)."
    )
    return _save(ctx, fig, "latency", "Latency percentiles vs users", caption)


def _cdf_chart(ctx: _Context) -> Chart:
    fig, (ax,) = new_figure(ctx.theme)
    values: list[float] = []
    for variant in ctx.series:
        point = next((p for p in ctx.ok(variant) if p.users == ctx.reference_users), None)
        if point is None or point.latency is None or not point.latency.cdf:
            continue
        style = style_for(ctx.styles, variant)
        xs = [pair[0] for pair in point.latency.cdf]
        unanswered = 1.0 - point.latency.cdf[-1][1]
        label = style.label + (f" ({unanswered:.0%} unanswered)" if unanswered >= 0.005 else "")
        ax.step(xs, [pair[1] for pair in point.latency.cdf], where="post", color=style.color, label=label)
        values += xs
    if not values:
        _no_data(ax, f"latency at {ctx.reference_users} users")
    autoscale_log(ax, "x", values, spread=10.0)
    for fraction in (0.5, 0.99):
        ax.axhline(fraction, color=IDEAL_COLOR, linewidth=ctx.theme.line_width * 0.4, linestyle="--")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("fraction of requests")
    ax.set_title(_title(ctx, f"latency CDF at {ctx.reference_users} users"))
    if values:
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _save(
        ctx,
        fig,
        "cdf",
        f"Latency CDF at {ctx.reference_users} users",
        "Every request issued in the window; a curve that stops below 1 leaves out the share still "
        "unanswered when the window ended. Dashed guides at p50 and p99.",
    )


def _per_user_chart(
    ctx: _Context,
    *,
    name: str,
    title: str,
    ylabel: str,
    caption: str,
    value: Callable[[PointRecord], float | None],
    lower_bound: Callable[[PointRecord], bool] | None = None,
) -> Chart:
    fig, (ax,) = new_figure(ctx.theme)
    values: list[float] = []
    any_failed = False
    for variant in ctx.series:
        values += _plot_metric(ctx, ax, variant, value, lower_bound=lower_bound)
        any_failed |= _mark_failed(ctx, ax, variant)
    if not values:
        _no_data(ax, ylabel)
    _scale_y(ax, values)
    _users_axis(ax, ctx.users)
    ax.set_ylabel(ylabel)
    ax.set_title(_title(ctx, title.lower()))
    _status_legend(ctx, ax, any_failed=any_failed)
    return _save(ctx, fig, name, title, caption)


def _upstream_chart(ctx: _Context) -> Chart:
    fig, axes = new_figure(ctx.theme, ncols=3)
    panels: tuple[tuple[str, Callable[[PointRecord], float | None]], ...] = (
        ("peak upstream concurrency", lambda p: p.upstream.peak_concurrency if p.upstream else None),
        (
            "connections opened / request",
            lambda p: p.upstream.connections_per_request if p.upstream else None,
        ),
        ("429 responses", lambda p: p.upstream.rate_limited if p.upstream else None),
    )
    for ax, (label, value) in zip(axes, panels, strict=True):
        values: list[float] = []
        for variant in ctx.series:
            values += _plot_metric(ctx, ax, variant, value)
            _mark_failed(ctx, ax, variant)
        if not values:
            _no_data(ax, label)
        _scale_y(ax, values)
        _users_axis(ax, ctx.users)
        ax.set_title(label, fontsize="small")
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, fontsize="small", loc="outside lower center", ncols=len(handles))
    fig.suptitle(_title(ctx, "what the upstream saw"))
    return _save(
        ctx,
        fig,
        "upstream",
        "What the upstream saw",
        "The fake LLM's own counters over the window: peak in-flight calls, new connections per call, "
        "429s sent.",
    )


def _headline_chart(ctx: _Context) -> Chart | None:
    """The scenario's own headline metric vs users (None when it is throughput: that chart exists)."""
    headline = ctx.info.headline
    if headline is None or headline.metric == "throughput_rps":
        return None
    scale = 100.0 if headline.unit == "%" else 1.0
    unit = f" ({headline.unit})" if headline.unit else ""
    return _per_user_chart(
        ctx,
        name="headline",
        title=f"{headline.name[:1].upper()}{headline.name[1:]} vs users",
        ylabel=f"{headline.name}{unit}",
        caption=f"The scenario's headline metric ({headline.name}; {headline.better} is better); the "
        f"overview reads it at {headline.users} users. An arrow up marks a lower bound.",
        value=lambda p: None if (v := figure_value(p, headline.metric)) is None else v * scale,
        lower_bound=lambda p: figure_is_lower_bound(p, headline.metric),
    )


def _is_upstream_relevant(ctx: _Context) -> bool:
    if ctx.info.evidence_at_upstream:  # declared by the scenario: its proof is in what fake_llm saw
        return True
    upstream = [p.upstream for v in ctx.series for p in ctx.ok(v) if p.upstream]
    if any(u.rate_limited > 0 for u in upstream):
        return True
    per_request = [u.connections_per_request for u in upstream]
    return bool(per_request) and max(per_request) - min(per_request) > 0.3


def scenario_charts(run: RunResults, info: ScenarioInfo, *, theme: Theme, out_dir: Path) -> list[Chart]:
    """Render the scenario's charts into `out_dir`: throughput, its headline metric (when that is not
    throughput), latency, CDF, loop lag, CPU, and the upstream view when the scenario's signal is there.
    Points that are missing simply have no marker; the page names them."""
    with themed(theme):
        ctx = _context(run, info, theme, out_dir)
        headline = _headline_chart(ctx)
        charts = [
            _throughput_chart(ctx),
            *([headline] if headline else []),
            _latency_chart(ctx),
            _cdf_chart(ctx),
        ]
        charts.append(
            _per_user_chart(
                ctx,
                name="loop-lag",
                title="Event-loop lag (p99) vs users",
                ylabel="loop lag p99 (ms)",
                caption="Drift of a periodic timer inside the app: how long the loop could not run anything.",
                value=lambda p: p.server.loop_lag_p99_ms if p.server else None,
            )
        )
        if _is_upstream_relevant(ctx):
            charts.append(_upstream_chart(ctx))
        charts.append(
            _per_user_chart(
                ctx,
                name="cpu",
                title="App CPU per request vs users",
                ylabel="CPU ms / request",
                caption="The app process's CPU time over the window divided by the requests it served.",
                value=lambda p: p.server.cpu_ms_per_request if p.server else None,
            )
        )
        return charts
