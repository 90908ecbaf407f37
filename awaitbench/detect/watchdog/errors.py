"""The watchdog's error types: a bad setting says which one and how to fix it."""

from __future__ import annotations

__all__ = ["WatchConfigError", "WatchdogError"]


class WatchdogError(Exception):
    """Base class of every error the watchdog raises."""


class WatchConfigError(WatchdogError, ValueError):
    """A watchdog setting is out of range or inconsistent; the message names the setting and the fix."""
