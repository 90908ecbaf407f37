"""AWB106 timeouts — an upstream client or call with no deadline, or one of minutes, reported where the
deadline belongs: the client's constructor, or the call when the SDK takes deadlines per call."""

from __future__ import annotations

import ast
import math
from collections.abc import Iterator

from awaitbench.detect.lint.callgraph import call_label, has_deadline_keyword
from awaitbench.detect.lint.ecosystem import LONG_DEADLINE_S, ClientSpec, call_spec, short_name
from awaitbench.detect.lint.known import DEADLINE_CALLS, DEADLINE_CONTEXTS
from awaitbench.detect.lint.rules.base import Context, Report, Rule
from awaitbench.detect.lint.values import ClientInfo, External

__all__ = ["RULE"]

_STOP = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def under_deadline(ctx: Context) -> bool:
    """Inside `async with asyncio.timeout(...)` (or a peer) or an argument of `asyncio.wait_for(...)`."""
    for ancestor in reversed(ctx.ancestors):
        if isinstance(ancestor, _STOP):
            return False
        if isinstance(ancestor, ast.With | ast.AsyncWith):
            exprs = [item.context_expr for item in ancestor.items]
            names = DEADLINE_CONTEXTS
        elif isinstance(ancestor, ast.Call):
            exprs, names = [ancestor.func], DEADLINE_CALLS
        else:
            continue
        for expr in exprs:
            target = expr.func if isinstance(expr, ast.Call) else expr
            value = ctx.resolver.expr(target, ctx.scope)
            if isinstance(value, External) and value.name in names:
                return True
    return False


def _problem(info: ClientInfo) -> str | None:
    """What is wrong with a client's deadline, or None."""
    spec, keyword = info.spec, info.spec.deadline_keywords[0]
    if info.timeout == "none":
        return f"with `{keyword}=None`: no deadline at all"
    if info.timeout != "unset" or spec.timeout_s is None or spec.timeout_s <= LONG_DEADLINE_S:
        return None
    return f"without `{keyword}=` (the SDK then {_waits(spec.timeout_s)})"


def _waits(timeout_s: float) -> str:
    return "waits forever" if math.isinf(timeout_s) else f"waits up to {timeout_s:g} s"


def _short(spec: ClientSpec) -> str:
    return short_name(spec)


def _dropped_or_wrapped(ctx: Context) -> bool:
    """`AsyncOpenAI(...)` as a bare statement, or `AsyncOpenAI(...).with_options(timeout=5)`."""
    if not ctx.ancestors:
        return False
    parent = ctx.ancestors[-1]
    if isinstance(parent, ast.Expr):
        return True
    if isinstance(parent, ast.Attribute) and parent.attr == "with_options" and len(ctx.ancestors) > 1:
        outer = ctx.ancestors[-2]
        return isinstance(outer, ast.Call) and has_deadline_keyword(outer, ("timeout",))
    return False


def _constructor(call: ast.Call, ctx: Context) -> Iterator[Report]:
    info = ctx.resolver.construction(call, ctx.scope)
    if info is None or info.spec.deadline_at != "client":
        return
    problem = _problem(info)
    if problem is None or _dropped_or_wrapped(ctx):
        return
    if any(traced.has_deadline for traced in ctx.graph.traced_calls(info)):
        return  # the code sets deadlines per call: the calls without one are reported instead
    yield Report(
        call,
        f"`{_short(info.spec)}(...)` is built {problem}, and no call through it sets one: a hung upstream "
        "holds every request that uses it",
    )


def _unprotected_call(call: ast.Call, ctx: Context) -> Iterator[Report]:
    found = ctx.resolver.network_call(call, ctx.scope)
    if found is None:
        return
    info = found.ref.info
    if info.origin and info.spec.deadline_at == "client":
        problem = _problem(info)
        traced = ctx.graph.traced_calls(info) if problem else []
        mine = next((t for t in traced if t.call is call), None)
        if problem and mine is not None and not mine.has_deadline and any(t.has_deadline for t in traced):
            yield Report(
                call,
                f"`{call_label(call)}(...)` has no deadline, unlike other calls through the "
                f"{_short(info.spec)} built at {info.site} {problem}",
            )
        return
    if found.mode == "sync" and ctx.in_async:
        return  # AWB101's business: the async client it should use has its own deadline
    if info.spec.deadline_at == "call" or (info.timeout == "unset" and not info.origin and info.site):
        yield from _per_call(call, ctx, info.spec.deadline_keywords, info.spec.timeout_s)


def _per_call(
    call: ast.Call, ctx: Context, keywords: tuple[str, ...], timeout_s: float | None
) -> Iterator[Report]:
    if timeout_s is None or timeout_s <= LONG_DEADLINE_S or has_deadline_keyword(call, keywords):
        return
    if ctx.function is None or ctx.graph.is_startup(ctx.function):
        return  # import time, start-up or a program's entry point: no request waits for it
    if under_deadline(ctx):
        return
    yield Report(
        call,
        f"`{call_label(call)}(...)` has no deadline: it {_waits(timeout_s)} unless it passes "
        f"`{keywords[0]}=` (or runs under asyncio.timeout)",
    )


def _function_call(call: ast.Call, ctx: Context) -> Iterator[Report]:
    callee = ctx.resolver.expr(call.func, ctx.scope)
    if not isinstance(callee, External):
        return
    spec = call_spec(callee.name)
    if spec is None or spec.timeout_s is None:
        return
    if spec.kind in ("http", "llm") and ctx.in_async and not spec.is_async:
        return  # AWB101's business
    yield from _per_call(call, ctx, spec.deadline_keywords, spec.timeout_s)


def check(node: ast.AST, ctx: Context) -> Iterator[Report]:
    if not isinstance(node, ast.Call):
        return
    yield from _constructor(node, ctx)
    yield from _unprotected_call(node, ctx)
    yield from _function_call(node, ctx)


RULE = Rule(
    code="AWB106",
    pitfall="timeouts",
    name="no-deadline",
    summary="An upstream client or call has no deadline, or one of minutes.",
    fix="Set `timeout=` on the client (e.g. AsyncOpenAI(timeout=20)) or, where the SDK takes it per call, "
    "on the call; or wrap the call in `async with asyncio.timeout(...)` and answer 504 when it expires.",
    why="a hung upstream call holds its request for the client's default (10 minutes for the SDKs).",
    severity="medium",
    node_types=(ast.Call,),
    check=check,
)
