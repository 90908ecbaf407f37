"""`awaitbench compare`: Compare two results directories (before/after)."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from bench.errors import AwaitbenchError, UsageError

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="Compare two results directories (before/after)",
        description="Per-point changes of throughput, p50 and p99 from BASE to NEW, each judged better, "
        "worse or unchanged against a noise band. BASE and NEW may each be a results directory or a "
        "directory of several (repeated runs: their spread widens the band).",
    )
    parser.add_argument(
        "base", metavar="BASE", type=Path, help="results directory (or directory of them) before"
    )
    parser.add_argument(
        "new", metavar="NEW", type=Path, help="results directory (or directory of them) after"
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=10.0,
        metavar="PCT",
        help="smallest change in percent that counts as better/worse (default 10)",
    )
    parser.add_argument(
        "--fail-on-regression",
        type=float,
        default=None,
        metavar="PCT",
        help="exit 1 when any metric is worse by more than PCT percent, or a point measured in BASE "
        "failed or is missing in NEW (for CI)",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="also write compare.md and overlay charts here"
    )
    parser.add_argument(
        "--theme", choices=("paper", "talk"), default="paper", help="chart theme (default paper)"
    )
    parser.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    from bench.paths import check_writable_dir
    from bench.results import ResultsError
    from reports.compare import compare_runs, load_side
    from reports.compare_report import compare_table, write_compare
    from reports.theme import get_theme

    if args.threshold < 0:
        raise UsageError(
            f"--threshold {args.threshold:g} must be a non-negative percentage, e.g. --threshold 10"
        )
    if args.fail_on_regression is not None and args.fail_on_regression < 0:
        raise UsageError(
            f"--fail-on-regression {args.fail_on_regression:g} must be a non-negative percentage, e.g. 15"
        )
    if not math.isfinite(args.threshold) or (
        args.fail_on_regression is not None and not math.isfinite(args.fail_on_regression)
    ):
        raise UsageError("--threshold and --fail-on-regression take finite percentages, e.g. 10")
    try:
        base, new = load_side(args.base), load_side(args.new)
    except ResultsError as exc:
        raise UsageError(str(exc)) from exc
    if args.out is not None:
        check_writable_dir(args.out, flag="--out")
    comparison = compare_runs(base, new, threshold_pct=args.threshold)
    if not comparison.points:
        raise UsageError(f"neither {args.base} nor {args.new} has a measured point: nothing to compare")
    print(compare_table(comparison))
    if args.out is not None:
        try:
            files = write_compare(
                comparison,
                out_dir=args.out,
                theme=get_theme(args.theme),
                base_label=str(args.base),
                new_label=str(args.new),
            )
        except OSError as exc:
            raise AwaitbenchError(
                f"cannot write to --out {args.out}: {exc.strerror or exc}; pass a writable directory"
            ) from exc
        print(f"compare report: {files.markdown.resolve()}")
    if args.fail_on_regression is None:
        return 0
    regressions = comparison.regressions(args.fail_on_regression)
    for point, change in regressions:
        what = (
            "lost: measured in BASE, failed or missing in NEW"
            if change.verdict == "lost"
            else f"worse by {change.worse_pct:.1f}%"
        )
        print(
            f"regression: {point.point_id} {change.metric} {what} (limit {args.fail_on_regression:g}%)",
            file=sys.stderr,
        )
    return 1 if regressions else 0
