"""What the linter reports: plain frozen data, so the CLI prints it and reports can render it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Finding"]


@dataclass(frozen=True, kw_only=True, order=True)
class Finding:
    """One pitfall at one place in the source.

    Args:
        path: the file, as the user named it (relative paths stay relative).
        line: 1-based line of the reported node.
        col: 1-based column (ruff's convention, and SARIF's).
        code: the rule code (`AWB101`).
        pitfall: the catalogue scenario id the rule maps to (`sync_client`).
        message: what is wrong here and why it matters (the cost, when known).
        fix: what to change.
    """

    path: str
    line: int
    col: int
    code: str
    pitfall: str
    message: str
    fix: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape: `{"path", "line", "col", "code", "pitfall", "message", "fix"}`."""
        return asdict(self)
