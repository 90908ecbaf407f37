"""`python -m awaitbench.detect.lint PATH...`: the linter without the rest of awaitbench (generic "why"
texts)."""

from __future__ import annotations

import argparse
import sys

from awaitbench.detect.lint.cli import add_arguments, run
from awaitbench.detect.lint.errors import LintUsageError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m awaitbench.detect.lint", description="Lint for async pitfalls."
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except LintUsageError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
