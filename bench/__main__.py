"""`python -m bench` is the same entry point as the `awaitbench` console script."""

import sys

from bench.cli import main

sys.exit(main())
