"""`awaitbench report`: Render charts and an HTML/Markdown report from a results directory."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.errors import AwaitbenchError, UsageError

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "report",
        help="Render charts and an HTML/Markdown report from a results dir",
        description="Render index.html, summary.md and the charts (PNG + SVG) of an 'awaitbench run' "
        "results directory. Reads files only: nothing is re-run.",
    )
    parser.add_argument("results_dir", metavar="RESULTS_DIR", type=Path, help="the --out of 'awaitbench run'")
    parser.add_argument(
        "--theme",
        choices=("paper", "talk"),
        default="paper",
        help="paper: compact figures for documents; talk: 16:9, large type (default: paper)",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="output directory (default: RESULTS_DIR/report)"
    )
    parser.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    # Heavy imports (matplotlib, jinja2) only when the command runs.
    from bench.paths import check_writable_dir
    from bench.results import ResultsError, load_run
    from reports.render import render_report
    from reports.theme import get_theme

    theme = get_theme(args.theme)
    out_dir: Path = args.out if args.out is not None else args.results_dir / "report"
    try:
        run = load_run(args.results_dir)
    except ResultsError as exc:
        raise UsageError(str(exc)) from exc
    check_writable_dir(out_dir, flag="--out")
    try:
        files = render_report(run, theme=theme, out_dir=out_dir)
    except OSError as exc:
        raise AwaitbenchError(
            f"cannot write the report to {out_dir}: {exc.strerror or exc}; pass a writable --out"
        ) from exc
    print(f"{len(files.charts)} charts, summary: {files.summary_md}")
    print(f"report: {files.index_html.resolve()}")
    return 0
