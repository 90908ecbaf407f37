"""AWB101 sync_client — a sync LLM/HTTP client call inside `async def`, directly or through helpers.

Bad::

    client = OpenAI()

    @app.post("/ask")
    async def ask(q: Question):
        return client.chat.completions.create(model=M, messages=q.messages)  # AWB101

    def summarise(text):                     # a plain helper...
        return requests.post(URL, json={"text": text}).json()

    @app.post("/sum")
    async def summary(text: str):
        return summarise(text)               # AWB101: summary -> summarise -> requests.post

Good::

    client = AsyncOpenAI(timeout=30)

    @app.post("/ask")
    async def ask(q: Question):
        return await client.chat.completions.create(model=M, messages=q.messages)

    @app.post("/sum")
    async def summary(text: str):
        return await asyncio.to_thread(summarise, text)   # or a plain `def` route

Recognised: the LLM, framework and HTTP entries of `ecosystem.CLIENTS` and `ecosystem.CALLS` (SDK
clients, LangChain/LlamaIndex objects, boto3, supabase, `requests.*`, `urllib.request.urlopen`, ...)
wherever the client comes from (a module global or container, `self.client`, `app.state`, a factory, a
dependency, a parameter every caller fills, an annotation). ruff's ASYNC210/212 report the direct
`requests`/`httpx`/`urllib` calls; this rule adds the SDK clients and the calls reached through helpers.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from awaitbench.detect.lint.rules._blocking import blocking_reports
from awaitbench.detect.lint.rules.base import Context, Report, Rule

__all__ = ["RULE"]

PITFALL = "sync_client"


def check(node: ast.AST, ctx: Context) -> Iterator[Report]:
    return blocking_reports(node, ctx, PITFALL, "sync client call")


RULE = Rule(
    code="AWB101",
    pitfall=PITFALL,
    name="sync-client-in-async",
    summary="A sync LLM/HTTP client call runs on the event loop (directly or through same-package helpers).",
    fix="Use the async client (AsyncOpenAI, httpx.AsyncClient, ...) and await it, or run the sync call "
    "with `await asyncio.to_thread(...)`.",
    why="one blocking call freezes every request in the process: throughput stays at 1 / latency.",
    severity="high",
    node_types=(ast.Call,),
    check=check,
)
