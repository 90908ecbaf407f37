"""The settings table of docs/fake_llm.md, generated from `fake_llm.settings.SETTINGS`.

Why generated: the table is the user's reference for every flag, TOML key and env var, and a hand-kept copy
drifts (a renamed flag, a changed default). `python -m fake_llm.settings_docs docs/fake_llm.md` rewrites the
table between its two marker comments; a test fails when the file and the settings disagree.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from fake_llm.settings import SECTIONS, SETTINGS, Setting, SettingValue

__all__ = ["BEGIN", "END", "main", "settings_table", "with_settings_table"]

BEGIN = "<!-- settings table: generated from fake_llm/config.py by `python -m fake_llm.settings_docs` -->"
END = "<!-- end of the generated settings table -->"


def _toml(value: SettingValue) -> str:
    """A default as it is written in a config file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def _flag(setting: Setting) -> str:
    if setting.kind is bool:
        return f"`{setting.flag}` / `--no-{setting.flag.removeprefix('--')}`"
    return f"`{setting.flag}`"


def _meaning(setting: Setting) -> str:
    text = setting.help
    if setting.choices:
        text += ": " + ", ".join(f"`{choice}`" for choice in setting.choices)
    return text.replace("|", "\\|")


def settings_table() -> str:
    """Markdown: one row per setting (flag, TOML key, env var, default, meaning), grouped by section."""
    lines = ["| flag | TOML key | env var | default | meaning |", "|---|---|---|---|---|"]
    for section in SECTIONS:
        lines.append(f"| **{section}** (`[{section}]`) | | | | |")
        for setting in SETTINGS.values():
            if setting.section == section:
                cells = (
                    _flag(setting),
                    f"`{setting.name}`",
                    f"`{setting.env_var}`",
                    f"`{_toml(setting.default)}`",
                    _meaning(setting),
                )
                lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def with_settings_table(document: str) -> str:
    """`document` with the text between BEGIN and END replaced by the current table.

    Raises:
        ValueError: the markers are missing or out of order (add them where the table belongs).
    """
    start, end = document.find(BEGIN), document.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the document needs the two marker lines {BEGIN!r} and {END!r}, in that order")
    return document[: start + len(BEGIN)] + "\n" + settings_table() + "\n" + document[end:]


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite the table in each file named in `argv` (default docs/fake_llm.md); exit 1 if one lacks the
    markers."""
    paths = [Path(arg) for arg in (sys.argv[1:] if argv is None else argv)] or [Path("docs/fake_llm.md")]
    for path in paths:
        try:
            path.write_text(with_settings_table(path.read_text(encoding="utf-8")), encoding="utf-8")
        except (OSError, ValueError) as exc:
            print(f"fake_llm.settings_docs: {path}: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
