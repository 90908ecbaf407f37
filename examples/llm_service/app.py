"""A document assistant API, written the way many teams write their first LLM service.

Six routes through the official SDK (`OPENAI_BASE_URL`, `OPENAI_API_KEY` from the environment); four carry
a planted pitfall (docs/diagnose.md lists them). From the repository root: `awaitbench diagnose
examples.llm_service.app:app --requests examples/llm_service/requests.toml`"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI, Request
from openai import AsyncOpenAI, OpenAI
from openai.types.chat import ChatCompletionMessageParam
from pydantic import BaseModel, Field

__all__ = ["app", "create_app", "router"]

MODEL = os.environ.get("LLM_SERVICE_MODEL", "gpt-4o-mini")
EMBEDDING_MODEL = "text-embedding-3-small"
TIMEOUT_S = 30.0


class Question(BaseModel):
    question: str = Field(examples=["What does an event loop do?"])


class Text(BaseModel):
    text: str = Field(examples=["Async code runs many waits at once on one thread."])


class Translation(BaseModel):
    text: str = Field(examples=["Async code runs many waits at once on one thread."])
    target: str = Field(default="French", examples=["French"])


class Reply(BaseModel):
    answer: str


class Analysis(BaseModel):
    summary: str
    keywords: str
    sentiment: str


class Verdict(BaseModel):
    flagged: bool
    reason: str


class Embedding(BaseModel):
    dimensions: int


@dataclass
class Clients:
    """The SDK clients the service shares, opened at startup and closed at shutdown."""

    llm: AsyncOpenAI
    blocking: OpenAI
    moderation: AsyncOpenAI

    async def close(self) -> None:
        await self.llm.close()
        self.blocking.close()
        await self.moderation.close()


def _messages(system: str, user: str) -> list[ChatCompletionMessageParam]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


async def _ask(client: AsyncOpenAI, system: str, user: str) -> str:
    reply = await client.chat.completions.create(model=MODEL, messages=_messages(system, user))
    return reply.choices[0].message.content or ""


router = APIRouter()


def clients(request: Request) -> Clients:
    held: Clients = request.app.state.clients
    return held


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.post("/chat")
async def chat(body: Question, request: Request) -> Reply:
    answer = await _ask(clients(request).llm, "You answer briefly.", body.question)
    return Reply(answer=answer)


@router.post("/summarize")
async def summarize(body: Text, request: Request) -> Reply:
    # PITFALL sync_client: the blocking client runs on the event loop; every request waits in line.
    reply = clients(request).blocking.chat.completions.create(
        model=MODEL, messages=_messages("Summarise in one sentence.", body.text)
    )
    return Reply(answer=reply.choices[0].message.content or "")


@router.post("/translate")
async def translate(body: Translation) -> Reply:
    # PITFALL per_request_client: a new client (SSL context, pool, connection) per request, never closed.
    client = AsyncOpenAI(timeout=TIMEOUT_S)
    answer = await _ask(client, f"Translate into {body.target}.", body.text)
    return Reply(answer=answer)


@router.post("/analyze")
async def analyze(body: Text, request: Request) -> Analysis:
    llm = clients(request).llm
    # PITFALL serial_awaits: three independent calls, awaited one after another.
    summary = await _ask(llm, "Summarise in one sentence.", body.text)
    keywords = await _ask(llm, "List five keywords.", body.text)
    sentiment = await _ask(llm, "Give the sentiment in one word.", body.text)
    return Analysis(summary=summary, keywords=keywords, sentiment=sentiment)


@router.post("/moderate")
async def moderate(body: Text, request: Request) -> Verdict:
    answer = await _ask(clients(request).moderation, "Answer SAFE or UNSAFE, then why.", body.text)
    return Verdict(flagged=answer.upper().startswith("UNSAFE"), reason=answer)


@router.post("/embed")
async def embed(body: Text, request: Request) -> Embedding:
    result = await clients(request).llm.embeddings.create(model=EMBEDDING_MODEL, input=body.text)
    return Embedding(dimensions=len(result.data[0].embedding))


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.clients = Clients(
        llm=AsyncOpenAI(timeout=TIMEOUT_S),
        blocking=OpenAI(timeout=TIMEOUT_S),
        moderation=AsyncOpenAI(),  # PITFALL timeouts: no timeout, so a hung call waits 600 s
    )
    yield
    await app.state.clients.close()


def create_app() -> FastAPI:
    app = FastAPI(title="Document assistant", lifespan=lifespan)
    app.include_router(router)
    return app


app = create_app()
