"""The marks every line chart shares: a hollow marker on a point that is not to be trusted (invalid or not
steady) and an arrow up on a value that is only a lower bound (requests that never answered).

Why one place: the closed-loop charts (x = users) and the open-loop ones (x = offered rate) must say these
two things the same way, or a reader who learnt one chart misreads the other.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.transforms import ScaledTranslation

from reports.theme import IDEAL_COLOR, Theme

__all__ = ["hollow_legend_handle", "mark_hollow", "mark_lower_bounds"]


def mark_lower_bounds(ax: Axes, theme: Theme, color: str, points: Sequence[tuple[float, float]]) -> None:
    """An arrow up just above each (x, value) that is only a lower bound: the truth is at least this."""
    if not points:
        return
    # A fixed offset in points above the data, whatever the axis scale ends up being.
    above = ax.transData + ScaledTranslation(0, theme.marker_size * 1.6 / 72, ax.figure.dpi_scale_trans)
    ax.plot(
        [x for x, _ in points],
        [value for _, value in points],
        linestyle="none",
        marker=r"$\uparrow$",
        markersize=theme.marker_size * 1.8,
        color=color,
        transform=above,
        label="_nolegend_",
        clip_on=False,
    )


def mark_hollow(
    ax: Axes, theme: Theme, *, marker: str, color: str, points: Sequence[tuple[float, float]]
) -> None:
    """A larger white marker over each (x, value) of a point that is invalid or not steady."""
    if not points:
        return
    ax.plot(
        [x for x, _ in points],
        [value for _, value in points],
        linestyle="none",
        marker=marker,
        markersize=theme.marker_size * 1.5,
        markerfacecolor="white",
        markeredgecolor=color,
        markeredgewidth=theme.line_width * 0.8,
        zorder=5,
        label="_nolegend_",
    )


def hollow_legend_handle() -> Line2D:
    """The legend entry that explains `mark_hollow`'s marks."""
    return Line2D(
        [], [], linestyle="none", marker="o", markerfacecolor="white", color=IDEAL_COLOR,
        label="invalid or not steady",
    )  # fmt: skip
