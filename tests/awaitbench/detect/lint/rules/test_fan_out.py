"""AWB105: unbounded gathers, and the sizes and limits that make them fine."""

from __future__ import annotations

import pytest

from tests.awaitbench.detect.lint.helpers import codes_at

HEADER = "import asyncio\nfrom openai import AsyncOpenAI\nclient = AsyncOpenAI(timeout=5)\nN = 4\n"
CALL = "client.embeddings.create(input=x, model='e')"


@pytest.mark.parametrize(
    ("iterable", "reported"),
    [
        ("items", True),
        ("range(len(items))", True),
        ("range(N)", False),
        ("items[:8]", False),
        ("['a', 'b']", False),
        ("enumerate(('a', 'b'))", False),
        ("sorted(items)", True),
    ],
)
def test_size_of_the_iterable_decides(iterable: str, reported: bool) -> None:
    source = HEADER + f"async def f(items):\n    return await asyncio.gather(*({CALL} for x in {iterable}))\n"
    assert bool(codes_at(source, "AWB105")) is reported


def test_a_mapping_helper_over_a_constant_is_bounded() -> None:
    source = HEADER + (
        "PARTS = ('a', 'b', 'c')\n"
        "def prompts(question, parts):\n"
        "    return [p + question for p in parts]\n"
        f"async def f(q):\n    return await asyncio.gather(*({CALL} for x in prompts(q, PARTS)))\n"
    )
    assert not codes_at(source, "AWB105")
