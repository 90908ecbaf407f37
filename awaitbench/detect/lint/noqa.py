"""`# noqa` comments: a bare `# noqa` silences every finding on its line, `# noqa: AWB101,AWB104` only
those codes (the same syntax as ruff and flake8, so one comment can name codes of several tools)."""

from __future__ import annotations

import re

__all__ = ["suppressed"]

_NOQA = re.compile(r"#\s*noqa(?P<colon>\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:\s*[,\s]\s*[A-Z]+[0-9]+)*))?", re.I)


def suppressed(line: str, code: str) -> bool:
    """Whether `line` (the source line of a finding) carries a noqa comment covering `code`."""
    if "noqa" not in line and "NOQA" not in line:
        return False
    for match in _NOQA.finditer(line):
        codes = match.group("codes")
        if codes is None:
            return True
        if code.upper() in {c.upper() for c in re.split(r"[,\s]+", codes.strip()) if c}:
            return True
    return False
