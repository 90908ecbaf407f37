"""The patterns public FastAPI LLM services showed diagnose (docs/diagnose.md, "On real services"), each
on one route of a service written here: a `Message.role = "user"` default the upstream needs and a
`List[Dict[str, str]]` of messages, both forwarded as they come; a stream that breaks at once; a route
answering 500 before another; a call to a host that is not an LLM provider (a database's REST API); a
trivial sync route at hundreds of requests a second; a stream read with a sync client; an Azure client
built from an app-specific key variable (`AZURE_OPENAI_KEY`, read at import) and a hard-coded endpoint;
and a route reading a query parameter its schema does not declare.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import cast

import httpx
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import StreamingResponse
from openai import AsyncAzureOpenAI, AsyncOpenAI, OpenAI
from openai.types.chat import ChatCompletionMessageParam
from pydantic import BaseModel

AZURE_KEY = os.environ["AZURE_OPENAI_KEY"]  # the app's own name for it: KeyError at import without it
azure = AsyncAzureOpenAI(
    api_key=AZURE_KEY, azure_endpoint="https://contoso.openai.azure.com", api_version="2024-10-21", timeout=30
)
shared = AsyncOpenAI(timeout=30)
blocking = OpenAI(timeout=30)
app = FastAPI()


class Message(BaseModel):
    role: str = "user"
    content: str


class Chat(BaseModel):
    messages: list[Message]

    def sent(self) -> list[ChatCompletionMessageParam]:
        """The messages as the client sent them (`exclude_unset`): a role left to its default is missing,
        and the upstream refuses a message without one."""
        return cast(
            list[ChatCompletionMessageParam], [m.model_dump(exclude_unset=True) for m in self.messages]
        )


class Proxy(BaseModel):
    model: str
    messages: list[dict[str, str]]


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/boom")
async def boom() -> dict[str, str]:
    raise RuntimeError("this route always fails")


@app.post("/chat")
async def chat(body: Chat) -> dict[str, str]:
    reply = await shared.chat.completions.create(model="gpt-4o-mini", messages=body.sent())
    return {"answer": reply.choices[0].message.content or ""}


@app.post("/proxy")
async def proxy(body: Proxy) -> dict[str, str]:
    messages = cast(list[ChatCompletionMessageParam], body.messages)
    reply = await shared.chat.completions.create(model=body.model, messages=messages)
    return {"answer": reply.choices[0].message.content or ""}


@app.post("/stream-broken")
async def stream_broken(body: Chat) -> StreamingResponse:
    async def chunks() -> AsyncIterator[str]:
        if body.messages:  # always: the stream breaks before its first chunk
            raise RuntimeError("the stream breaks before its first chunk")
        yield ""

    return StreamingResponse(chunks(), media_type="text/event-stream")


@app.get("/profile/{user_id}")
async def profile(user_id: int) -> dict[str, object]:
    async with httpx.AsyncClient(timeout=5) as client:  # a database's REST API: not an LLM provider
        response = await client.get(f"https://db.diagnose-test.invalid/rest/v1/profiles/{user_id}")
    return {"profile": response.json()}


@app.post("/stream-sync")
async def stream_sync(body: Chat) -> StreamingResponse:
    async def chunks() -> AsyncIterator[str]:
        stream = blocking.chat.completions.create(model="gpt-4o-mini", messages=body.sent(), stream=True)
        for chunk in stream:  # a sync client read on the loop, chunk by chunk
            if chunk.choices and chunk.choices[0].delta.content:
                yield chunk.choices[0].delta.content

    return StreamingResponse(chunks(), media_type="text/plain")


@app.post("/azure")
async def ask_azure(body: Chat) -> dict[str, str]:
    reply = await azure.chat.completions.create(model="gpt-4o", messages=body.sent())
    return {"answer": reply.choices[0].message.content or ""}


@app.get("/search")
async def search(request: Request) -> dict[str, str]:
    message = request.query_params.get("message")  # read by hand: the OpenAPI schema does not know it
    if not message:
        raise HTTPException(status_code=400, detail="Message parameter is required")
    reply = await shared.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": message}]
    )
    return {"answer": reply.choices[0].message.content or ""}
