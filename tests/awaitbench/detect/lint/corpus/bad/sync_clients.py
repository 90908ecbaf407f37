"""True positives for AWB101: sync clients in async code, in varied spellings."""

import anthropic
import httpx
import openai as oa
import requests
from fastapi import FastAPI
from openai import OpenAI as O

app = FastAPI()
client = O(timeout=30)
claude = anthropic.Anthropic(timeout=30)
http = httpx.Client()


@app.post("/ask")
async def ask(question: str) -> str:
    reply = client.chat.completions.create(model="m", messages=[])  # expect: AWB101
    return reply.choices[0].message.content


async def via_module_alias() -> None:
    oa.OpenAI(timeout=5).embeddings.create(model="e", input="x")  # expect: AWB101
    oa.chat.completions.create(model="m", messages=[])  # expect: AWB101
    oa.File.list()  # expect: AWB101


async def claude_call() -> None:
    claude.messages.create(model="c", max_tokens=10, messages=[])  # expect: AWB101


async def plain_http(url: str) -> bytes:
    requests.get(url, timeout=5)  # expect: AWB101
    return http.get(url).content  # expect: AWB101


def summarise(text: str) -> str:
    return requests.post("http://x/summarise", json={"text": text}, timeout=5).text


def outer_helper(text: str) -> str:
    return summarise(text)


@app.get("/sum")
async def summary(text: str) -> str:
    return outer_helper(text)  # expect: AWB101


class Assistant:
    def __init__(self) -> None:
        self.client = O(timeout=30)

    def _complete(self, prompt: str) -> str:
        return self.client.chat.completions.create(model="m", messages=[{"content": prompt}])

    async def answer(self, prompt: str) -> str:
        return self._complete(prompt)  # expect: AWB101

    async def direct(self, prompt: str) -> None:
        self.client.responses.create(model="m", input=prompt)  # expect: AWB101


def make_client() -> O:
    return O(timeout=10)


async def factory_client() -> None:
    make_client().chat.completions.create(model="m", messages=[])  # expect: AWB101


async def nested_function() -> None:
    def inner() -> None:
        requests.get("http://x", timeout=1)

    inner()  # expect: AWB101


async def annotated(sync_client: oa.OpenAI) -> None:
    sync_client.models.list()  # expect: AWB101
