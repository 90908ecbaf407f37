"""Point ids: built and parsed in one place, so a file name and the point it names can never disagree."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PointKey", "parse_point_id", "point_id"]


@dataclass(frozen=True, kw_only=True)
class PointKey:
    """What a point id encodes: scenario, variant, loop and load."""

    scenario: str
    variant: str
    loop: str
    users: int


def point_id(scenario: str, variant: str, loop: str, users: int) -> str:
    """File-name-safe id of a point: `sync_client__async_client__uvloop__u100`."""
    return f"{scenario}__{variant}__{loop}__u{users}"


def parse_point_id(pid: str) -> PointKey | None:
    """The inverse of `point_id`; None for a string that is not a point id."""
    parts = pid.split("__")
    if len(parts) != 4 or not parts[3].startswith("u") or not parts[3][1:].isdigit():
        return None
    return PointKey(scenario=parts[0], variant=parts[1], loop=parts[2], users=int(parts[3][1:]))
