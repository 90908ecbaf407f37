"""True positives for AWB105: unbounded fan-out to the upstream."""

import asyncio

import httpx
from openai import AsyncOpenAI

client = AsyncOpenAI(timeout=30)
http = httpx.AsyncClient()


async def one(chunk: str) -> str:
    reply = await client.chat.completions.create(model="m", messages=[{"content": chunk}])
    return reply.choices[0].message.content


async def gather_generator(chunks: list[str]) -> list[str]:
    return await asyncio.gather(*(one(c) for c in chunks))  # expect: AWB105


async def gather_list(urls: list[str]) -> list:
    return await asyncio.gather(*[http.get(u) for u in urls])  # expect: AWB105


async def wait_tasks(chunks: list[str]) -> None:
    await asyncio.wait([asyncio.create_task(one(c)) for c in chunks])  # expect: AWB105


async def task_group(chunks: list[str]) -> None:
    async with asyncio.TaskGroup() as tg:
        for chunk in chunks:
            tg.create_task(one(chunk))  # expect: AWB105


async def from_request_size(n: int) -> list:
    return await asyncio.gather(*(one(str(i)) for i in range(n)))  # expect: AWB105
