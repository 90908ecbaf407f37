"""True positives for AWB103: clients built per request."""

import aiohttp
import anthropic
import httpx
from fastapi import Depends, FastAPI
from openai import AsyncAzureOpenAI, AsyncOpenAI

app = FastAPI()


@app.post("/a")
async def build_openai() -> None:
    client = AsyncOpenAI(timeout=10)  # expect: AWB103
    await client.models.list()


@app.post("/b")
async def build_anthropic() -> None:
    client = anthropic.AsyncAnthropic(timeout=10)  # expect: AWB103
    await client.messages.create(model="c", max_tokens=1, messages=[])


@app.get("/c")
async def build_httpx() -> None:
    async with httpx.AsyncClient() as client:  # expect: AWB103
        await client.get("http://x")


@app.get("/d")
async def build_aiohttp() -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:  # expect: AWB103
        async with session.get("http://x") as response:
            await response.text()


def get_client() -> AsyncAzureOpenAI:
    return AsyncAzureOpenAI(azure_endpoint="https://x", api_version="v", timeout=10)


@app.post("/e")
async def with_dependency(client: AsyncAzureOpenAI = Depends(get_client)) -> None:  # expect: AWB103
    await client.chat.completions.create(model="m", messages=[])


def make_llm() -> AsyncOpenAI:
    return AsyncOpenAI(timeout=10)


async def ask_llm(prompt: str) -> str:
    llm = make_llm()
    reply = await llm.chat.completions.create(model="m", messages=[{"content": prompt}])
    return reply.choices[0].message.content


@app.post("/f")
async def through_helpers(prompt: str) -> str:
    return await ask_llm(prompt)  # expect: AWB103


async def endpoint() -> None:
    client = httpx.AsyncClient()  # expect: AWB103
    await client.get("http://x")


app.add_api_route("/g", endpoint)
