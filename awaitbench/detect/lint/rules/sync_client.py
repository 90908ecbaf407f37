"""AWB101 sync_client — a sync LLM/HTTP client call inside `async def`, directly or through helpers."""

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
