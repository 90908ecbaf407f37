"""What the page is told before any figure: its style, its mode and the choices its controls offer.

The colours and sizes come from the command (`awaitbench demo` reads the report's talk or paper theme):
bench never imports reports, so the page gets them as a `PageStyle`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any, Literal

from scenarios.model import Scenario

__all__ = [
    "HISTORY_S",
    "LATENCY_CHOICES_MS",
    "TICK_S",
    "WINDOW_S",
    "PageStyle",
    "hello_message",
    "page_asset",
    "scenario_choices",
    "stage_message",
]

# A frame every 0.4 s: the charts move at least twice a second even when a tick runs late on a busy machine.
TICK_S = 0.4
# Figures cover the last 2 s: at L = 100 ms the pitfall completes ~20 answers in it (±1 is 5 %), and a
# move of the slider shows within 2 s.
WINDOW_S = 2.0
HISTORY_S = 60.0  # what the charts show, and what a page opened mid-demo gets first
LATENCY_CHOICES_MS = (25.0, 50.0, 100.0, 200.0, 500.0, 1000.0)
_ASSETS = {"page.html": "text/html", "page.css": "text/css", "page.js": "text/javascript"}


@dataclass(frozen=True, kw_only=True)
class PageStyle:
    """The theme as the page uses it.

    Args:
        theme: "talk" or "paper".
        pitfall_color, fix_color: the two sides (the report's vermillion and blue).
        muted_color: axes, grid and secondary text.
        font_vw: the base font size as a percentage of the page's width (the theme's size on its figure).
        line_vw: chart line width, likewise.
    """

    theme: str
    pitfall_color: str
    fix_color: str
    muted_color: str
    font_vw: float
    line_vw: float


def scenario_choices(scenarios: Sequence[Scenario]) -> list[dict[str, Any]]:
    """The picker's catalogue: each scenario with its variants and its own pitfall/fix pair."""
    return [
        {
            "id": s.id,
            "title": s.title,
            "pitfall": s.pitfall_variant,
            "fix": s.fix_variant,
            "latency_ms": s.upstream.latency_ms,
            "variants": [{"id": v.id, "title": v.title, "role": v.role} for v in s.variants],
        }
        for s in scenarios
    ]


def hello_message(
    *,
    mode: Literal["live", "replay"],
    style: PageStyle,
    max_users: int,
    scenarios: list[dict[str, Any]],
    source: str = "",
) -> dict[str, Any]:
    """The first message of every stream: how to draw, and what the controls may offer."""
    return {
        "kind": "hello",
        "mode": mode,
        "source": source,
        "style": asdict(style),
        "tick_s": TICK_S,
        "window_s": WINDOW_S,
        "history_s": HISTORY_S,
        "max_users": max_users,
        "latency_choices_ms": list(LATENCY_CHOICES_MS),
        "scenarios": scenarios,
    }


def stage_message(
    scenario: Scenario, *, pitfall: str, fix: str, latency_ms: float, at: float
) -> dict[str, Any]:
    """The slide text and the two variants now on stage."""
    variants = {v.id: v for v in scenario.variants}
    return {
        "kind": "stage",
        "at": round(at, 3),
        "scenario": scenario.id,
        "title": scenario.title,
        "pitfall_text": scenario.pitfall,
        "fix_text": scenario.fix,
        "latency_ms": latency_ms,
        "sides": {
            side: {"variant": vid, "title": variants[vid].title, "role": variants[vid].role}
            for side, vid in (("pitfall", pitfall), ("fix", fix))
        },
    }


def page_asset(name: str) -> tuple[bytes, str] | None:
    """A file of the page (`page.html`, `page.css`, `page.js`) and its content type; None for any other."""
    if name not in _ASSETS:
        return None
    return resources.files("bench.demo").joinpath("static", name).read_bytes(), _ASSETS[name]
