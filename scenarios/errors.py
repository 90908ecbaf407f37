"""Errors raised by the scenario catalogue."""

from __future__ import annotations

__all__ = ["ScenarioConfigError", "UnknownScenarioError"]


class UnknownScenarioError(LookupError):
    """A scenario or variant id that the catalogue does not have; the message lists the valid ones."""

    def __str__(self) -> str:
        # LookupError's str() wraps the message in quotes; a CLI message reads better without them.
        return str(self.args[0]) if self.args else ""


class ScenarioConfigError(ValueError):
    """A variant's environment is wrong (no upstream URL, a knob out of range); the message says the fix."""
