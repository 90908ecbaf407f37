"""True negatives seen in real services: async twins used as intended, start-up work, websocket sessions,
cached helpers, explicit deadlines, command loops, stateful sequences, test functions, a package installed
when missing, import-time calls and the module's command-line entry point."""

import asyncio
import contextlib
import functools
import importlib.util
import json
import subprocess
import sys
import time

import psycopg2
import redis.asyncio as aioredis
import requests
from fastapi import FastAPI, WebSocket
from google import genai
from langchain_openai import ChatOpenAI
from motor.motor_asyncio import AsyncIOMotorClient
from openai import AsyncOpenAI
from sqlalchemy.ext.asyncio import AsyncSession

gemini = genai.Client(http_options={"timeout": 20_000})
llm = AsyncOpenAI(timeout=180)  # an explicit deadline, however long, is the code's decision
cache = aioredis.Redis()
mongo = AsyncIOMotorClient("mongodb://db")
PRICES = requests.get("http://127.0.0.1:9000/prices").json()  # import time: no request waits


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.db = psycopg2.connect("dbname=app")  # start-up: no request is waiting yet
    yield


app = FastAPI(lifespan=lifespan)


@functools.lru_cache
def settings() -> dict[str, str]:
    with open("settings.json") as handle:  # read once per process
        return json.load(handle)


@app.post("/twins")
async def async_twins(q: str, session: AsyncSession) -> object:
    await gemini.aio.models.generate_content(model="m", contents=q)
    await cache.get(q)
    await mongo.app.users.find_one({"q": q})
    await session.execute("select 1")
    return settings()


@app.post("/model")
async def model_per_request(q: str) -> object:
    model = ChatOpenAI(model="m", timeout=20)  # LangChain shares its HTTP client between instances
    return await model.ainvoke(q)


@app.websocket("/live")
async def live(socket: WebSocket) -> None:
    client = AsyncOpenAI(timeout=20)  # one client for a whole session, not per request
    async for text in socket.iter_text():
        await client.moderations.create(input=text)


class Report:
    def __init__(self) -> None:
        self.sections: list[object] = []

    async def section(self, topic: str) -> None:
        reply = await llm.chat.completions.create(model="m", messages=[{"content": topic}])
        self.sections.append(reply)  # the next section reads what this one wrote

    async def write(self, topics: list[str]) -> None:
        for topic in topics:
            await self.section(topic)


async def console(agent: AsyncOpenAI) -> None:
    while True:
        try:
            command = await asyncio.to_thread(input, "> ")
            if command == "exit":
                break
            print(await agent.models.list())
        except KeyboardInterrupt:
            continue


async def test_slow_path() -> None:
    time.sleep(0.1)  # a test function: not a request path


def ensure_package(name: str) -> None:
    if importlib.util.find_spec(name) is None:  # set-up: runs once, when the package is missing
        subprocess.check_call([sys.executable, "-m", "pip", "install", name])


@app.post("/render")
async def render(text: str) -> str:
    ensure_package("markdown")
    return text


async def main() -> None:
    with open("questions.json") as handle:  # the command-line entry point, never under a request
        questions = json.load(handle)
    await Report().write(questions)


def refresh_questions() -> None:
    with open("questions.json", "wb") as handle:
        handle.write(requests.get("http://127.0.0.1:9000/questions").content)


if __name__ == "__main__":
    refresh_questions()
    asyncio.run(main())
