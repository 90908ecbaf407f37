"""What a diagnosis reports: plain frozen data the CLI prints, the JSON carries and reports render."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["SEVERITIES", "Finding", "Severity", "at_or_above"]

Severity = Literal["low", "medium", "high"]
SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high")
"""Lowest first. `high`: costs most of the route's throughput or holds users for minutes; `medium`: a
real cost under some load; `low`: ambiguous evidence or a small cost."""


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One pitfall on one route.

    Args:
        pitfall: the catalogue's scenario id (`sync_client`), so `awaitbench run <id>` shows its cost.
        severity: see `SEVERITIES`.
        evidence: one sentence with the numbers it rests on.
        numbers: those numbers by name (`upstream_peak_in_flight`, `blocked_share`, ...).
        location: `file:line in function: source` from the watchdog or the warning, when known.
        fix: one sentence.
        cost: what it costs this route, measured ("reaches 9.8 req/s at 20 users where Little's law
            allows 190: x19 below").
        ambiguous: the evidence allows an innocent reading (said in `evidence`); graded lower.
        stack: the blocking stack as text lines (outermost first), for reports.
    """

    pitfall: str
    severity: Severity
    evidence: str
    numbers: Mapping[str, float] = field(default_factory=dict)
    location: str | None = None
    fix: str = ""
    cost: str = ""
    ambiguous: bool = False
    stack: tuple[str, ...] = ()


def at_or_above(severity: Severity, threshold: Severity) -> bool:
    return SEVERITIES.index(severity) >= SEVERITIES.index(threshold)
