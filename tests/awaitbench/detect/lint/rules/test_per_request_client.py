"""AWB103: a client per request, versus clients that live as long as the app."""

from __future__ import annotations

from tests.awaitbench.detect.lint.helpers import codes_at, lint_text


def test_depends_on_an_uncached_dependency_names_the_route() -> None:
    [finding] = lint_text(
        """
        from fastapi import Depends, FastAPI
        from openai import AsyncAzureOpenAI
        app = FastAPI()

        async def get_client():
            async with AsyncAzureOpenAI(azure_endpoint="u", api_version="v", timeout=5) as client:
                yield client

        @app.get("/chat")
        async def chat(client=Depends(get_client)):
            return client
        """,
        "AWB103",
    )
    assert finding.line == 11
    assert "dependency `get_client`" in finding.message and "`chat`" in finding.message


def test_annotated_depends_is_seen() -> None:
    source = """
        from typing import Annotated
        import httpx
        from fastapi import Depends, FastAPI
        app = FastAPI()

        def http():
            return httpx.AsyncClient()

        @app.get("/x")
        async def route(client: Annotated[httpx.AsyncClient, Depends(http)]):
            return client
        """
    assert codes_at(source, "AWB103") == [(11, "AWB103")]


def test_clients_outside_handlers_or_stored_are_not_per_request() -> None:
    assert not codes_at(
        """
        import httpx
        from fastapi import FastAPI
        app = FastAPI()
        client = httpx.AsyncClient()

        async def startup():
            app.state.http = httpx.AsyncClient()

        @app.get("/x")
        async def route():
            app.state.other = httpx.AsyncClient()
            return await client.get("u")
        """,
        "AWB103",
    )


def test_a_global_refilled_on_every_call_is_per_request_and_a_lazy_one_is_not() -> None:
    source = """
        import httpx
        from fastapi import FastAPI
        app = FastAPI()
        http = lazy = None

        def connect():
            global http
            http = httpx.AsyncClient()

        def get_lazy():
            global lazy
            if lazy:
                return lazy
            lazy = httpx.AsyncClient()
            return lazy

        @app.post("/upload")
        async def upload():
            connect()
            return await get_lazy().get("u")
        """
    assert codes_at(source, "AWB103") == [(20, "AWB103")]


def test_an_instance_built_per_request_builds_its_clients_per_request() -> None:
    source = """
        from fastapi import FastAPI
        from groq import Groq

        class Summaries:
            def __init__(self):
                self.client = Groq()

        app = FastAPI()

        @app.post("/summary")
        async def summary():
            service = Summaries()
            return service.client.chat.completions.create(model="m", messages=[])
        """
    assert (13, "AWB103") in codes_at(source, "AWB103")


def test_a_websocket_session_keeps_its_client_for_the_connection() -> None:
    source = """
        from fastapi import FastAPI
        from openai import AsyncOpenAI

        app = FastAPI()

        @app.websocket("/live")
        async def live(socket):
            client = AsyncOpenAI(timeout=20)
            await client.models.list()
        """
    assert not codes_at(source, "AWB103")
