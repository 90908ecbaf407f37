"""True positives for AWB106: no deadline on an upstream call whose client waits minutes."""

import contextlib
import functools

import aiohttp
import anthropic
import httpx
from fastapi import Depends, FastAPI, Request
from openai import AsyncOpenAI

client = AsyncOpenAI()
forever = httpx.AsyncClient(timeout=None)


async def ask(prompt: str) -> str:
    reply = await client.chat.completions.create(model="m", messages=[{"content": prompt}])  # expect: AWB106
    return reply.choices[0].message.content


async def no_limit(url: str) -> bytes:
    response = await forever.get(url)  # expect: AWB106
    return response.content


class Service:
    def __init__(self) -> None:
        self.claude = anthropic.AsyncAnthropic()

    async def run(self) -> None:
        await self.claude.messages.create(model="c", max_tokens=1, messages=[])  # expect: AWB106


async def session_calls(session_factory: object) -> None:
    session = aiohttp.ClientSession()
    async with session.get("http://x") as response:  # expect: AWB106
        await response.read()


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.llm = AsyncOpenAI()
    yield


app = FastAPI(lifespan=lifespan)


@functools.cache
def get_llm() -> AsyncOpenAI:
    return AsyncOpenAI()


@app.post("/state")
async def from_state(request: Request) -> None:
    await request.app.state.llm.models.list()  # expect: AWB106


@app.post("/dependency")
async def from_dependency(llm: AsyncOpenAI = Depends(get_llm)) -> None:
    await llm.models.list()  # expect: AWB106
