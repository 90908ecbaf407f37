"""A small service for the `awaitbench diagnose` CLI tests: one clean route, one that blocks the loop, one
that cannot be exercised from its schema, and `/health`. Served by `awaitbench.detect.serve` in a child
process."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Header, Request
from openai import AsyncOpenAI
from pydantic import BaseModel, Field

__all__ = ["create_app"]


class Question(BaseModel):
    question: str = Field(examples=["What is async?"])


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.llm = AsyncOpenAI(timeout=30.0)
        yield
        await app.state.llm.close()

    app = FastAPI(lifespan=lifespan)

    async def ask(request: Request, question: str) -> str:
        reply = await request.app.state.llm.chat.completions.create(
            model="fake-chat", messages=[{"role": "user", "content": question}]
        )
        return str(reply.choices[0].message.content)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/ask")
    async def answer(body: Question, request: Request) -> dict[str, str]:
        return {"answer": await ask(request, body.question)}

    @app.post("/parse")
    async def parse(body: Question, request: Request) -> dict[str, str]:
        time.sleep(0.05)  # a sync parser on the loop: the planted pitfall
        return {"answer": await ask(request, body.question)}

    @app.post("/admin")
    async def admin(body: Question, x_token: str = Header()) -> dict[str, str]:
        return {"ok": x_token}

    return app
