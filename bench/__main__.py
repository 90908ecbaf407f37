"""`python -m bench` is kept as an alias of `python -m awaitbench` (the console script's entry point)."""

import sys

from awaitbench.cli import main

sys.exit(main())
