"""AWB106: the deadline is reported where it belongs: the constructor, or the call when the code (or the
SDK) sets deadlines per call; unknown clients are not guessed."""

from __future__ import annotations

from tests.awaitbench.detect.lint.helpers import codes_at, lint_text


def test_the_constructor_is_reported_with_the_sdk_default() -> None:
    [finding] = lint_text(
        "from openai import AsyncOpenAI\nc = AsyncOpenAI()\nasync def f():\n    await c.models.list()\n",
        "AWB106",
    )
    assert finding.line == 2 and "600 s" in finding.message and finding.severity == "medium"


def test_a_timeout_from_kwargs_or_settings_is_a_deadline() -> None:
    source = """
        from openai import AsyncOpenAI
        a = AsyncOpenAI(**cfg)
        b = AsyncOpenAI(timeout=settings.llm_timeout_s)
        """
    assert not codes_at(source, "AWB106")


def test_a_sync_client_waits_in_its_thread_and_is_reported_too() -> None:
    source = "from openai import OpenAI\nc = OpenAI()\ndef f():\n    c.models.list()\n"
    assert codes_at(source, "AWB106") == [(2, "AWB106")]


def test_none_or_a_long_default_is_reported_and_explicit_values_and_short_defaults_kept() -> None:
    source = """
        import httpx
        from groq import Groq
        from openai import AsyncOpenAI
        a = AsyncOpenAI()
        b = httpx.AsyncClient(timeout=None)
        c = httpx.AsyncClient()
        d = Groq()
        e = AsyncOpenAI(timeout=180)
        """
    assert codes_at(source, "AWB106") == [(5, "AWB106"), (6, "AWB106")]


def test_a_custom_http_client_without_its_own_timeout_keeps_the_sdk_default() -> None:
    source = """
        import httpx
        from openai import AsyncOpenAI
        plain = AsyncOpenAI(http_client=httpx.AsyncClient())
        bounded = AsyncOpenAI(http_client=httpx.AsyncClient(timeout=20))
        """
    assert codes_at(source, "AWB106") == [(4, "AWB106")]


def test_per_call_deadlines_move_the_report_to_the_calls_that_lack_one() -> None:
    source = """
        import asyncio
        from openai import AsyncOpenAI
        client = AsyncOpenAI()
        async def bounded():
            return await asyncio.wait_for(client.models.list(), 5)
        async def unbounded():
            return await client.models.list()
        """
    assert codes_at(source, "AWB106") == [(8, "AWB106")]


def test_a_client_known_only_by_its_annotation_is_not_guessed() -> None:
    source = "from openai import AsyncOpenAI\nasync def f(c: AsyncOpenAI):\n    await c.models.list()\n"
    assert not codes_at(source, "AWB106")
