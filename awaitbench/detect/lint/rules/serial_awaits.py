"""AWB104 serial_awaits — independent upstream calls awaited one after another."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from awaitbench.detect.lint.callgraph import body_nodes, call_label
from awaitbench.detect.lint.index import FunctionInfo
from awaitbench.detect.lint.known import HTTP_READ_VERBS
from awaitbench.detect.lint.rules.base import Context, Report, Rule
from awaitbench.detect.lint.values import FuncRef

__all__ = ["RULE"]

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_ESCAPES = (ast.Break, ast.Continue, ast.Return, ast.Raise, ast.Try, ast.While)


def _independent_call(call: ast.Call, ctx: Context) -> bool:
    found = ctx.resolver.network_call(call, ctx.scope)
    if found is not None:
        family = found.ref.info.spec.family
        upstream = family in ("llm", "framework") or (family == "http" and found.verb in HTTP_READ_VERBS)
        return found.mode == "async" and upstream
    callee = ctx.resolver.expr(call.func, ctx.scope)
    if isinstance(callee, FuncRef):
        function = callee.function
        if not function.is_async or _changes_state(function):
            return False  # a method that updates `self` feeds the next call through it
        return ctx.graph.network_chain(function, reads_only=True) is not None
    return ctx.graph.upstream_call(call, ctx.scope) is not None


_MUTATORS = frozenset({"append", "extend", "update", "add", "insert", "setdefault", "pop", "remove", "clear"})


def _changes_state(function: FunctionInfo) -> bool:
    """A method that assigns to, or mutates, an attribute of `self`."""
    if function.klass is None or isinstance(function.node, ast.Lambda) or not function.node.args.args:
        return False
    me = function.node.args.args[0].arg
    for node in body_nodes(function):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Attribute) and _rooted_at(t, me) for t in targets):
                return True
        func = node.func if isinstance(node, ast.Call) else None
        if (
            isinstance(func, ast.Attribute)
            and func.attr in _MUTATORS
            and _rooted_at(func.value, me, deep=True)
        ):
            return True
    return False


def _rooted_at(node: ast.expr, name: str, *, deep: bool = False) -> bool:
    """`self.x`, `self.x[k]` (and with `deep`, only such a path: `self.items.append`, not `self.append`)."""
    if deep and not isinstance(node, ast.Attribute | ast.Subscript):
        return False
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return isinstance(node, ast.Name) and node.id == name


def _names(node: ast.AST) -> set[str]:
    return {sub.id for sub in ast.walk(node) if isinstance(sub, ast.Name)}


def _step(stmt: ast.stmt, ctx: Context) -> tuple[ast.Call, set[str]] | None:
    """`await CALL`, `x = await CALL` or `x: T = await CALL`: the call and the names it binds."""
    targets: set[str] = set()
    if isinstance(stmt, ast.Expr):
        value = stmt.value
    elif isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name | ast.Tuple) for t in stmt.targets):
        value = stmt.value
        targets = set().union(*(_names(t) for t in stmt.targets))
    elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
        value, targets = stmt.value, {stmt.target.id}
    else:
        return None
    if not isinstance(value, ast.Await) or not isinstance(value.value, ast.Call):
        return None
    return (value.value, targets) if _independent_call(value.value, ctx) else None


def _runs(stmts: list[ast.stmt], ctx: Context) -> Iterator[list[ast.Call]]:
    run: list[ast.Call] = []
    bound: set[str] = set()
    for stmt in [*stmts, None]:
        step = None if stmt is None else _step(stmt, ctx)
        if step is not None and run and not (_names(step[0]) & bound) and not (step[1] & bound):
            run.append(step[0])
            bound |= step[1]
            continue
        if len(run) >= 2:
            yield run
        run, bound = ([step[0]], set(step[1])) if step is not None else ([], set())


def _statement_runs(node: ast.AST, ctx: Context) -> Iterator[Report]:
    info = ctx.module.functions.get(node)
    if info is None or not info.is_async:
        return
    saved = ctx.scope
    ctx.scope = info.scope
    try:
        blocks = [info.node.body] + [
            getattr(sub, field)
            for sub in body_nodes(info)
            if isinstance(sub, ast.stmt | ast.excepthandler)
            for field in ("body", "orelse", "finalbody")
            if isinstance(getattr(sub, field, None), list) and not isinstance(sub, _DEFINITIONS)
        ]
        for block in blocks:
            for run in _runs(block, ctx):
                lines = ", ".join(str(call.lineno) for call in run)
                yield Report(
                    run[0],
                    f"{len(run)} independent awaits in a row (lines {lines}) wait for each other: "
                    f"`{call_label(run[0])}`, ...",
                )
    finally:
        ctx.scope = saved


def _comprehension(node: ast.AST, ctx: Context) -> Iterator[Report]:
    if not ctx.in_async or any(gen.is_async for gen in node.generators):  # type: ignore[attr-defined]
        return
    elements = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]  # type: ignore[attr-defined]
    for element in elements:
        for sub in ast.walk(element):
            if (
                isinstance(sub, ast.Await)
                and isinstance(sub.value, ast.Call)
                and _independent_call(sub.value, ctx)
            ):
                yield Report(
                    sub,
                    f"`await {call_label(sub.value)}` inside a comprehension runs the calls one at a time",
                )
                return


def _loop(node: ast.AST, ctx: Context) -> Iterator[Report]:
    if not isinstance(node, ast.For) or not ctx.in_async:
        return
    inner = [sub for stmt in node.body for sub in ast.walk(stmt)]
    awaits = [sub for sub in inner if isinstance(sub, ast.Await)]
    if len(awaits) != 1 or any(isinstance(sub, _ESCAPES) for sub in inner):
        return
    awaited = awaits[0].value
    if not isinstance(awaited, ast.Call) or not _independent_call(awaited, ctx):
        return
    assigned = {
        sub.id for sub in inner if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store)
    } - _names(node.target)
    if _names(awaited) & assigned:
        return
    yield Report(
        awaits[0],
        f"`await {call_label(awaited)}` in a for loop runs the calls one at a time, though no iteration "
        "uses another's result",
    )


def check(node: ast.AST, ctx: Context) -> Iterator[Report]:
    if isinstance(node, ast.AsyncFunctionDef):
        yield from _statement_runs(node, ctx)
    elif isinstance(node, _COMPREHENSIONS):
        yield from _comprehension(node, ctx)
    else:
        yield from _loop(node, ctx)


RULE = Rule(
    code="AWB104",
    pitfall="serial_awaits",
    name="serial-independent-awaits",
    summary="Independent upstream calls are awaited one after another.",
    fix="Start them together: `await asyncio.gather(a(), b())` or tasks of an `asyncio.TaskGroup`.",
    why="the user waits for the sum of the latencies instead of the slowest one.",
    severity="medium",
    node_types=(ast.AsyncFunctionDef, *_COMPREHENSIONS, ast.For),
    check=check,
)
