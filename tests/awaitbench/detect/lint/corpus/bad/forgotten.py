"""True positives for AWB108: coroutines created and dropped."""

import asyncio
from asyncio import sleep as nap

from openai import AsyncOpenAI

client = AsyncOpenAI(timeout=30)


async def record(answer: str) -> None:
    await asyncio.sleep(0)


class Store:
    async def save(self, item: str) -> None:
        await asyncio.sleep(0)

    async def handle(self, item: str) -> None:
        self.save(item)  # expect: AWB108


async def handler(answer: str) -> None:
    record(answer)  # expect: AWB108
    asyncio.sleep(1)  # expect: AWB108
    nap(1)  # expect: AWB108
    client.chat.completions.create(model="m", messages=[])  # expect: AWB108


def sync_caller() -> None:
    record("x")  # expect: AWB108
