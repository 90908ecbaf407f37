"""Creating and saving figures: the one place that knows matplotlib's backend, sizes and files."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from reports.theme import Theme

__all__ = ["Chart", "autoscale_log", "new_figure", "save_figure", "themed"]


@dataclass(frozen=True, kw_only=True)
class Chart:
    """A rendered chart: PNG (for the page) and SVG (for slides and documents) side by side."""

    stem: str
    title: str
    caption: str
    png: Path
    svg: Path
    width_px: int
    height_px: int


@contextmanager
def themed(theme: Theme) -> Iterator[None]:
    """Apply the theme's rc settings for the duration of drawing and saving."""
    rc: dict[Any, Any] = {
        "font.size": theme.font_size,
        "lines.linewidth": theme.line_width,
        "lines.markersize": theme.marker_size,
        **theme.rc,
    }
    with matplotlib.rc_context(rc):
        yield


def new_figure(theme: Theme, *, ncols: int = 1, nrows: int = 1) -> tuple[Figure, list[Axes]]:
    """A figure of exactly the theme's size, with a constrained layout, and its axes as a flat list."""
    fig = Figure(figsize=(theme.width_in, theme.height_in), dpi=theme.dpi, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows=nrows, ncols=ncols, squeeze=False)
    return fig, [ax for row in axes for ax in row]


def save_figure(fig: Figure, *, out_dir: Path, stem: str, title: str, caption: str, theme: Theme) -> Chart:
    """Write `stem.png` and `stem.svg` into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    png, svg = out_dir / f"{stem}.png", out_dir / f"{stem}.svg"
    fig.savefig(png, dpi=theme.dpi, format="png", metadata={"Software": "awaitbench"})
    fig.savefig(svg, format="svg", metadata={"Date": None})
    width_px, height_px = theme.size_px
    return Chart(
        stem=stem, title=title, caption=caption, png=png, svg=svg, width_px=width_px, height_px=height_px
    )


def autoscale_log(ax: Axes, axis: str, values: Iterable[float | None], *, spread: float = 20.0) -> bool:
    """Switch `axis` ("x" or "y") to log scale when the positive values span more than `spread` times.

    Why: a pitfall at 10 req/s next to a fix at 900 req/s is a flat line at zero on a linear axis.
    Returns whether the axis is now logarithmic.
    """
    positive = [v for v in values if v is not None and v > 0]
    if len(positive) < 2 or max(positive) / min(positive) <= spread:
        return False
    if axis == "x":
        ax.set_xscale("log")
    else:
        ax.set_yscale("log")
    target = ax.xaxis if axis == "x" else ax.yaxis
    # "1000 req/s" reads faster than "10^3" from the back of a room.
    target.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    return True
