"""Point ids: built and parsed in one place, so a file name and the point it names can never disagree.

A closed-loop point ends in `__u<users>` (`sync_client__async_client__uvloop__u100`), an open-loop point
in `__r<offered rate>` (`sync_client__async_client__uvloop__r40`, `...__r2.5`). `format_rate` is also how
a rate is written as a key of `--summary-json` ("40").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

__all__ = ["MAX_RATE_RPS", "PointKey", "format_rate", "parse_point_id", "point_id"]

# The highest offered rate a point id (and `--rate`) takes: far beyond one machine's generator.
MAX_RATE_RPS = 100_000.0


@dataclass(frozen=True, kw_only=True)
class PointKey:
    """What a point id encodes: scenario, variant, loop and load (users, or an offered rate with users 0)."""

    scenario: str
    variant: str
    loop: str
    users: int
    rate_rps: float | None = None

    @property
    def load(self) -> Literal["users", "rate"]:
        return "users" if self.rate_rps is None else "rate"


def format_rate(rate_rps: float) -> str:
    """`40.0` -> "40", `2.5` -> "2.5": at most 6 significant digits, never an exponent.

    Raises:
        ValueError: a rate that is not in (0, MAX_RATE_RPS].
    """
    if not math.isfinite(rate_rps) or not 0 < rate_rps <= MAX_RATE_RPS:
        raise ValueError(f"an offered rate must be in (0, {MAX_RATE_RPS:g}] req/s, got {rate_rps!r}")
    text = f"{rate_rps:.6g}"
    if "e" in text:  # below 1e-4 req/s: a rate nobody measures, but keep the id readable
        text = f"{rate_rps:.10f}".rstrip("0").rstrip(".")
    return text


def point_id(
    scenario: str, variant: str, loop: str, users: int | None = None, *, rate_rps: float | None = None
) -> str:
    """File-name-safe id of a point: `sync_client__async_client__uvloop__u100` (users) or `...__r40` (rate).

    Raises:
        ValueError: neither or both of `users` and `rate_rps`.
    """
    if (users is None) == (rate_rps is None):
        raise ValueError("a point id needs exactly one of `users` and `rate_rps`")
    load = f"u{users}" if rate_rps is None else f"r{format_rate(rate_rps)}"
    return f"{scenario}__{variant}__{loop}__{load}"


def _rate(text: str) -> float | None:
    try:
        rate = float(text)
    except ValueError:
        return None
    return rate if math.isfinite(rate) and 0 < rate <= MAX_RATE_RPS else None


def parse_point_id(pid: str) -> PointKey | None:
    """The inverse of `point_id`; None for a string that is not a point id."""
    parts = pid.split("__")
    if len(parts) != 4:
        return None
    scenario, variant, loop, load = parts
    if load.startswith("u") and load[1:].isdigit():
        return PointKey(scenario=scenario, variant=variant, loop=loop, users=int(load[1:]))
    if load.startswith("r") and (rate := _rate(load[1:])) is not None:
        return PointKey(scenario=scenario, variant=variant, loop=loop, users=0, rate_rps=rate)
    return None
