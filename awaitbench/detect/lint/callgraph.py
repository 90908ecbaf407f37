"""Facts about functions of the package that rules need across calls, each computed once and memoised.

- `blocking_chain(f, category)`: does this plain `def` (or what it calls in the package, through plain
  `def`s only) block the thread on a sync client call or another blocking call? The chain names the path,
  `["parse_document", "time.sleep"]`, so a finding at the call site in `async def` can show it.
- `network_chain(f)`: does this `async def` (or an async function it awaits) await an upstream call?
- `client_build_chain(f)`: does calling `f` build a new client (not one cached in a global, an attribute
  or by `functools.cache`)?
- `handlers(module)`: the request handlers. A handler is a function decorated by a route decorator
  (`@app.get("/p")`, `@router.post(...)`, `@app.api_route(...)`, `@app.websocket(...)`: any receiver, the
  attribute name is one of `known.ROUTE_DECORATORS` and the first argument is a path string) or passed as
  the endpoint of `app.add_api_route`, `Route(...)`, `WebSocketRoute(...)`. Functions a handler calls are
  "per request" through these chains, and FastAPI dependencies (`Depends(f)`) are per request unless cached.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from awaitbench.detect.lint.index import FunctionInfo, ModuleInfo, Scope
from awaitbench.detect.lint.known import (
    BLOCKING_CALLS,
    CACHE_DECORATORS,
    CLIENTS,
    DEPENDS,
    HTTP_READ_VERBS,
    ROUTE_DECORATORS,
    SYNC_HTTP_CALLS,
)
from awaitbench.detect.lint.values import ClassRef, External, FuncRef, Resolver
from awaitbench.detect.lint.walk import children

__all__ = ["CallGraph", "Category", "body_nodes", "call_label", "kept_values", "llm_shaped"]

Category = str  # "sync_client" or "blocking_work"
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_MAX_CHAIN = 8


def body_nodes(function: FunctionInfo) -> Iterator[ast.AST]:
    """Every node that runs when `function` runs: its body, not the bodies of functions nested in it
    (bare names, constants and operators left out, see `walk.children`)."""
    node = function.node
    stack: list[ast.AST] = [node.body] if isinstance(node, ast.Lambda) else list(reversed(node.body))
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, _NESTED):
            continue
        stack.extend(reversed(children(current)))


def call_label(call: ast.Call) -> str:
    """A short readable name for a call's target: `llm.client.chat.completions.create`."""
    try:
        return ast.unparse(call.func)
    except Exception:  # pragma: no cover - unparse handles every expression ast.parse produces
        return "<call>"


class CallGraph:
    """Memoised per-function facts over a project (see the module docstring)."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self._chains: dict[tuple[int, str], list[str] | None] = {}
        self._network: dict[tuple[int, bool], list[str] | None] = {}
        self._builds: dict[int, list[str] | None] = {}
        self._handlers: dict[str, set[ast.AST]] = {}

    # ------------------------------------------------------------------------------------ blocking

    def direct_category(self, call: ast.Call, scope: Scope) -> tuple[Category, str] | None:
        """What a call does by itself: a sync client call, a known blocking call, or neither."""
        ref = self.resolver.network_call(call, scope)
        if ref is not None:
            if ref.info.spec.is_async:
                return None
            label = ".".join((ref.info.spec.name.rpartition(".")[2], *ref.path, _verb(call)))
            return "sync_client", label
        callee = self.resolver.expr(call.func, scope)
        if isinstance(callee, External):
            if callee.name in SYNC_HTTP_CALLS:
                return "sync_client", callee.name
            if callee.name in BLOCKING_CALLS:
                return "blocking_work", callee.name
        return None

    def sync_callee(self, call: ast.Call, scope: Scope) -> FunctionInfo | None:
        """The plain `def` of the package a call runs (a function, a method, a class's `__init__`)."""
        callee = self.resolver.expr(call.func, scope)
        if isinstance(callee, ClassRef):
            init = callee.klass.methods.get("__init__")
            return init if init is not None and not init.is_async else None
        if isinstance(callee, FuncRef) and not callee.function.is_async:
            if isinstance(callee.function.node, ast.Lambda):
                return None
            return callee.function
        return None

    def package_callee(self, call: ast.Call, scope: Scope) -> FunctionInfo | None:
        """The function (sync or async) of the package a call runs, if it resolves to one."""
        callee = self.resolver.expr(call.func, scope)
        if isinstance(callee, FuncRef) and not isinstance(callee.function.node, ast.Lambda):
            return callee.function
        return None

    def blocking_chain(self, function: FunctionInfo, category: Category) -> list[str] | None:
        """`[function, ..., blocking call]` when running `function` blocks on `category`, else None."""
        key = (id(function), category)
        if key in self._chains:
            return self._chains[key]
        self._chains[key] = None  # a recursive call does not block by recursing
        found = self._find_blocking(function, category)
        self._chains[key] = found
        return found

    def _find_blocking(self, function: FunctionInfo, category: Category) -> list[str] | None:
        scope = function.scope
        nested: list[tuple[FunctionInfo, ast.Call]] = []
        for node in body_nodes(function):
            if not isinstance(node, ast.Call):
                continue
            direct = self.direct_category(node, scope)
            if direct is not None and direct[0] == category:
                return [function.qualname, direct[1]]
            callee = self.sync_callee(node, scope)
            if callee is not None and callee is not function:
                nested.append((callee, node))
        for callee, _call in nested:
            chain = self.blocking_chain(callee, category)
            if chain is not None and len(chain) < _MAX_CHAIN:
                return [function.qualname, *chain]
        return None

    # ------------------------------------------------------------------------------------ network

    def awaited_network(self, call: ast.Call, scope: Scope, *, reads_only: bool = False) -> list[str] | None:
        """The chain to an upstream call when `call` is awaited: a client call, or a package coroutine
        that (transitively) awaits one. `reads_only` keeps LLM calls and HTTP GET/HEAD/OPTIONS only:
        what can be reordered without changing what the code does."""
        ref = self.resolver.network_call(call, scope)
        if ref is not None and ref.info.spec.is_async:
            verb = _verb(call)
            if reads_only and ref.info.spec.family == "http" and verb not in HTTP_READ_VERBS:
                return None
            return [call_label(call)]
        callee = self.resolver.expr(call.func, scope)
        if isinstance(callee, FuncRef) and callee.function.is_async:
            return self.network_chain(callee.function, reads_only=reads_only)
        return None

    def upstream_call(self, call: ast.Call, scope: Scope) -> list[str] | None:
        """Like `awaited_network`, and also an unresolved call with an LLM SDK's shape."""
        chain = self.awaited_network(call, scope)
        if chain is None and llm_shaped(call):
            return [call_label(call)]
        return chain

    def network_chain(self, function: FunctionInfo, *, reads_only: bool = False) -> list[str] | None:
        """`[function, ..., upstream call]` when `function` awaits an upstream call (see awaited_network)."""
        key = (id(function), reads_only)
        if key in self._network:
            return self._network[key]
        self._network[key] = None
        found: list[str] | None = None
        for node in body_nodes(function):
            call = _awaited_call(node)
            if call is not None:
                chain = self.awaited_network(call, function.scope, reads_only=reads_only)
                if chain is not None and len(chain) < _MAX_CHAIN:
                    found = [function.qualname, *chain]
                    break
        self._network[key] = found
        return found

    # ------------------------------------------------------------------------------------ clients

    def constructed_client(self, call: ast.Call, scope: Scope) -> str | None:
        """The client class a call constructs (`openai.AsyncOpenAI`), if it is one."""
        callee = self.resolver.expr(call.func, scope)
        if isinstance(callee, External) and callee.name in CLIENTS:
            return callee.name
        return None

    def client_build_chain(self, function: FunctionInfo) -> list[str] | None:
        """`[function, ..., client class]` when each call of `function` builds a new client."""
        key = id(function)
        if key in self._builds:
            return self._builds[key]
        self._builds[key] = None
        found = None if self.is_cached(function) else self._find_build(function)
        self._builds[key] = found
        return found

    def _find_build(self, function: FunctionInfo) -> list[str] | None:
        kept = kept_values(function)
        for node in body_nodes(function):
            if not isinstance(node, ast.Call) or id(node) in kept:
                continue
            built = self.constructed_client(node, function.scope)
            if built is not None:
                return [function.qualname, built]
            callee = self.resolver.expr(node.func, function.scope)
            if isinstance(callee, FuncRef) and callee.function is not function:
                chain = self.client_build_chain(callee.function)
                if chain is not None and len(chain) < _MAX_CHAIN:
                    return [function.qualname, *chain]
        return None

    def is_cached(self, function: FunctionInfo) -> bool:
        node = function.node
        if isinstance(node, ast.Lambda):
            return False
        scope = function.scope.parent or function.scope
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            value = self.resolver.expr(target, scope)
            if isinstance(value, External) and value.name in CACHE_DECORATORS:
                return True
        return False

    # ------------------------------------------------------------------------------------ handlers

    def handlers(self, module: ModuleInfo) -> set[ast.AST]:
        """The function nodes of `module` that serve requests (see the module docstring)."""
        found = self._handlers.get(module.name)
        if found is not None:
            return found
        found = {
            node
            for node, info in module.functions.items()
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and any(_is_route(d) for d in node.decorator_list)
        }
        for call, scope in module.registrations:
            endpoint = _endpoint_arg(call)
            value = None if endpoint is None else self.resolver.expr(endpoint, scope)
            if isinstance(value, FuncRef) and value.function.module is module:
                found.add(value.function.node)
        self._handlers[module.name] = found
        return found

    def dependencies(self, function: FunctionInfo) -> Iterator[tuple[ast.Call, FunctionInfo]]:
        """`Depends(f)` calls in a handler's signature, with the dependency function `f`."""
        node = function.node
        if isinstance(node, ast.Lambda):
            return
        scope = function.scope.parent or function.scope
        args = node.args
        for expr in [*args.defaults, *(d for d in args.kw_defaults if d is not None)] + [
            a.annotation for a in (*args.args, *args.kwonlyargs) if a.annotation is not None
        ]:
            for sub in ast.walk(expr):
                if not isinstance(sub, ast.Call) or not sub.args:
                    continue
                callee = self.resolver.expr(sub.func, scope)
                if isinstance(callee, External) and callee.name in DEPENDS:
                    target = self.resolver.expr(sub.args[0], scope)
                    if isinstance(target, FuncRef):
                        yield sub, target.function


_LLM_VERBS = frozenset({"create", "parse", "stream", "generate"})
_LLM_SHAPE_RESOURCES = frozenset({"completions", "messages", "embeddings", "responses", "images"})


def llm_shaped(call: ast.Call) -> bool:
    """`<anything>.chat.completions.create(...)`, `<x>.messages.create(...)`: an LLM SDK call by its shape
    alone, for the rules that only need to know a call is an upstream call, not which client makes it."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in _LLM_VERBS:
        return False
    owner = func.value
    return isinstance(owner, ast.Attribute) and owner.attr in _LLM_SHAPE_RESOURCES


def _verb(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else ""


def _awaited_call(node: ast.AST) -> ast.Call | None:
    if isinstance(node, ast.Await) and isinstance(node.value, ast.Call):
        return node.value
    if isinstance(node, ast.AsyncWith):
        for item in node.items:
            if isinstance(item.context_expr, ast.Call):
                return item.context_expr
    return None


def kept_values(function: FunctionInfo) -> set[int]:
    """Calls whose result is stored somewhere that outlives the call: an attribute, a subscript, or a
    global. A client built there is a cache (`self.client = AsyncOpenAI()`), not a client per call."""
    kept: set[int] = set()
    globals_ = function.scope.global_names
    for node in body_nodes(function):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if all(
                isinstance(t, ast.Attribute | ast.Subscript) or (isinstance(t, ast.Name) and t.id in globals_)
                for t in targets
            ):
                kept.update(id(sub) for sub in ast.walk(node.value))
    return kept


def _is_route(decorator: ast.expr) -> bool:
    if not isinstance(decorator, ast.Call) or not isinstance(decorator.func, ast.Attribute):
        return False
    if decorator.func.attr not in ROUTE_DECORATORS:
        return False
    first = decorator.args[0] if decorator.args else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return True
    return any(kw.arg == "path" for kw in decorator.keywords)


def _endpoint_arg(call: ast.Call) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg in ("endpoint", "route"):
            return kw.value
    return call.args[1] if len(call.args) > 1 else None
