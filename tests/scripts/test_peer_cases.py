"""The comparison table in docs/detect.md, this plugin's column: each case run through the plugin as
`scripts/peer_cases.py` runs it, and the cell the table shows. (The peers' columns come from the script,
run where pyleak and blockbuster are installed; they are not test dependencies.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scripts.test_overhead import _script

DOCS = Path(__file__).resolve().parents[2] / "docs" / "detect.md"
peer_cases = _script("peer_cases")


def _documented_column(tool: str) -> dict[str, str]:
    """{case description: cell} of `tool`'s column in the table whose header starts `| case |`."""
    lines = DOCS.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| case |"))
    header = [cell.strip() for cell in lines[start].strip("|").split("|")]
    column = header.index(tool)
    rows: dict[str, str] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0]] = cells[column]
    return rows


def test_the_documented_column_of_this_plugin_is_what_it_does(tmp_path: Path) -> None:
    peer_cases.write_project(tmp_path)
    outcomes = peer_cases.run_tool(peer_cases.TOOLS[0], tmp_path)
    documented = _documented_column("awaitbench")
    for case in peer_cases.CASES:
        outcome = outcomes[case.name]
        if case.name == "clean":
            cell = "passes" if not outcome.detected else "**flagged**"
        else:
            cell = ("line" if outcome.names_line else "yes") if outcome.detected else "no"
        assert documented[case.what].startswith(cell), (case.name, cell, documented[case.what])


@pytest.mark.parametrize("case", [c.name for c in peer_cases.CASES if c.name != "clean"])
def test_every_case_marks_the_line_a_tool_should_name(case: str) -> None:
    assert peer_cases.helper_line(case) > 0
