"""Call a command-line `main(argv)` in the test's own process: its exit code and what it printed.

For usage errors and CLI shape, where a process would add only its start-up time; each command keeps a
real-process test for the user's view.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["CliResult", "call_main"]


@dataclass(frozen=True)
class CliResult:
    """What `subprocess.run(..., capture_output=True, text=True)` would have returned."""

    returncode: int
    stdout: str
    stderr: str


def call_main(main: Callable[[list[str]], int], argv: Sequence[str]) -> CliResult:
    """Run `main(argv)` as `sys.exit(main())` would, argparse's own exits included.

    What a main changes in the process is put back: its SIGTERM handler (pytest's own stays in charge)
    and the environment variables it sets (`awaitbench serve` names its app factory there).
    """
    out, err = io.StringIO(), io.StringIO()
    sigterm = signal.getsignal(signal.SIGTERM)
    environ = dict(os.environ)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 0 if exit_.code is None else 1
    finally:
        signal.signal(signal.SIGTERM, sigterm)
        for name in set(os.environ) - set(environ):
            del os.environ[name]
        os.environ.update(environ)
    return CliResult(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())
