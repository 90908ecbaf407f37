"""`python -m awaitbench` is the same entry point as the `awaitbench` console script."""

import sys

from awaitbench.cli import main

sys.exit(main())
