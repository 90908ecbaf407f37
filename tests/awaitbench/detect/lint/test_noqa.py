"""`# noqa` as ruff spells it: bare, with codes, with other tools' codes."""

from __future__ import annotations

import pytest

from awaitbench.detect.lint.noqa import suppressed
from tests.awaitbench.detect.lint.helpers import codes_at


@pytest.mark.parametrize(
    ("line", "hidden"),
    [
        ("x()  # noqa", True),
        ("x()  # noqa: AWB101", True),
        ("x()  # NOQA:E501,AWB101", True),
        ("x()  # noqa: E501 AWB101 ", True),
        ("x()  # noqa: E501", False),
        ("x()  # noqa: AWB1010", False),
        ("x()", False),
    ],
)
def test_suppressed(line: str, hidden: bool) -> None:
    assert suppressed(line, "AWB101") is hidden


def test_noqa_silences_a_finding_on_its_line_only() -> None:
    source = "import time\nasync def f():\n    time.sleep(1)  # noqa: AWB102\n    time.sleep(2)\n"
    assert codes_at(source) == [(4, "AWB102")]
