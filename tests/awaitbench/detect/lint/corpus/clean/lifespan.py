"""True negatives: clients built once (lifespan, module level, cached dependencies, singletons)."""

import contextlib
import functools

import httpx
from fastapi import Depends, FastAPI, Request
from openai import AsyncAzureOpenAI, AsyncOpenAI

shared = AsyncOpenAI(timeout=20)
_lazy: httpx.AsyncClient | None = None


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.client = AsyncOpenAI(timeout=20)
    async with httpx.AsyncClient() as http:
        app.state.http = http
        yield
    await app.state.client.close()


app = FastAPI(lifespan=lifespan)


@functools.lru_cache
def get_azure() -> AsyncAzureOpenAI:
    return AsyncAzureOpenAI(azure_endpoint="https://x", api_version="v", timeout=20)


@functools.cache
def get_other() -> AsyncOpenAI:
    return AsyncOpenAI(timeout=20)


def get_http() -> httpx.AsyncClient:
    global _lazy
    if _lazy is None:
        _lazy = httpx.AsyncClient()
    return _lazy


@app.post("/ask")
async def ask(request: Request, client: AsyncAzureOpenAI = Depends(get_azure)) -> str:
    reply = await client.chat.completions.create(model="m", messages=[])
    return reply.choices[0].message.content


@app.post("/other")
async def other(client: AsyncOpenAI = Depends(get_other)) -> None:
    await shared.models.list()


@app.get("/proxy")
async def proxy(request: Request) -> bytes:
    response = await get_http().get("http://x")
    await request.app.state.http.get("http://y", params={"size": len(response.content)})
    return response.content


class Service:
    def __init__(self) -> None:
        self.client = AsyncOpenAI(timeout=20)


service = Service()  # one instance, one client, for the process


@app.get("/svc")
async def svc() -> None:
    await service.client.models.list()
