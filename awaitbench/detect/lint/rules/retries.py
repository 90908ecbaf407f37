"""AWB107 retries — stacked retries (an app retry loop or decorator around an SDK call that already
retries) and retries with no pause between attempts."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from awaitbench.detect.lint.callgraph import body_nodes, call_label
from awaitbench.detect.lint.index import Scope
from awaitbench.detect.lint.known import RETRY_DECORATORS, SLEEPS
from awaitbench.detect.lint.rules.base import Context, Report, Rule
from awaitbench.detect.lint.values import External

__all__ = ["RULE"]

_DELAY_KEYWORD = re.compile(r"delay|wait|backoff|sleep|interval|pause", re.I)
_PAUSE_NAME = re.compile(r"sleep|backoff|wait", re.I)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _is_zero(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return node.value == 0 and not isinstance(node.value, bool)
    if isinstance(node, ast.Lambda):
        return _is_zero(node.body)
    if isinstance(node, ast.Call):
        name = call_label(node).rpartition(".")[2]
        return name == "wait_none" or (name == "wait_fixed" and bool(node.args) and _is_zero(node.args[0]))
    return False


def _upstream_calls(nodes: list[ast.AST], ctx: Context, scope: Scope) -> Iterator[ast.Call]:
    """Upstream calls: a client call (blocking or awaited), a project coroutine awaiting one, or a plain
    project function that makes a blocking one (`summarise(text)` calling Gemini)."""
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        if ctx.graph.upstream_call(node, scope) is not None or ctx.resolver.network_call(node, scope):
            yield node
            continue
        callee = ctx.graph.sync_callee(node, scope)
        if callee is not None and ctx.graph.blocking_chain(callee, "sync_client") is not None:
            yield node


def _stacked(calls: list[ast.Call], ctx: Context, scope: Scope) -> str | None:
    for call in calls:
        found = ctx.resolver.network_call(call, scope)
        if found is None:
            continue
        info = found.ref.info
        if not info.origin or info.spec.retries == 0 or info.retries not in ("default", "set"):
            continue
        spec = info.spec
        count = (
            f"{spec.retries_text or f'{spec.retries} times'} by default"
            if info.retries == "default"
            else "itself"
        )
        short = spec.name.rpartition(".")[2]
        built = f"{short} built at {info.site}" + (
            " without max_retries=0" if spec.retries_text == "" else ""
        )
        return f"`{call_label(call)}` already retries {count} ({built})"
    return None


def _pauses(nodes: list[ast.AST], ctx: Context) -> bool:
    for node in nodes:
        if isinstance(node, ast.Call):
            value = ctx.resolver.expr(node.func, ctx.scope)
            if isinstance(value, External) and value.name in SLEEPS:
                return True
            if _PAUSE_NAME.search(call_label(node).rpartition(".")[2]):
                return True
    return False


def _retry_loop(node: ast.For | ast.While, ctx: Context) -> Iterator[Report]:
    if isinstance(node, ast.For):
        iterable = node.iter
        if not (
            isinstance(iterable, ast.Call) and call_label(iterable) in ("range", "itertools.count", "count")
        ):
            return
    inner = [sub for stmt in node.body for sub in ast.walk(stmt)]
    tries = [sub for sub in inner if isinstance(sub, ast.Try) and sub.handlers]
    guarded = [sub for t in tries for stmt in t.body for sub in ast.walk(stmt)]
    calls = list(_upstream_calls(guarded, ctx, ctx.scope))
    if not calls or not _exits_on_success(node, tries, calls[0]):
        return  # no way out after the call succeeds: independent calls or a command loop, not a retry
    if _rebuilt_each_time(node, tries, calls[0]):
        return  # each attempt sends what the loop computed anew: a recovery, not the same call again
    problems = []
    stacked = _stacked(calls, ctx, ctx.scope)
    if stacked:
        problems.append(f"stacked retries: {stacked}")
    if not _pauses(inner, ctx):
        problems.append("no pause between attempts (a retry storm when the upstream sheds load)")
    if problems:
        yield Report(node, f"retry loop around `{call_label(calls[0])}`: " + "; ".join(problems))


def _position(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def _end(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "end_lineno", 0) or 0, getattr(node, "end_col_offset", 0) or 0)


def _exits_on_success(loop: ast.For | ast.While, tries: list[ast.Try], call: ast.Call) -> bool:
    """A `return`/`break` at or after the upstream call, outside the except handlers: the loop ends when
    the call succeeds (`try: return await call()`), as a retry loop does."""
    handled = {id(sub) for t in tries for h in t.handlers for sub in ast.walk(h)}
    start = _position(call)
    return any(
        isinstance(sub, ast.Return | ast.Break) and id(sub) not in handled and _end(sub) >= start
        for stmt in loop.body
        for sub in ast.walk(stmt)
    )


def _rebuilt_each_time(loop: ast.For | ast.While, tries: list[ast.Try], call: ast.Call) -> bool:
    """The call's arguments read a name the loop body assigns before its `try` (`arguments =
    state.next_arguments(); try: create(**arguments)`)."""
    guarded = {id(t) for t in tries}
    assigned = {
        target.id
        for stmt in loop.body
        if id(stmt) not in guarded and isinstance(stmt, ast.Assign | ast.AnnAssign)
        for target in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
        if isinstance(target, ast.Name)
    }
    arguments = [*call.args, *(kw.value for kw in call.keywords)]
    return any(isinstance(n, ast.Name) and n.id in assigned for arg in arguments for n in ast.walk(arg))


def _decorated(node: ast.AST, ctx: Context) -> Iterator[Report]:
    info = ctx.module.functions.get(node)
    if info is None or isinstance(info.node, ast.Lambda):
        return
    for decorator in info.node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        value = ctx.resolver.expr(target, ctx.scope)
        if not isinstance(value, External) or value.name not in RETRY_DECORATORS:
            continue
        calls = list(_upstream_calls(list(body_nodes(info)), ctx, info.scope))
        if not calls:
            return
        problems = []
        stacked = _stacked(calls, ctx, info.scope)
        if stacked:
            problems.append(f"stacked retries: {stacked}")
        keywords = {kw.arg for kw in decorator.keywords} if isinstance(decorator, ast.Call) else set()
        if value.name == "tenacity.retry" and "wait" not in keywords:
            problems.append("tenacity retries at once by default (no wait=)")
        if problems:
            yield Report(decorator, f"`{value.name}` on `{info.qualname}`: " + "; ".join(problems))
        return


def _zero_delay_policy(node: ast.Call) -> Iterator[Report]:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if "retr" not in name.lower() or not node.keywords:
        return
    for kw in node.keywords:
        if kw.arg and _DELAY_KEYWORD.search(kw.arg) and _is_zero(kw.value):
            yield Report(node, f"retry policy `{name}(...)` waits 0 s between attempts (`{kw.arg}=...`)")
            return


def check(node: ast.AST, ctx: Context) -> Iterator[Report]:
    if isinstance(node, ast.For | ast.While):
        yield from _retry_loop(node, ctx)
    elif isinstance(node, _FUNCTIONS):
        yield from _decorated(node, ctx)
    elif isinstance(node, ast.Call):
        yield from _zero_delay_policy(node)


RULE = Rule(
    code="AWB107",
    pitfall="retries",
    name="retry-storm",
    summary="Retries stacked on an SDK that already retries, or retries with no pause between attempts.",
    fix="Keep one retry policy (set max_retries=0 on the SDK client if the app retries), retry only "
    "429/5xx/transport errors, and wait between attempts: Retry-After, else exponential backoff with jitter.",
    why="retries multiply the load on an upstream exactly when it is shedding load.",
    severity="medium",
    node_types=(ast.For, ast.While, ast.FunctionDef, ast.AsyncFunctionDef, ast.Call),
    check=check,
    in_scripts=True,
)
