"""True negatives for AWB108: coroutines awaited, kept, or passed on; sync calls; runtime checks."""

import asyncio
import inspect

from fastapi import BackgroundTasks


async def record(answer: str) -> None:
    await asyncio.sleep(0)


async def agen():
    yield 1


def plain(answer: str) -> None:
    print(answer)


async def handler(answer: str, background: BackgroundTasks) -> None:
    await record(answer)
    task = asyncio.create_task(record(answer))
    tasks = [record(answer)]
    tasks.append(record(answer))
    await asyncio.gather(*tasks, task)
    background.add_task(record, answer)
    plain(answer)
    agen()


async def maybe(callback: object, value: str) -> None:
    if inspect.iscoroutinefunction(callback):
        await callback(value)
    else:
        callback(value)


def make_coroutine(answer: str):
    return record(answer)
