"""AWB108 forgotten_await — a coroutine is created and dropped: an `async def` of the package (or a known
async API) called as a bare statement, its result neither awaited, stored nor passed on."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from awaitbench.detect.lint.callgraph import call_label
from awaitbench.detect.lint.ecosystem import call_spec
from awaitbench.detect.lint.known import KNOWN_ASYNC_CALLS
from awaitbench.detect.lint.rules.base import Context, Report, Rule
from awaitbench.detect.lint.values import External, FuncRef, find_binding

__all__ = ["RULE"]


def _dropped_coroutine(call: ast.Call, ctx: Context) -> str | None:
    callee = ctx.resolver.expr(call.func, ctx.scope)
    if isinstance(callee, FuncRef):
        function = callee.function
        if function.is_async and not function.is_generator:
            return f"`async def {function.qualname}`"
        return None
    if isinstance(callee, External):
        spec = call_spec(callee.name)
        if callee.name in KNOWN_ASYNC_CALLS or (spec is not None and spec.is_async and spec.blocking):
            return f"`{callee.name}`"
    found = ctx.resolver.network_call(call, ctx.scope)
    if found is not None and found.mode == "async":
        return f"async client call `{call_label(call)}`"
    return None


_AWAITABLE_CHECKS = re.compile(r"iscoroutine|isawaitable|isasyncgen")


def _ambiguous(call: ast.Call, ctx: Context) -> bool:
    """A callee held in a variable (`f = self.send_str if ... else ...; f(msg)`), or a call in a branch
    that tests whether something is awaitable: the code already decides at run time."""
    if isinstance(call.func, ast.Name):
        binding = find_binding(call.func.id, ctx.scope, call.lineno)
        if binding is not None and binding.kind not in ("def", "import"):
            return True
    for ancestor in reversed(ctx.ancestors):
        if isinstance(ancestor, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return False
        if isinstance(ancestor, ast.If) and _AWAITABLE_CHECKS.search(ast.unparse(ancestor.test)):
            return True
    return False


def check(node: ast.AST, ctx: Context) -> Iterator[Report]:
    if not isinstance(node, ast.Expr) or not isinstance(node.value, ast.Call):
        return
    if _ambiguous(node.value, ctx):
        return
    what = _dropped_coroutine(node.value, ctx)
    if what is not None:
        yield Report(
            node.value,
            f"{what} is called without `await`: the coroutine is created and dropped, so it never runs",
        )


RULE = Rule(
    code="AWB108",
    pitfall="forgotten_await",
    name="forgotten-await",
    summary="A coroutine function is called as a statement without await: it never runs.",
    fix="Add `await`, or hand the coroutine to a task you keep a reference to (or to BackgroundTasks).",
    why="the work silently never happens; the only trace is a RuntimeWarning at garbage collection.",
    severity="high",
    node_types=(ast.Expr,),
    check=check,
    in_scripts=True,
)
