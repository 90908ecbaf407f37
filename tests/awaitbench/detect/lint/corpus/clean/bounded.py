"""True negatives for AWB105: fan-out bounded by a semaphore or by a fixed, small collection."""

import asyncio

import anyio
from openai import AsyncOpenAI

client = AsyncOpenAI(timeout=20)
limit = asyncio.Semaphore(10)
PARTS = ("summary", "keywords", "sentiment")


async def limited(chunk: str) -> object:
    async with limit:
        return await client.chat.completions.create(model="m", messages=[{"content": chunk}])


async def acquired(chunk: str) -> object:
    await limit.acquire()
    try:
        return await client.embeddings.create(model="e", input=chunk)
    finally:
        limit.release()


async def gather_limited(chunks: list[str]) -> list:
    return await asyncio.gather(*(limited(c) for c in chunks))


async def gather_acquired(chunks: list[str]) -> list:
    return await asyncio.gather(*(acquired(c) for c in chunks))


async def fixed_parts(doc: str) -> list:
    return await asyncio.gather(*(client.chat.completions.create(model="m", messages=[{"content": p + doc}]) for p in PARTS))


async def literal_tuple(doc: str) -> list:
    return await asyncio.gather(*(limited(p) for p in ("a", "b")))


async def small_range() -> list:
    return await asyncio.gather(*(limited(str(i)) for i in range(3)))


async def first_five(chunks: list[str]) -> list:
    return await asyncio.gather(*(limited(c) for c in chunks[:5]))


async def semaphore_in_expression(chunks: list[str]) -> list:
    sem = asyncio.Semaphore(4)

    async def guarded(c: str) -> object:
        async with sem:
            return await client.models.list()

    return await asyncio.gather(*(guarded(c) for c in chunks))


async def limiter_in_task_group(chunks: list[str]) -> None:
    limiter = anyio.CapacityLimiter(5)

    async def run(c: str) -> None:
        async with limiter:
            await client.models.list()

    async with anyio.create_task_group() as tg:
        for chunk in chunks:
            tg.start_soon(run, chunk)


async def not_upstream(paths: list[str]) -> list:
    loop = asyncio.get_running_loop()
    return await asyncio.gather(*(loop.run_in_executor(None, len, p) for p in paths))
