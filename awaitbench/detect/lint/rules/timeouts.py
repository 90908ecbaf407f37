"""AWB106 timeouts — an awaited upstream call with no deadline, on a client whose own timeout is minutes
(AsyncOpenAI/AsyncAnthropic: 600 s; aiohttp.ClientSession: 300 s) or none (`timeout=None`).

Bad::

    client = AsyncOpenAI()                                   # default timeout: 600 s

    @app.post("/ask")
    async def ask(q: Question):
        return await client.chat.completions.create(...)     # AWB106: a hang holds the request 10 min

Good (any one of these)::

    client = AsyncOpenAI(timeout=20)
    async with asyncio.timeout(5): reply = await client.chat.completions.create(...)
    reply = await asyncio.wait_for(client.chat.completions.create(...), 5)
    reply = await client.chat.completions.create(..., timeout=5)
    reply = await client.with_options(timeout=5).chat.completions.create(...)

Reported once, at the await (or `async with session.get(...)`), and only when the client's construction
was seen (`site` in the message): a client whose origin is unknown is not guessed at, and a client built
without `timeout=` whose calls all have a deadline is not reported at all (no double reporting).
httpx's default (5 s) is fine. Deadlines set by a caller in another function are not seen: that case is
a false positive, silence it with `# noqa: AWB106`. ruff's S113 covers `requests`/`httpx` calls only.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from awaitbench.detect.lint.callgraph import call_label
from awaitbench.detect.lint.known import DEADLINE_CONTEXTS
from awaitbench.detect.lint.rules.base import Context, Report, Rule
from awaitbench.detect.lint.values import ClientRef, External

__all__ = ["RULE"]

_STOP = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _under_deadline(ctx: Context) -> bool:
    for ancestor in reversed(ctx.ancestors):
        if isinstance(ancestor, _STOP):
            return False
        if isinstance(ancestor, ast.With | ast.AsyncWith):
            for item in ancestor.items:
                expr = item.context_expr
                target = expr.func if isinstance(expr, ast.Call) else expr
                value = ctx.resolver.expr(target, ctx.scope)
                if isinstance(value, External) and value.name in DEADLINE_CONTEXTS:
                    return True
    return False


def _no_timeout(ref: ClientRef) -> str | None:
    info = ref.info
    if info.site is None or not info.spec.is_async:
        return None
    short = info.spec.name.rpartition(".")[2]
    if info.timeout == "none":
        return f"{short} built at {info.site} with timeout=None (waits forever)"
    if info.timeout == "unset" and info.spec.default_timeout_s:
        return f"{short} built at {info.site} without timeout= (default {info.spec.default_timeout_s:g} s)"
    return None


def _report(call: ast.Call, ctx: Context, shown: str) -> Iterator[Report]:
    if any(kw.arg == "timeout" for kw in call.keywords):
        return
    ref = ctx.resolver.network_call(call, ctx.scope)
    client = None if ref is None else _no_timeout(ref)
    if client is None or _under_deadline(ctx):
        return
    yield Report(
        call,
        f"`{shown} {call_label(call)}(...)` has no deadline: the client is {client} and no "
        "asyncio.timeout/wait_for is in scope",
    )


def check(node: ast.AST, ctx: Context) -> Iterator[Report]:
    if not ctx.in_async:
        return
    if isinstance(node, ast.Await) and isinstance(node.value, ast.Call):
        yield from _report(node.value, ctx, "await")
    elif isinstance(node, ast.AsyncWith):
        for item in node.items:
            if isinstance(item.context_expr, ast.Call):
                yield from _report(item.context_expr, ctx, "async with")


RULE = Rule(
    code="AWB106",
    pitfall="timeouts",
    name="no-deadline",
    summary="An awaited upstream call has no deadline and its client's timeout is minutes or none.",
    fix="Set `timeout=` on the client (e.g. AsyncOpenAI(timeout=20)) or wrap the call in "
    "`async with asyncio.timeout(...)` and answer 504 when it expires.",
    why="a hung upstream call holds its request for the client's default (10 minutes for the SDKs).",
    node_types=(ast.Await, ast.AsyncWith),
    check=check,
)
