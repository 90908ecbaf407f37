"""AWB110 db_session_held — a pooled database session or connection stays checked out across an awaited
LLM/HTTP call, so the pool, not the upstream, caps how many requests make progress (docs/lint.md, design
notes: what is held, from when, until when)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from awaitbench.detect.lint.callgraph import call_label
from awaitbench.detect.lint.index import FunctionInfo
from awaitbench.detect.lint.rules.base import Context, Report, Rule
from awaitbench.detect.lint.values import ClientRef, find_binding

__all__ = ["RULE"]

_RELEASES = frozenset({"commit", "rollback", "close"})
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


@dataclass(frozen=True)
class _Held:
    """A pooled database object bound to `name`: its kind, where it comes from, the statements it lives
    over, and whether its lifetime (a block, a dependency) outlasts every statement there."""

    name: str
    kind: str  # "session" or "connection"
    origin: str
    body: list[ast.stmt]
    scoped: bool
    entered: bool
    until: str


def _walk(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every node of `body` in source order, not entering nested functions or classes."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _NESTED):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _at(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def _pooled(value: object) -> str:
    if isinstance(value, ClientRef) and not value.path:
        return value.info.spec.pooled
    return ""


def _parameters(info: FunctionInfo, ctx: Context) -> Iterator[_Held]:
    node = info.node
    if isinstance(node, ast.Lambda):
        return
    args = node.args
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
        binding = find_binding(arg.arg, info.scope, None)
        kind = _pooled(ctx.resolver.binding(binding)) if binding is not None else ""
        if kind:
            depends = ctx.resolver.dependency(info, arg)
            injected = depends is not None
            origin = f"`{ast.unparse(depends)}`" if depends is not None else f"the parameter `{arg.arg}`"
            until = "the route returns and the dependency ends" if injected else "its next use"
            yield _Held(arg.arg, kind, origin, node.body, scoped=injected, entered=injected, until=until)


def _blocks(info: FunctionInfo, ctx: Context) -> Iterator[_Held]:
    node = info.node
    if isinstance(node, ast.Lambda):
        return
    for sub in _walk(node.body):
        if not isinstance(sub, ast.AsyncWith):
            continue
        for item in sub.items:
            if not isinstance(item.optional_vars, ast.Name):
                continue
            kind = _pooled(ctx.resolver.expr(item.context_expr, info.scope))
            if kind:
                origin = f"`async with {ast.unparse(item.context_expr)}` (line {sub.lineno})"
                name = item.optional_vars.id
                yield _Held(name, kind, origin, sub.body, scoped=True, entered=True, until="the block ends")


def _attributes(info: FunctionInfo, ctx: Context) -> Iterator[_Held]:
    """`self.db` in a method: a session the object was built with, held from its first query to its next
    use (the object's lifetime is not known here)."""
    node = info.node
    if isinstance(node, ast.Lambda) or info.klass is None or not node.args.args:
        return
    me, seen = node.args.args[0].arg, set()
    for sub in _walk(node.body):
        if not (isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == me):
            continue
        text = f"{me}.{sub.attr}"
        if text in seen:
            continue
        seen.add(text)
        kind = _pooled(ctx.resolver.expr(sub, info.scope))
        if kind:
            origin = f"the `{info.klass.name}` it was built with"
            yield _Held(text, kind, origin, node.body, scoped=False, entered=False, until="its next use")


def _is(node: ast.AST, name: str) -> bool:
    """`node` is the held name (`db`) or attribute (`self.db`)."""
    if isinstance(node, ast.Name):
        return node.id == name
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and f"{node.value.id}.{node.attr}" == name
    )


def _uses(held: _Held) -> tuple[list[ast.AST], list[ast.AST], list[ast.AST]]:
    """The loads of the name, its queries (an awaited method call on it, or it handed to an awaited call:
    an async session queries only when awaited) and its releases."""
    loads: list[ast.AST] = []
    queries: list[ast.AST] = []
    releases: list[ast.AST] = []
    awaited = {id(node.value) for node in _walk(held.body) if isinstance(node, ast.Await)}
    for node in _walk(held.body):
        if (
            isinstance(node, ast.Name | ast.Attribute)
            and isinstance(node.ctx, ast.Load)
            and _is(node, held.name)
        ):
            loads.append(node)
        if not isinstance(node, ast.Call) or id(node) not in awaited:
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and _is(func.value, held.name):
            (releases if func.attr in _RELEASES else queries).append(node)
        elif any(_is(a, held.name) for a in [*node.args, *(k.value for k in node.keywords)]):
            queries.append(node)
    return loads, queries, releases


def _checked_out(
    held: _Held, queries: list[ast.AST], releases: list[ast.AST], at: tuple[int, int]
) -> ast.AST | None:
    """What holds the connection at `at`: the block itself for a connection, else the last query before
    `at` with no release after it."""
    if held.kind == "connection" and held.entered:
        return held.body[0] if held.body else None
    before = [q for q in queries if _at(q) < at]
    if not before:
        return None
    last = max(before, key=_at)
    return None if any(_at(last) < _at(r) < at for r in releases) else last


def _upstream_awaits(held: _Held, ctx: Context) -> Iterator[tuple[ast.Await, ast.Call]]:
    for node in _walk(held.body):
        if not isinstance(node, ast.Await) or not isinstance(node.value, ast.Call):
            continue
        if ctx.graph.upstream_call(node.value, ctx.scope) is not None:
            yield node, node.value


def _report(held: _Held, ctx: Context) -> Report | None:
    loads, queries, releases = _uses(held)
    if held.kind == "session" and not queries:
        return None
    for awaited, call in _upstream_awaits(held, ctx):
        at = _at(awaited)
        holder = _checked_out(held, queries, releases, at)
        if holder is None:
            continue
        if not held.scoped and not any(_at(load) > at for load in loads):
            continue
        since = (
            f"checked out by `{call_label(holder)}` (line {_at(holder)[0]})"
            if isinstance(holder, ast.Call)
            else "checked out for the whole block"
        )
        return Report(
            awaited,
            f"database {held.kind} `{held.name}` from {held.origin} is held across `await "
            f"{call_label(call)}`: its pooled connection, {since}, stays idle until {held.until}",
        )
    return None


def check(node: ast.AST, ctx: Context) -> Iterator[Report]:
    info = ctx.module.functions.get(node)
    if info is None or not info.is_async or ctx.graph.is_startup(info):
        return
    saved = ctx.scope
    ctx.scope = info.scope
    try:
        for held in [*_parameters(info, ctx), *_attributes(info, ctx), *_blocks(info, ctx)]:
            report = _report(held, ctx)
            if report is not None:
                yield report
    finally:
        ctx.scope = saved


RULE = Rule(
    code="AWB110",
    pitfall="db_session_held",
    name="db-session-held-across-upstream-call",
    summary="A pooled database session or connection stays checked out across an awaited LLM/HTTP call.",
    fix="Read, release the session (end its block, or commit), call the LLM holding no connection, then "
    "write in a short new session (`async with SessionLocal.begin() as db:`).",
    why="every request holds a connection for the whole upstream call: the pool caps throughput at "
    "pool size / (LLM latency), and requests beyond it wait and time out.",
    severity="high",
    node_types=(ast.AsyncFunctionDef,),
    check=check,
)
