"""Facts about the project's functions that rules need across calls, each computed once and memoised:
blocking chains, upstream (network) chains, client construction chains, request handlers and their
dependencies, and the calls traced to each client construction (for deadlines). docs/lint.md has the
definitions (what a handler is, what "per request" means).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from awaitbench.detect.lint.ecosystem import (
    CLIENTS,
    LONG_DEADLINE_S,
    call_spec,
    category_of,
    severity_of,
    short_name,
)
from awaitbench.detect.lint.findings import Severity
from awaitbench.detect.lint.index import FunctionInfo, ModuleInfo, RootIndex, Scope
from awaitbench.detect.lint.known import (
    CACHE_DECORATORS,
    DEADLINE_CALLS,
    DEADLINE_CONTEXTS,
    DEPENDS,
    HTTP_READ_VERBS,
    ROUTE_DECORATORS,
)
from awaitbench.detect.lint.values import ClassRef, ClientInfo, External, FuncRef, Memo, Resolver
from awaitbench.detect.lint.walk import children

__all__ = ["Blocking", "CallGraph", "TracedCall", "body_nodes", "call_label", "kept_values", "llm_shaped"]

_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_MAX_CHAIN = 8
_UPSTREAM = frozenset({"llm", "framework", "http"})


@dataclass(frozen=True)
class Blocking:
    """What a call blocks on: the rule's category (`sync_client`, `blocking_work`), a label for the
    message and the expected cost."""

    category: str
    label: str
    severity: Severity


@dataclass(frozen=True)
class TracedCall:
    """A network call made through a client built at a known place, and whether it has its own deadline."""

    call: ast.Call
    module: ModuleInfo
    has_deadline: bool


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


def has_deadline_keyword(call: ast.Call, keywords: tuple[str, ...]) -> bool:
    return any(kw.arg in keywords for kw in call.keywords)


class CallGraph:
    """Memoised per-function facts over a project (see the module docstring)."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self._chains: Memo[tuple[list[str], Severity]] = Memo()
        self._network: Memo[list[str]] = Memo()
        self._builds: Memo[list[str]] = Memo()
        self._handlers: dict[int, set[ast.AST]] = {}
        self._traced: dict[int, list[TracedCall]] | None = None
        self._startup: dict[int, set[ast.AST]] = {}

    # ------------------------------------------------------------------------------------ blocking

    def direct_category(self, call: ast.Call, scope: Scope) -> Blocking | None:
        """What a call does by itself: a blocking client call, a known blocking call, or neither."""
        found = self.resolver.network_call(call, scope)
        if found is not None:
            if found.mode == "async":
                return None
            spec = found.ref.info.spec
            label = ".".join((short_name(spec), *found.ref.path, found.verb))
            return Blocking(category_of(spec.family), label, severity_of(spec.family))
        callee = self.resolver.expr(call.func, scope)
        if isinstance(callee, External):
            spec_call = call_spec(callee.name)
            if spec_call is not None and spec_call.blocking and not spec_call.is_async:
                if spec_call.kind == "process" and _installs_a_package(call):
                    return None  # runs once, when a package is missing: set-up, not request work
                if spec_call.kind == "file" and _in_memory_file(call):
                    return None
                return Blocking(category_of(spec_call.kind), callee.name, severity_of(spec_call.kind))
        return None

    def sync_callee(self, call: ast.Call, scope: Scope) -> FunctionInfo | None:
        """The plain `def` of the project a call runs (a function, a method, a class's `__init__`); not
        a `functools.cache`d one, whose body runs once per process, not per call."""
        callee = self.resolver.expr(call.func, scope)
        if isinstance(callee, ClassRef):
            init = callee.klass.methods.get("__init__")
            return init if init is not None and not init.is_async else None
        if isinstance(callee, FuncRef) and not callee.function.is_async:
            function = callee.function
            if isinstance(function.node, ast.Lambda) or self.is_cached(function):
                return None
            return function
        return None

    def blocking_chain(self, function: FunctionInfo, category: str) -> tuple[list[str], Severity] | None:
        """`([function, ..., blocking call], severity)` when running `function` blocks on `category`."""
        return self._chains.get((id(function), category), lambda: self._find_blocking(function, category))

    def _find_blocking(self, function: FunctionInfo, category: str) -> tuple[list[str], Severity] | None:
        scope = function.scope
        nested: list[FunctionInfo] = []
        best: tuple[list[str], Severity] | None = None
        for node in body_nodes(function):
            if not isinstance(node, ast.Call):
                continue
            direct = self.direct_category(node, scope)
            if direct is not None and direct.category == category:
                found = ([function.qualname, direct.label], direct.severity)
                if direct.severity == "high":
                    return found
                best = best or found
                continue
            callee = self.sync_callee(node, scope)
            if callee is not None and callee is not function:
                nested.append(callee)
        for callee in nested:
            chain = self.blocking_chain(callee, category)
            if chain is not None and len(chain[0]) < _MAX_CHAIN:
                found = ([function.qualname, *chain[0]], chain[1])
                if chain[1] == "high":
                    return found
                best = best if best is not None and _rank(best[1]) <= _rank(chain[1]) else found
        return best

    # ------------------------------------------------------------------------------------ network

    def awaited_network(self, call: ast.Call, scope: Scope, *, reads_only: bool = False) -> list[str] | None:
        """The chain to an upstream call when `call` is awaited: a client call, or a project coroutine
        that (transitively) awaits one. `reads_only` keeps LLM calls and HTTP GET/HEAD/OPTIONS only:
        what can be reordered without changing what the code does."""
        found = self.resolver.network_call(call, scope)
        if found is not None and found.mode == "async":
            family = found.ref.info.spec.family
            if family not in _UPSTREAM or (
                reads_only and family == "http" and found.verb not in HTTP_READ_VERBS
            ):
                return None
            return [call_label(call)]
        callee = self.resolver.expr(call.func, scope)
        if isinstance(callee, External):
            spec = call_spec(callee.name)
            return [callee.name] if spec is not None and spec.is_async and spec.kind == "llm" else None
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
        return self._network.get((id(function), reads_only), lambda: self._find_network(function, reads_only))

    def _find_network(self, function: FunctionInfo, reads_only: bool) -> list[str] | None:
        for node in body_nodes(function):
            call = _awaited_call(node)
            if call is not None:
                chain = self.awaited_network(call, function.scope, reads_only=reads_only)
                if chain is not None and len(chain) < _MAX_CHAIN:
                    return [function.qualname, *chain]
        return None

    # ------------------------------------------------------------------------------------ clients

    def constructed_client(self, call: ast.Call, scope: Scope) -> ClientInfo | None:
        """The client a call builds, when building one costs (an SDK client, an HTTP pool, a driver)."""
        info = self.resolver.construction(call, scope)
        return info if info is not None and info.spec.per_request_cost else None

    def client_build_chain(self, function: FunctionInfo) -> list[str] | None:
        """`[function, ..., client class]` when each call of `function` builds a new client. For a class's
        `__init__` the clients it stores on `self` count: a new instance gets new clients."""
        if self.is_cached(function):
            return None
        return self._builds.get(id(function), lambda: self._find_build(function))

    def per_call_target(self, call: ast.Call, scope: Scope) -> FunctionInfo | None:
        """The project function whose every run a call starts: a function, a class's `__init__` (a new
        instance), or the function handed to `background_tasks.add_task(f, ...)`."""
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "add_task" and call.args:
            target = self.resolver.expr(call.args[0], scope)
        else:
            target = self.resolver.expr(func, scope)
        if isinstance(target, ClassRef):
            return target.klass.methods.get("__init__")
        if isinstance(target, FuncRef) and not isinstance(target.function.node, ast.Lambda):
            return target.function
        return None

    def _find_build(self, function: FunctionInfo) -> list[str] | None:
        is_init = function.name == "__init__" and function.klass is not None
        kept = _globals_kept(function) if is_init else kept_values(function)
        for node in body_nodes(function):
            if not isinstance(node, ast.Call) or id(node) in kept:
                continue
            built = self.constructed_client(node, function.scope)
            if built is not None:
                return [function.qualname, built.spec.name]
            callee = self.per_call_target(node, function.scope)
            if callee is not None and callee is not function:
                chain = self.client_build_chain(callee)
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

    def traced_calls(self, info: ClientInfo) -> list[TracedCall]:
        """The network calls the project makes through the client built at `info.origin`."""
        if self._traced is None:
            self._traced = _TraceScan(self.resolver).run()
        return self._traced.get(info.origin, [])

    # ------------------------------------------------------------------------------------ handlers

    def handlers(self, module: ModuleInfo) -> set[ast.AST]:
        """The function nodes of `module` that serve HTTP requests (docs/lint.md, "What a handler is").
        Websocket endpoints are not among them: they serve one long session, not one request."""
        found = self._handlers.get(id(module))
        if found is not None:
            return found
        found = {
            node
            for node in module.functions
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and any(_is_route(d) for d in node.decorator_list)
        }
        for call, scope in module.registrations:
            endpoint = _endpoint_arg(call)
            value = (
                None if endpoint is None or _is_websocket(call.func) else self.resolver.expr(endpoint, scope)
            )
            if isinstance(value, FuncRef) and value.function.module is module:
                found.add(value.function.node)
        self._handlers[id(module)] = found
        return found

    def is_startup(self, function: FunctionInfo) -> bool:
        """Code that runs outside every request: a lifespan (`FastAPI(lifespan=f)`), a startup/shutdown hook,
        or a program's entry point called only under `if __name__ == "__main__":` (a CLI beside the app)."""
        node = function.node
        if isinstance(node, ast.Lambda):
            return False
        if any(_is_event_hook(d) for d in node.decorator_list):
            return True
        root = function.module.root
        key = id(root)
        found = self._startup.get(key)
        if found is None:
            found = self._startup[key] = self._startup_functions(root.calls) | self._entry_points(root)
        return node in found

    def _startup_functions(self, calls: dict[str, list[tuple[ast.Call, Scope]]]) -> set[ast.AST]:
        found: set[ast.AST] = set()
        for name in ("FastAPI", "Starlette", "APIRouter", "add_event_handler"):
            for call, scope in calls.get(name, ()):
                targets = [
                    kw.value for kw in call.keywords if kw.arg in ("lifespan", "on_startup", "on_shutdown")
                ]
                if name == "add_event_handler":
                    targets += call.args[1:2]
                for target in targets:
                    items = target.elts if isinstance(target, ast.List | ast.Tuple) else [target]
                    for item in items:
                        value = self.resolver.expr(item, scope)
                        if isinstance(value, FuncRef):
                            found.add(value.function.node)
        return found

    def _entry_points(self, root: RootIndex) -> set[ast.AST]:
        """Functions every call of whose name sits in a main guard: `asyncio.run(main())`."""
        guarded = {
            id(node)
            for module in list(self.resolver.project.modules.values())
            if module.root is root
            for stmt in module.tree.body
            if _is_main_guard(stmt)
            for node in ast.walk(stmt)
        }
        found: set[ast.AST] = set()
        for sites in root.calls.values():
            if not all(id(call) in guarded for call, _ in sites):
                continue
            for call, scope in sites:
                value = self.resolver.expr(call.func, scope)
                if isinstance(value, FuncRef):
                    found.add(value.function.node)
        return found

    def is_script(self, module: ModuleInfo) -> bool:
        """An entry-point script outside the service: it runs under `if __name__ == "__main__":`, builds
        no app, and only other such scripts import it (an eval, a benchmark, a seeding or ingestion job)."""
        if not _standalone(module):
            return False
        return all(_standalone(importer) for importer in self._importers(module))

    def _importers(self, module: ModuleInfo) -> list[ModuleInfo]:
        """The modules of `module`'s root that import it (only imports naming its file are resolved)."""
        stem = module.path.parent.name if module.path.name == "__init__.py" else module.path.stem
        project, found = self.resolver.project, []
        for other in list(project.modules.values()):
            if other.root is not module.root or other is module:
                continue
            for binding in other.imports:
                if not binding.level and stem not in binding.qualified.split("."):
                    continue
                dotted = (binding.qualified, binding.qualified.rpartition(".")[0])
                if any(project.find(other, d, binding.level) is module for d in dotted if d or binding.level):
                    found.append(other)
                    break
        return found

    def dependencies(self, function: FunctionInfo) -> Iterator[tuple[ast.Call, FunctionInfo]]:
        """`Depends(f)` calls in a handler's signature (also through `Annotated` aliases), with `f`."""
        node = function.node
        if isinstance(node, ast.Lambda):
            return
        scope = function.scope.parent or function.scope
        args = node.args
        exprs: list[tuple[ast.expr, Scope]] = [
            (d, scope) for d in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
        ]
        for arg in (*args.args, *args.kwonlyargs):
            if arg.annotation is not None:
                parts, where = self.resolver._annotated_parts(arg.annotation, scope)
                exprs.extend((part, where) for part in parts[1:])
        for expr, where in exprs:
            for sub in ast.walk(expr):
                if not isinstance(sub, ast.Call) or not sub.args:
                    continue
                callee = self.resolver.expr(sub.func, where)
                if isinstance(callee, External) and callee.name in DEPENDS:
                    target = self.resolver.expr(sub.args[0], where)
                    if isinstance(target, FuncRef):
                        yield sub, target.function


class _TraceScan:
    """Every network call of the project whose client resolves to a construction site, found through the
    index of calls (a call is resolved only when its attribute names can reach a deadline-prone client);
    which calls run under a deadline is worked out per function, only for those."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.found: dict[int, list[TracedCall]] = {}
        self.names = _deadline_prone_names()
        self._under: dict[int, set[int]] = {}

    def run(self) -> dict[int, list[TracedCall]]:
        roots = {id(m.root): m.root for m in self.resolver.project.modules.values()}
        for root in roots.values():
            for sites in list(root.calls.values()):
                for call, scope in sites:
                    self._record(call, scope)
        return self.found

    def _record(self, call: ast.Call, scope: Scope) -> None:
        func = call.func
        if not isinstance(func, ast.Attribute) or not (_attribute_names(func) & self.names):
            return
        found = self.resolver.network_call(call, scope)
        if found is None or not found.ref.info.origin:
            return
        spec = found.ref.info.spec
        deadline = (
            found.ref.info.timeout == "set"  # `client.with_options(timeout=5).chat...`
            or has_deadline_keyword(call, (*spec.deadline_keywords, "timeout"))
            or id(call) in self._deadlined(scope)
        )
        self.found.setdefault(found.ref.info.origin, []).append(TracedCall(call, scope.module, deadline))

    def _deadlined(self, scope: Scope) -> set[int]:
        """The calls of the function (or module body) `scope` runs that sit under a deadline."""
        owner: ast.AST = scope.function.node if scope.function is not None else scope.module.tree
        key = id(owner)
        found = self._under.get(key)
        if found is None:
            found = self._under[key] = set()
            body = owner.body if isinstance(owner.body, list) else [owner.body]  # type: ignore[attr-defined]
            for stmt in body:
                self._walk(stmt, scope, False, found)
        return found

    def _walk(self, node: ast.AST, scope: Scope, under: bool, found: set[int]) -> None:
        if isinstance(node, _NESTED):
            return
        if isinstance(node, ast.With | ast.AsyncWith) and not under:
            under = any(self._is_deadline(item.context_expr, scope, DEADLINE_CONTEXTS) for item in node.items)
        elif isinstance(node, ast.Call):
            under = under or self._is_deadline(node, scope, DEADLINE_CALLS)
            if under:
                found.add(id(node))
        for child in children(node):
            self._walk(child, scope, under, found)

    def _is_deadline(self, expr: ast.expr, scope: Scope, names: frozenset[str]) -> bool:
        target = expr.func if isinstance(expr, ast.Call) else expr
        last = (
            target.attr
            if isinstance(target, ast.Attribute)
            else target.id
            if isinstance(target, ast.Name)
            else ""
        )
        if last not in _DEADLINE_NAMES:
            return False
        value = self.resolver.expr(target, scope)
        return isinstance(value, External) and value.name in names


_DEADLINE_NAMES = frozenset(name.rpartition(".")[2] for name in DEADLINE_CONTEXTS | DEADLINE_CALLS)


def _deadline_prone_names() -> frozenset[str]:
    """Attribute names a call through a client with a long default deadline must contain."""
    names: set[str] = set()
    for spec in CLIENTS.values():
        if spec.timeout_s is not None and spec.timeout_s > LONG_DEADLINE_S:
            names |= spec.resources | spec.methods
    return frozenset(names)


def _attribute_names(func: ast.Attribute) -> set[str]:
    names = set()
    node: ast.expr = func
    while isinstance(node, ast.Attribute):
        names.add(node.attr)
        node = node.value
    return names


def _rank(severity: Severity) -> int:
    return ("high", "medium", "low").index(severity)


_LLM_VERBS = frozenset({"create", "parse", "stream", "generate", "generate_content"})
_LLM_SHAPE_RESOURCES = frozenset({"completions", "messages", "embeddings", "responses", "images", "models"})


def llm_shaped(call: ast.Call) -> bool:
    """`<anything>.chat.completions.create(...)`, `<x>.messages.create(...)`: an LLM SDK call by its shape
    alone, for the rules that only need to know a call is an upstream call, not which client makes it."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in _LLM_VERBS:
        return False
    owner = func.value
    return isinstance(owner, ast.Attribute) and owner.attr in _LLM_SHAPE_RESOURCES


def _awaited_call(node: ast.AST) -> ast.Call | None:
    if isinstance(node, ast.Await) and isinstance(node.value, ast.Call):
        return node.value
    if isinstance(node, ast.AsyncWith):
        for item in node.items:
            if isinstance(item.context_expr, ast.Call):
                return item.context_expr
    return None


def _cached_globals(function: FunctionInfo) -> set[str]:
    """Globals the function tests before filling them (`if _client is None:`, `if c: return c`,
    `c = c or OpenAI()`): a process-wide cache. A global filled without a test is rebuilt on every call."""
    names = function.scope.global_names
    tested: set[str] = set()
    for node in body_nodes(function):
        if isinstance(node, ast.If | ast.IfExp | ast.While):
            node = node.test
        elif not isinstance(node, ast.BoolOp):
            continue
        tested.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in names)
    return tested


def _globals_kept(function: FunctionInfo) -> set[int]:
    """Calls whose result a constructor stores in a global (a process-wide cache, not the instance's)."""
    globals_ = _cached_globals(function)
    kept: set[int] = set()
    for node in body_nodes(function):
        if isinstance(node, ast.Assign) and all(
            isinstance(t, ast.Name) and t.id in globals_ for t in node.targets
        ):
            kept.update(id(sub) for sub in ast.walk(node.value))
    return kept


def kept_values(function: FunctionInfo) -> set[int]:
    """Calls whose result is stored somewhere that outlives the call: an attribute, a subscript, or a
    global the function tests first. A client built there is a cache (`self.client = AsyncOpenAI()`),
    not a client per call."""
    kept: set[int] = set()
    globals_ = _cached_globals(function) if function.scope.global_names else set()
    for node in body_nodes(function):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if all(
                isinstance(t, ast.Attribute | ast.Subscript) or (isinstance(t, ast.Name) and t.id in globals_)
                for t in targets
            ):
                kept.update(id(sub) for sub in ast.walk(node.value))
    return kept


_APP_MARKERS = ("FastAPI(", "Starlette(", "APIRouter(", "uvicorn.run(")


def _standalone(module: ModuleInfo) -> bool:
    """Runs as `python module.py` and builds no web app."""
    return any(_is_main_guard(stmt) for stmt in module.tree.body) and not any(
        marker in line for line in module.lines for marker in _APP_MARKERS
    )


def _installs_a_package(call: ast.Call) -> bool:
    """`subprocess.check_call([sys.executable, "-m", "pip", "install", name])`, `os.system("pip install")`."""
    words = {
        word
        for node in ast.walk(call)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        for word in node.value.split()
    }
    return "install" in words and bool(words & {"pip", "pip3"})


def _in_memory_file(call: ast.Call) -> bool:
    """`open("/proc/self/stat")`, `open(f"/sys/...")`: the kernel answers from memory, nothing waits."""
    path = call.args[0] if call.args else None
    if isinstance(path, ast.JoinedStr) and path.values:
        path = path.values[0]
    return isinstance(path, ast.Constant) and str(path.value).startswith(("/proc/", "/sys/"))


def _is_main_guard(stmt: ast.stmt) -> bool:
    test = stmt.test if isinstance(stmt, ast.If) else None
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)
    )


def _is_event_hook(decorator: ast.expr) -> bool:
    """`@app.on_event("startup")`."""
    return (
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Attribute)
        and decorator.func.attr == "on_event"
    )


def _is_websocket(func: ast.expr) -> bool:
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return "websocket" in name.lower()


def _is_route(decorator: ast.expr) -> bool:
    if not isinstance(decorator, ast.Call) or not isinstance(decorator.func, ast.Attribute):
        return False
    if decorator.func.attr not in ROUTE_DECORATORS or _is_websocket(decorator.func):
        return False
    first = decorator.args[0] if decorator.args else None
    if isinstance(first, ast.JoinedStr) or (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        return True
    return any(kw.arg == "path" for kw in decorator.keywords)


def _endpoint_arg(call: ast.Call) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg in ("endpoint", "route"):
            return kw.value
    return call.args[1] if len(call.args) > 1 else None
