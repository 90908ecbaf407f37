"""Typed errors of the report side. The one CLI (`awaitbench.cli`) turns them into a one-line message and an
exit code; reports never prints or exits on its own."""

from __future__ import annotations

__all__ = ["ReportError", "ReportUsageError"]


class ReportError(Exception):
    """A report or comparison that cannot be made; its message is printed on one line (exit code 1)."""


class ReportUsageError(ReportError):
    """A bad argument to the report side (an unknown theme): a usage error (exit code 2)."""
