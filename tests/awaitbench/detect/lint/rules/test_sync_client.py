"""AWB101: sync clients reached from async code, with the chain named at the call site."""

from __future__ import annotations

from tests.awaitbench.detect.lint.helpers import codes_at, lint_text


def test_chain_through_helpers_is_reported_at_the_call_in_async_def() -> None:
    [finding] = lint_text(
        """
        import httpx

        def fetch(url):
            with httpx.Client() as client:
                return client.get(url)

        def load(url):
            return fetch(url)

        async def handler(url):
            return load(url)
        """,
        "AWB101",
    )
    assert (finding.line, finding.pitfall) == (12, "sync_client")
    assert "handler -> load -> fetch -> Client.get" in finding.message


def test_ruff_overlap_is_named_for_direct_requests_calls() -> None:
    [finding] = lint_text("import requests\nasync def f():\n    requests.get('http://x')\n", "AWB101")
    assert "ASYNC210" in finding.message


def test_sync_client_in_plain_def_and_async_client_awaited_are_fine() -> None:
    assert not codes_at(
        """
        from openai import AsyncOpenAI, OpenAI
        sync, aio = OpenAI(timeout=5), AsyncOpenAI(timeout=5)

        def route():
            return sync.chat.completions.create(model="m", messages=[])

        async def handler():
            return await aio.chat.completions.create(model="m", messages=[])
        """,
        "AWB101",
    )


def test_a_client_handed_to_a_package_factory_is_followed() -> None:
    source = """
        from openai import OpenAI

        def sync_client():
            return OpenAI(timeout=5)

        class Holder:
            def __init__(self, factory):
                self.factory = factory

        def build(factory):
            return Holder(factory)

        holder = build(sync_client)

        async def handler():
            return holder.client.chat.completions.create(model="m", messages=[])
        """
    assert codes_at(source, "AWB101") == [(17, "AWB101")]


def test_unknown_receivers_are_not_guessed() -> None:
    assert not codes_at("async def f(x):\n    x.chat.completions.create()\n    x.get('u')\n", "AWB101")
