"""Themes and the one colour/marker scheme every chart shares (Okabe-Ito: pitfall vermillion, fix blue)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from bench.results import ScenarioInfo
from reports.errors import ReportUsageError

__all__ = [
    "FAILED_COLOR",
    "FIX_COLOR",
    "IDEAL_COLOR",
    "PITFALL_COLOR",
    "THEMES",
    "Theme",
    "ThemeName",
    "VariantStyle",
    "get_theme",
    "style_for",
    "variant_styles",
]

ThemeName = Literal["paper", "talk"]

# Okabe-Ito.
_VERMILLION = "#D55E00"
_BLUE = "#0072B2"
_GREEN = "#009E73"
_ORANGE = "#E69F00"
_PURPLE = "#CC79A7"
_SKY = "#56B4E9"
_YELLOW = "#F0E442"
IDEAL_COLOR = "#555555"
PITFALL_COLOR = _VERMILLION
FIX_COLOR = _BLUE
FAILED_COLOR = "#000000"

_REFERENCE_STYLES: tuple[tuple[str, str], ...] = (
    (_GREEN, "^"),
    (_ORANGE, "D"),
    (_PURPLE, "v"),
    (_SKY, "P"),
    (_YELLOW, "X"),
)


@dataclass(frozen=True, kw_only=True)
class Theme:
    """Figure geometry and typography. `width_in * dpi` and `height_in * dpi` are whole pixels on purpose:
    the tests check every PNG has exactly the declared size."""

    name: ThemeName
    width_in: float
    height_in: float
    dpi: int
    font_size: float
    line_width: float
    marker_size: float
    rc: Mapping[str, Any] = field(default_factory=dict)

    @property
    def size_px(self) -> tuple[int, int]:
        return round(self.width_in * self.dpi), round(self.height_in * self.dpi)


THEMES: Mapping[ThemeName, Theme] = {
    "paper": Theme(
        name="paper",
        width_in=8.0,
        height_in=4.8,
        dpi=150,
        font_size=10.0,
        line_width=1.6,
        marker_size=5.0,
        rc={
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.frameon": False,
            "svg.fonttype": "none",
        },
    ),
    # 16:9 at 1920x1080: large type and thick lines, readable from the back of a room.
    "talk": Theme(
        name="talk",
        width_in=16.0,
        height_in=9.0,
        dpi=120,
        font_size=22.0,
        line_width=4.0,
        marker_size=12.0,
        rc={
            "axes.grid": True,
            "grid.alpha": 0.35,
            "grid.linewidth": 1.2,
            "axes.linewidth": 2.0,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titleweight": "bold",
            "legend.frameon": False,
            "xtick.major.width": 2.0,
            "ytick.major.width": 2.0,
            "svg.fonttype": "none",
        },
    ),
}


def get_theme(name: str) -> Theme:
    """The theme called `name`.

    Raises:
        ReportUsageError: `name` is not a known theme.
    """
    if name not in THEMES:
        raise ReportUsageError(
            f"--theme {name!r} is unknown; choose one of: {', '.join(get_args(ThemeName))}"
        )
    return THEMES[name]  # type: ignore[index]


@dataclass(frozen=True, kw_only=True)
class VariantStyle:
    """How one variant is drawn everywhere: colour, marker and legend label."""

    color: str
    marker: str
    label: str


def variant_styles(info: ScenarioInfo) -> dict[str, VariantStyle]:
    """Styles for a scenario's variants: the pitfall vermillion circles, the fix blue squares, further
    variants the remaining palette in the scenario's own order (so a variant keeps its style in every
    chart of the report)."""
    styles: dict[str, VariantStyle] = {}
    references = iter(_REFERENCE_STYLES)
    for variant in info.variants:
        is_pitfall = variant.id == info.pitfall_variant or (
            variant.role == "pitfall" and variant.id != info.fix_variant
        )
        is_fix = variant.id == info.fix_variant or (variant.role == "fix" and not is_pitfall)
        if is_pitfall:
            color, marker = PITFALL_COLOR, "o"
        elif is_fix:
            color, marker = FIX_COLOR, "s"
        else:
            color, marker = next(references, (IDEAL_COLOR, "*"))
        styles[variant.id] = VariantStyle(color=color, marker=marker, label=variant.title or variant.id)
    return styles


def style_for(styles: Mapping[str, VariantStyle], variant_id: str) -> VariantStyle:
    """A variant's style, or a neutral one for a variant the manifest does not describe."""
    return styles.get(variant_id) or VariantStyle(color=IDEAL_COLOR, marker="*", label=variant_id)
