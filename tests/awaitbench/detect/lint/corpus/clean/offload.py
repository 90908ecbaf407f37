"""True negatives for AWB101/AWB102: blocking work moved off the loop, or in sync code."""

import asyncio
import functools
import time

import anyio.to_thread
import requests
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from openai import OpenAI

app = FastAPI()
client = OpenAI(timeout=20)


def parse(path: str) -> str:
    time.sleep(0.05)
    with open(path) as handle:
        return handle.read()


@app.post("/a")
async def to_thread(path: str) -> str:
    return await asyncio.to_thread(parse, path)


@app.post("/b")
async def executor(path: str) -> str:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(parse, path))


@app.post("/c")
async def threadpool(path: str) -> str:
    return await run_in_threadpool(parse, path)


@app.post("/d")
async def anyio_thread(path: str) -> str:
    return await anyio.to_thread.run_sync(parse, path)


@app.post("/e")
async def lambda_in_thread() -> object:
    return await asyncio.to_thread(lambda: client.chat.completions.create(model="m", messages=[]))


@app.post("/f")
def sync_route() -> object:
    parse("x")
    return client.chat.completions.create(model="m", messages=[])


def sync_helper() -> int:
    return requests.get("http://x", timeout=5).status_code


async def defines_but_does_not_call() -> object:
    def later() -> None:
        time.sleep(1)

    return later


async def cpu_only(values: list[int]) -> int:
    return sum(v * v for v in values) + int(time.monotonic())
