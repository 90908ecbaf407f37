"""AWB105 fan_out — `asyncio.gather` (or a TaskGroup) over a collection of unbounded size, each element an
upstream call, with nothing bounding how many are in flight."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from awaitbench.detect.lint.callgraph import call_label
from awaitbench.detect.lint.index import Binding, Scope
from awaitbench.detect.lint.known import SEMAPHORES
from awaitbench.detect.lint.rules.base import Context, Report, Rule
from awaitbench.detect.lint.values import ExternalInstance, FuncRef, Resolver, find_binding

__all__ = ["RULE"]

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp)
_GATHERS = frozenset({"asyncio.gather", "asyncio.wait", "asyncio.as_completed"})
_TASK_METHODS = frozenset({"create_task", "start_soon", "ensure_future"})
_WRAPPERS = frozenset({"asyncio.create_task", "asyncio.ensure_future"})
_LIMITER_NAME = re.compile(r"sem|limit|throttl|slots|bulkhead", re.I)
_SIZE_PRESERVING = frozenset(
    {"enumerate", "zip", "reversed", "sorted", "list", "tuple", "set", "frozenset", "dict"}
)
_MAX_DEPTH = 6

Subst = dict[str, tuple[ast.expr, Scope]]


class _Sizer:
    """Is an iterable's size bounded by the code itself? (see the module docstring)"""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver

    def bounded(self, node: ast.expr, scope: Scope, subst: Subst | None = None, depth: int = 0) -> bool:
        if depth > _MAX_DEPTH:
            return False
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return not any(isinstance(e, ast.Starred) for e in node.elts)
        if isinstance(node, ast.Dict | ast.Constant):
            return True
        if isinstance(node, ast.Name):
            return self._name(node, scope, subst or {}, depth)
        if isinstance(node, _COMPREHENSIONS):
            return all(self.bounded(g.iter, scope, subst, depth + 1) for g in node.generators)
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            return isinstance(node.slice.upper, ast.Constant)
        if isinstance(node, ast.BinOp):
            return self.bounded(node.left, scope, subst, depth + 1) and self.bounded(
                node.right, scope, subst, depth + 1
            )
        if isinstance(node, ast.Call):
            return self._call(node, scope, subst, depth)
        return False

    def _name(self, node: ast.Name, scope: Scope, subst: Subst, depth: int) -> bool:
        if node.id in subst:
            argument, caller = subst[node.id]
            return self.bounded(argument, caller, None, depth + 1)
        binding = find_binding(node.id, scope, node.lineno)
        return binding is not None and self._binding(binding, depth)

    def _binding(self, binding: Binding, depth: int) -> bool:
        """A module constant (`PARTS = (...)`), possibly imported from another module of the package."""
        if binding.kind == "assign" and binding.index is None and binding.value is not None:
            return self.bounded(binding.value, binding.scope, None, depth + 1)
        if binding.kind == "import" and depth < _MAX_DEPTH:
            module_name, _, attr = binding.qualified.rpartition(".")
            module = self.resolver.project.find(binding.scope.module, module_name, binding.level)
            if module is not None and attr in module.scope.bindings:
                return self._binding(module.scope.bindings[attr][-1], depth + 1)
        return False

    def _call(self, node: ast.Call, scope: Scope, subst: Subst | None, depth: int) -> bool:
        func = node.func
        if isinstance(func, ast.Name) and func.id == "range":
            return all(self._constant_int(a, scope) for a in node.args)
        if isinstance(func, ast.Name) and func.id in _SIZE_PRESERVING and node.args:
            pick = any if func.id == "zip" else all
            return pick(self.bounded(a, scope, subst, depth + 1) for a in node.args)
        if isinstance(func, ast.Attribute) and func.attr in ("items", "keys", "values"):
            return self.bounded(func.value, scope, subst, depth + 1)
        callee = self.resolver.expr(func, scope)
        if not isinstance(callee, FuncRef) or not callee.function.returns:
            return False
        function = callee.function
        params = [a.arg for a in (*function.node.args.posonlyargs, *function.node.args.args)]
        if function.klass is not None and isinstance(func, ast.Attribute) and params:
            params = params[1:]  # a bound method: `self` is not an argument
        mapping: Subst = {p: (a, scope) for p, a in zip(params, node.args, strict=False)}
        mapping.update({kw.arg: (kw.value, scope) for kw in node.keywords if kw.arg})
        return all(self.bounded(r, function.scope, mapping, depth + 1) for r in function.returns)

    def _constant_int(self, node: ast.expr, scope: Scope) -> bool:
        if isinstance(node, ast.Constant):
            return isinstance(node.value, int)
        if isinstance(node, ast.Name):
            binding = find_binding(node.id, scope, node.lineno)
            return binding is not None and isinstance(binding.value, ast.Constant) and binding.index is None
        return False


def _is_limiter(node: ast.expr, ctx: Context, scope: Scope) -> bool:
    value = ctx.resolver.expr(node, scope)
    if isinstance(value, ExternalInstance):
        return value.name in SEMAPHORES
    last = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
    return value is None and bool(_LIMITER_NAME.search(last))


def _limited(element: ast.expr, ctx: Context) -> bool:
    """A semaphore referenced by the element, or used by the coroutine it calls."""
    for sub in ast.walk(element):
        if isinstance(sub, ast.Name | ast.Attribute) and _is_limiter(sub, ctx, ctx.scope):
            return True
    if isinstance(element, ast.Call):
        callee = ctx.resolver.expr(element.func, ctx.scope)
        if isinstance(callee, FuncRef):
            function = callee.function
            for sub in ast.walk(function.node):
                if isinstance(sub, ast.AsyncWith | ast.With):
                    guards = [item.context_expr for item in sub.items]
                elif (
                    isinstance(sub, ast.Call)
                    and isinstance(sub.func, ast.Attribute)
                    and sub.func.attr == "acquire"
                ):
                    guards = [sub.func.value]
                else:
                    continue
                if any(_is_limiter(guard, ctx, function.scope) for guard in guards):
                    return True
    return False


def _unwrap(element: ast.expr, ctx: Context) -> ast.expr:
    if isinstance(element, ast.Call) and element.args:
        callee = ctx.resolver.expr(element.func, ctx.scope)
        if getattr(callee, "name", None) in _WRAPPERS:
            return element.args[0]
    return element


def _fan(element: ast.expr, iterable: ast.expr, ctx: Context) -> str | None:
    """The upstream call each element makes, when the fan-out is unbounded; else None."""
    element = _unwrap(element, ctx)
    if not isinstance(element, ast.Call) or ctx.graph.upstream_call(element, ctx.scope) is None:
        return None
    if _Sizer(ctx.resolver).bounded(iterable, ctx.scope) or _limited(element, ctx):
        return None
    return call_label(element)


def _gather(node: ast.Call, ctx: Context) -> Iterator[Report]:
    callee = ctx.resolver.expr(node.func, ctx.scope)
    name = getattr(callee, "name", None)
    if name not in _GATHERS:
        return
    for arg in node.args:
        comp = arg.value if isinstance(arg, ast.Starred) else arg
        if isinstance(comp, _COMPREHENSIONS) and len(comp.generators) == 1:
            label = _fan(comp.elt, comp.generators[0].iter, ctx)
            if label is not None:
                yield Report(
                    node, f"`{name}` starts one `{label}` per element of an unbounded collection, all at once"
                )
                return


def _gathered(outer: list[ast.AST], ctx: Context) -> bool:
    """Whether the innermost of `outer` (skipping a `*`) is a gather-like call."""
    for ancestor in reversed(outer):
        if isinstance(ancestor, ast.Starred):
            continue
        if isinstance(ancestor, ast.Call):
            return getattr(ctx.resolver.expr(ancestor.func, ctx.scope), "name", None) in _GATHERS
        return False
    return False


def _task_in_loop(node: ast.Call, ctx: Context) -> Iterator[Report]:
    func = node.func
    if not isinstance(func, ast.Attribute) or func.attr not in _TASK_METHODS or not node.args:
        return
    for depth, ancestor in enumerate(reversed(ctx.ancestors)):
        if isinstance(ancestor, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return
        if isinstance(ancestor, _COMPREHENSIONS) and _gathered(
            ctx.ancestors[: len(ctx.ancestors) - depth - 1], ctx
        ):
            return  # `asyncio.wait([create_task(...) for ...])`: the gather check reports it
        if isinstance(ancestor, ast.For) or (
            isinstance(ancestor, _COMPREHENSIONS) and len(ancestor.generators) == 1
        ):
            iterable = ancestor.iter if isinstance(ancestor, ast.For) else ancestor.generators[0].iter
            label = _fan(node.args[0], iterable, ctx)
            if label is not None:
                yield Report(
                    node, f"a task per element of an unbounded collection, each `{label}`, all at once"
                )
            return


def check(node: ast.AST, ctx: Context) -> Iterator[Report]:
    if isinstance(node, ast.Call) and ctx.in_async:
        yield from _gather(node, ctx)
        yield from _task_in_loop(node, ctx)


RULE = Rule(
    code="AWB105",
    pitfall="fan_out",
    name="unbounded-fan-out",
    summary="gather/TaskGroup over a collection of unbounded size, with no semaphore bounding the calls.",
    fix="Bound in-flight upstream calls with one `asyncio.Semaphore(k)` shared by all requests (k below the "
    "upstream's limit), used inside the coroutine each element runs.",
    why="in-flight upstream calls grow with the input and the users: 429s, retries and pool timeouts.",
    severity="medium",
    node_types=(ast.Call,),
    check=check,
)
