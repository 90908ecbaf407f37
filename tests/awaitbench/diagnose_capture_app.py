"""A service whose code holds its providers' real URLs, as many public ones do: the clients are built at
import with `base_url="https://api.groq.com/openai/v1"` and `"https://api.cerebras.ai/v1"` (the sync
OpenAI client, called from `async def`: `sync_client`, and the SDK's 600 s timeout: `timeouts`), and a
route posts to `https://api.anthropic.com/v1/messages` with a raw `httpx.AsyncClient` built per request and
no timeout (`per_request_client`, `timeouts`). No environment variable points anywhere: only diagnose's
capture can bring these calls to the fake LLM.
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam
from pydantic import BaseModel

groq = OpenAI(base_url="https://api.groq.com/openai/v1", api_key="gsk-not-a-real-key")
cerebras = OpenAI(base_url="https://api.cerebras.ai/v1", api_key="csk-not-a-real-key")
app = FastAPI()


class Question(BaseModel):
    question: str


def _messages(question: Question) -> list[ChatCompletionMessageParam]:
    return [{"role": "user", "content": question.question}]


@app.post("/groq")
async def ask_groq(question: Question) -> dict[str, str]:
    reply = groq.chat.completions.create(model="llama-3.1-8b-instant", messages=_messages(question))
    return {"answer": reply.choices[0].message.content or ""}


@app.post("/cerebras")
async def ask_cerebras(question: Question) -> dict[str, str]:
    reply = cerebras.chat.completions.create(model="llama3.1-8b", messages=_messages(question))
    return {"answer": reply.choices[0].message.content or ""}


@app.post("/claude")
async def ask_claude(question: Question) -> dict[str, str]:
    headers = {"x-api-key": "sk-ant-not-a-real-key", "anthropic-version": "2023-06-01"}
    body = {"model": "claude-3-5-haiku-latest", "max_tokens": 64, "messages": _messages(question)}
    async with httpx.AsyncClient(timeout=None) as client:
        response = await client.post("https://api.anthropic.com/v1/messages", headers=headers, json=body)
        response.raise_for_status()
    return {"answer": response.json()["content"][0]["text"]}
