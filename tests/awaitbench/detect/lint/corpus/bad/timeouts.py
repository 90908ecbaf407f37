"""True positives for AWB106: no deadline, reported where it belongs (the constructor, or the call when
the code sets deadlines per call or the SDK takes them per call)."""

import asyncio
import contextlib
import functools

import aiohttp
import anthropic
import google.generativeai as genai
import httpx
import litellm
import openai
import requests
from fastapi import Depends, FastAPI, Request
from google import genai as google_genai
from langchain_openai import ChatOpenAI
from openai import AsyncOpenAI, OpenAI

client = AsyncOpenAI()  # expect: AWB106
forever = httpx.AsyncClient(timeout=None)  # expect: AWB106
blocking = OpenAI()  # expect: AWB106
chat_model = ChatOpenAI(model="m")  # expect: AWB106
gemini = google_genai.Client()  # expect: AWB106
per_call = AsyncOpenAI()
model = genai.GenerativeModel("gemini")


async def ask(prompt: str) -> str:
    reply = await client.chat.completions.create(model="m", messages=[{"content": prompt}])
    return reply.choices[0].message.content


async def no_limit(url: str) -> bytes:
    response = await forever.get(url)
    return response.content


def sync_route() -> None:
    blocking.models.list()  # a `def` route's thread waits the SDK's 600 s


class Service:
    def __init__(self) -> None:
        self.claude = anthropic.AsyncAnthropic()  # expect: AWB106

    async def run(self) -> None:
        await self.claude.messages.create(model="c", max_tokens=1, messages=[])


async def session_calls() -> None:
    session = aiohttp.ClientSession()  # expect: AWB106
    async with session.get("http://x") as response:
        await response.read()


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.llm = AsyncOpenAI()  # expect: AWB106
    yield


app = FastAPI(lifespan=lifespan)


@functools.cache
def get_llm() -> AsyncOpenAI:
    return AsyncOpenAI()  # expect: AWB106


@app.post("/state")
async def from_state(request: Request) -> None:
    await request.app.state.llm.models.list()


@app.post("/dependency")
async def from_dependency(llm: AsyncOpenAI = Depends(get_llm)) -> None:
    await llm.models.list()


async def bounded() -> None:
    async with asyncio.timeout(5):
        await per_call.models.list()


async def unbounded() -> None:
    await per_call.models.list()  # expect: AWB106


def fetch(url: str) -> bytes:
    return requests.get(url).content  # expect: AWB106


async def complete(prompt: str) -> object:
    return await litellm.acompletion(model="m", messages=[{"content": prompt}])  # expect: AWB106


def generate(prompt: str) -> str:
    return model.generate_content(prompt).text  # expect: AWB106


async def pre_1_0_module_api(prompt: str) -> object:
    return await openai.ChatCompletion.acreate(model="m", messages=[])  # expect: AWB106
