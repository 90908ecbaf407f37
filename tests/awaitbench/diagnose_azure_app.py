"""An Azure OpenAI service for the `awaitbench diagnose` and `awaitbench lint` tests: the tutorial pattern
of a client per request through an uncached FastAPI dependency, twice, next to its fix. Served by
`awaitbench.detect.serve` in a child process.

The clients are built from the environment, as `AsyncAzureOpenAI()` reads it (`AZURE_OPENAI_ENDPOINT`,
`AZURE_OPENAI_API_KEY`, `OPENAI_API_VERSION`): diagnose points them at its fake LLM, which serves Azure's
deployment routes. `POST /ask` depends on `get_azure_client`, a plain function FastAPI runs in its
threadpool, and `POST /ask-async` on `get_azure_client_async`, which runs on the loop: each builds a new
client (SSL context, connection pool, handshake) for every request. `POST /ask-shared` depends on
`shared_client`, which hands out the one client the lifespan built.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from openai import AsyncAzureOpenAI
from pydantic import BaseModel, Field

__all__ = ["DEPLOYMENT", "create_app", "get_azure_client", "get_azure_client_async", "shared_client"]

DEPLOYMENT = "gpt-4o-mini"


class Question(BaseModel):
    question: str = Field(examples=["What is async?"])


def get_azure_client() -> AsyncAzureOpenAI:
    """The pitfall: FastAPI calls an uncached dependency for every request: a new client each time."""
    return AsyncAzureOpenAI(timeout=30.0)


async def get_azure_client_async() -> AsyncAzureOpenAI:
    """The same pitfall in an async dependency: the client is built on the event loop."""
    return AsyncAzureOpenAI(timeout=30.0)


async def shared_client(request: Request) -> AsyncAzureOpenAI:
    """The fix: the dependency hands out the client the lifespan built once."""
    client: AsyncAzureOpenAI = request.app.state.llm
    return client


async def _ask(client: AsyncAzureOpenAI, question: str) -> str:
    reply = await client.chat.completions.create(
        model=DEPLOYMENT, messages=[{"role": "user", "content": question}]
    )
    return str(reply.choices[0].message.content)


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.llm = AsyncAzureOpenAI(timeout=30.0)
        yield
        await app.state.llm.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/ask")
    async def ask(body: Question, client: AsyncAzureOpenAI = Depends(get_azure_client)) -> dict[str, str]:  # noqa: B008
        return {"answer": await _ask(client, body.question)}

    @app.post("/ask-async")
    async def ask_async(
        body: Question,
        client: AsyncAzureOpenAI = Depends(get_azure_client_async),  # noqa: B008
    ) -> dict[str, str]:
        return {"answer": await _ask(client, body.question)}

    @app.post("/ask-shared")
    async def ask_shared(
        body: Question,
        client: AsyncAzureOpenAI = Depends(shared_client),  # noqa: B008
    ) -> dict[str, str]:
        return {"answer": await _ask(client, body.question)}

    return app
