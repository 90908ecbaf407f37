"""What the linter reports: plain frozen data, so the CLI prints it and reports can render it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

__all__ = ["SEVERITIES", "SYNTAX_ERROR", "Finding", "Severity", "severity_rank"]

Severity = Literal["high", "medium", "low"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
SYNTAX_ERROR = "AWB000"


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One pitfall (or one file that does not parse) at one place in the source.

    Args:
        path: the file, as the user named it (relative paths stay relative).
        line: 1-based line of the reported node.
        col: 1-based column (ruff's convention, and SARIF's).
        code: the rule code (`AWB101`), or `AWB000` for a syntax error.
        pitfall: the catalogue scenario id the rule maps to (`sync_client`); None for a syntax error.
        severity: the expected cost: high (a network/LLM call or a long block on the loop, a client per
            request, work that never runs), medium, low (short local file work).
        message: what is wrong here and why it matters (the cost, when known).
        fix: what to change.
    """

    path: str
    line: int
    col: int
    code: str
    pitfall: str | None
    severity: Severity
    message: str
    fix: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape: `{"path", "line", "col", "code", "pitfall", "severity", "message", "fix"}`."""
        return asdict(self)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.col, self.code)


def severity_rank(severity: Severity) -> int:
    """0 for high, 1 for medium, 2 for low: the order the text output lists findings in."""
    return SEVERITIES.index(severity)
