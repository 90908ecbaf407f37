"""AWB106: deadlines on the client, on the call or around it; unknown clients are not guessed."""

from __future__ import annotations

from tests.awaitbench.detect.lint.helpers import codes_at, lint_text


def test_message_says_where_the_client_was_built_and_its_default() -> None:
    [finding] = lint_text(
        "from openai import AsyncOpenAI\nc = AsyncOpenAI()\nasync def f():\n    await c.models.list()\n",
        "AWB106",
    )
    assert "snippet.py:2" in finding.message and "600 s" in finding.message


def test_a_timeout_from_kwargs_is_unknown_and_not_reported() -> None:
    source = (
        "from openai import AsyncOpenAI\nc = AsyncOpenAI(**cfg)\nasync def f():\n    await c.models.list()\n"
    )
    assert not codes_at(source, "AWB106")


def test_sync_calls_are_not_this_rules_business() -> None:
    source = "from openai import OpenAI\nc = OpenAI()\ndef f():\n    c.models.list()\n"
    assert not codes_at(source, "AWB106")
