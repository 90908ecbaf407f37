"""True negatives for AWB106: a deadline on the client, on the call, or around it."""

import asyncio

import aiohttp
import anyio
import httpx
from openai import AsyncOpenAI

with_timeout = AsyncOpenAI(timeout=20)
default = AsyncOpenAI()
http = httpx.AsyncClient()


async def client_timeout() -> None:
    await with_timeout.models.list()


async def context_deadline() -> None:
    async with asyncio.timeout(5):
        await default.chat.completions.create(model="m", messages=[])


async def wait_for() -> None:
    await asyncio.wait_for(default.chat.completions.create(model="m", messages=[]), 5)


async def per_call() -> None:
    await default.chat.completions.create(model="m", messages=[], timeout=5)


async def with_options() -> None:
    await default.with_options(timeout=5).chat.completions.create(model="m", messages=[])


async def anyio_deadline() -> None:
    with anyio.fail_after(5):
        await default.models.list()


async def httpx_default() -> None:
    await http.get("http://x")


async def aiohttp_timeout() -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        async with session.get("http://x") as response:
            await response.read()


async def unknown_origin(client: object) -> None:
    await client.chat.completions.create(model="m", messages=[])


def discarded_probe() -> None:
    AsyncOpenAI()  # built and dropped: not a client anyone calls


wrapped = AsyncOpenAI().with_options(timeout=20)
configured = AsyncOpenAI(timeout=float("20"))
