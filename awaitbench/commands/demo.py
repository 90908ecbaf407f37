"""`awaitbench demo SCENARIO [PITFALL FIX]`: the pitfall and its fix under the same live load, in a browser.

Wires `bench.demo` to the report's theme (bench never imports reports); flags from `DemoConfig`."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from bench.demo.config import ENV_PREFIX, OPTIONS

if TYPE_CHECKING:
    from bench.demo.page import PageStyle

__all__ = ["page_style", "register"]

_POINTS_PER_INCH = 72.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="Show a pitfall and its fix under the same live load, side by side in a browser (for talks)",
        description="Start fake_llm, the pitfall's and the fix's apps and one load driver each, and serve a "
        "page on 127.0.0.1 with both live: throughput, latency, the theory, a users slider, the upstream "
        "latency, a scenario picker and a snapshot button. --record FILE keeps the figures; --replay FILE "
        f"plays them back without starting anything. Every flag is also an env var ({ENV_PREFIX}<NAME>).",
    )
    OPTIONS.add_arguments(parser)
    parser.set_defaults(handler=_handle)


def page_style(theme_name: str) -> PageStyle:
    """The page's `PageStyle` from the report's theme of that name (colours, and sizes relative to the
    theme's figure width, so the page scales like the slide the theme was made for)."""
    from bench.demo.page import PageStyle
    from reports.theme import FIX_COLOR, IDEAL_COLOR, PITFALL_COLOR, get_theme

    theme = get_theme(theme_name)
    per_vw = 100.0 / (theme.width_in * _POINTS_PER_INCH)
    return PageStyle(
        theme=theme.name,
        pitfall_color=PITFALL_COLOR,
        fix_color=FIX_COLOR,
        muted_color=IDEAL_COLOR,
        font_vw=round(theme.font_size * per_vw, 3),
        line_vw=round(theme.line_width * per_vw, 3),
    )


def _handle(args: argparse.Namespace) -> int:
    import sys

    from bench.demo.runner import prepare, run_demo
    from bench.errors import ProcessFailed

    config = OPTIONS.load(args, os.environ)
    plan = prepare(config)

    def announce(line: str) -> None:
        print(line, file=sys.stdout, flush=True)

    try:
        run_demo(plan, page_style(config.theme), announce=announce)
    except ProcessFailed as exc:
        if exc.stderr_tail:
            print(f"--- last lines of its log ---\n{exc.stderr_tail}", file=sys.stderr)
        raise
    return 0
