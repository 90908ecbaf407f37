"""AWB104: independent awaits in a row; never a dependent chain, never ordered side effects."""

from __future__ import annotations

from tests.awaitbench.detect.lint.helpers import codes_at, lint_text

HEADER = "from openai import AsyncOpenAI\nclient = AsyncOpenAI(timeout=5)\n"


def test_a_run_is_reported_once_at_its_first_await_with_its_lines() -> None:
    [finding] = lint_text(
        HEADER
        + "async def f(a, b):\n"
        + "    x = await client.embeddings.create(input=a, model='e')\n"
        + "    y = await client.embeddings.create(input=b, model='e')\n"
        + "    return x, y\n",
        "AWB104",
    )
    assert finding.line == 4 and "lines 4, 5" in finding.message


def test_a_dependency_splits_the_run() -> None:
    source = (
        HEADER
        + "async def f(a):\n"
        + "    x = await client.embeddings.create(input=a, model='e')\n"
        + "    y = await client.embeddings.create(input=x, model='e')\n"
        + "    z = await client.embeddings.create(input=a, model='e')\n"
        + "    return y, z\n"
    )
    assert codes_at(source, "AWB104") == [(5, "AWB104")]  # y and z are independent of each other


def test_unknown_awaits_are_not_counted() -> None:
    assert not codes_at("async def f(db, q):\n    await db.fetch(q)\n    await db.fetch(q)\n", "AWB104")
