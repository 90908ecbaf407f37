"""Typed errors for the orchestrator. The CLI (one place: `awaitbench.cli.main`) turns them into a one-line
message and an exit code; library code never calls `sys.exit`."""

from __future__ import annotations

__all__ = ["AwaitbenchError", "ProcessFailed", "UsageError"]


class AwaitbenchError(Exception):
    """A failure the user can act on; its message is printed on one line. Exit code 1."""

    exit_code = 1


class UsageError(AwaitbenchError):
    """Bad arguments or configuration, detected before any work starts. Exit code 2."""

    exit_code = 2


class ProcessFailed(AwaitbenchError):
    """A child process (fake_llm, a scenario app, Locust) died or never became ready."""

    def __init__(self, message: str, *, stderr_tail: str = "") -> None:
        super().__init__(message)
        self.stderr_tail = stderr_tail
