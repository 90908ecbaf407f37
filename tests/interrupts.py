"""Ctrl-C for a child process, whatever the shell that started the test suite did with SIGINT.

Why: a shell without job control starts a background job (`make test &` in a script) with SIGINT
ignored, children inherit that, and Python then installs no KeyboardInterrupt handler: an interrupt test
would see its child run to the end. Pass `preexec_fn=default_sigint` to the child under test.
"""

from __future__ import annotations

import signal

__all__ = ["default_sigint"]


def default_sigint() -> None:
    """Runs in the child between fork and exec: SIGINT back to its default disposition."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
