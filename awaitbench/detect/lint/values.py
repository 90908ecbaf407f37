"""What an expression stands for, as far as the rules care: a client, a function of the project, a class.

A small abstract interpretation that answers None rather than guess; docs/lint.md ("How it works") lists
what it follows: imports, containers, `app.state`, `self` attributes, factories, dependencies, carriers.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Generic, Literal, TypeVar

from awaitbench.detect.lint.ecosystem import (
    CLIENTS,
    CONSTRUCTOR_NAMES,
    SPEC_BY_KEYWORD,
    ClientSpec,
    call_mode,
    call_spec,
    canonical,
    client_spec,
    produced,
)
from awaitbench.detect.lint.index import Binding, ClassInfo, FunctionInfo, ModuleInfo, Project, Scope
from awaitbench.detect.lint.known import DEPENDS

__all__ = [
    "Carrier",
    "ClassRef",
    "ClientInfo",
    "ClientRef",
    "External",
    "ExternalInstance",
    "FuncRef",
    "Instance",
    "Memo",
    "ModuleRef",
    "NetworkCall",
    "Resolver",
    "Value",
    "find_binding",
]

T = TypeVar("T")
Timeout = Literal["set", "unset", "none", "unknown"]
Retries = Literal["zero", "default", "set", "unknown"]


@dataclass(frozen=True)
class ClientInfo:
    """A client and how it was built. `site` is "path:line" of the constructor and `origin` the id of its
    call node (None and 0 when the client is known only from an annotation or a factory method, so its
    deadline and retries are unknown)."""

    spec: ClientSpec
    site: str | None
    timeout: Timeout
    retries: Retries
    origin: int = 0


@dataclass(frozen=True)
class ClientRef:
    """A client, or an attribute path on one (`client.chat.completions`)."""

    info: ClientInfo
    path: tuple[str, ...] = ()
    via_carrier: bool = False
    hop: str = ""  # through a carrier: the attribute taken to reach the client (`llm.client` -> "client")


@dataclass(frozen=True)
class FuncRef:
    function: FunctionInfo


@dataclass(frozen=True)
class ClassRef:
    klass: ClassInfo


@dataclass(frozen=True)
class Instance:
    """An object of a project class; `fields` are the clients it was built with by name
    (`Clients(llm=AsyncOpenAI(), blocking=OpenAI())`, a dataclass's or model's fields)."""

    klass: ClassInfo
    carried: ClientInfo | None = None
    fields: tuple[tuple[str, ClientInfo], ...] = ()


@dataclass(frozen=True)
class Carrier:
    """An object of unknown type that was built with a client (see docs/lint.md, "carriers")."""

    client: ClientInfo


@dataclass(frozen=True)
class External:
    """A module, function or class outside the project, by qualified name (`time.sleep`)."""

    name: str


@dataclass(frozen=True)
class ExternalInstance:
    """What calling an External returned: `asyncio.Semaphore(10)` is ExternalInstance("asyncio.Semaphore")."""

    name: str


@dataclass(frozen=True)
class ModuleRef:
    module: ModuleInfo


@dataclass(frozen=True)
class NetworkCall:
    """A call that goes to the network on a known client: which one, at what path, blocking or awaited."""

    ref: ClientRef
    verb: str
    mode: Literal["sync", "async"]


Value = ClientRef | FuncRef | ClassRef | Instance | Carrier | External | ExternalInstance | ModuleRef

_CLIENT_ATTRIBUTE = re.compile(r"client|session|http", re.I)
_MAX_DEPTH = 40
_NO_CUT = 1 << 30
_MAX_CALL_SITES = 40  # more call sites than this under one name: too common a name to infer from
_DELEGATED_DEADLINE = frozenset({"http_client", "http_async_client"})
_NON_NETWORK = frozenset({"with_options", "copy"})


class Memo(Generic[T]):
    """Memoised answers of mutually recursive questions. A question met again while it is being answered (a
    cycle) is answered None there; answers that depended on that are kept only until the cycle's first
    question is answered, which alone is memoised: results do not depend on which question came first."""

    def __init__(self) -> None:
        self._known: dict[object, T | None] = {}
        self._active: dict[object, int] = {}  # questions being answered, by stack depth
        self._provisional: dict[object, tuple[T | None, int]] = {}  # answer, depth of the cut it met
        self._by_cut: dict[int, list[object]] = {}
        self.depth = 0
        self._cut = _NO_CUT  # the shallowest pending question the current answer met

    def get(self, key: object, compute: Callable[[], T | None], *, too_deep: bool = False) -> T | None:
        if key in self._known:
            return self._known[key]
        if key in self._provisional:
            value, cut = self._provisional[key]
            self._cut = min(self._cut, cut)
            return value
        pending = self._active.get(key)
        if pending is not None:
            self._cut = min(self._cut, pending)
            return None
        if too_deep:
            self._cut = -1
            return None
        depth, outer_cut = self.depth, self._cut
        self._active[key], self._cut, self.depth = depth, _NO_CUT, depth + 1
        try:
            value = compute()
        finally:
            self.depth = depth
            del self._active[key]
        cut, stale = self._cut, self._by_cut.pop(depth, [])
        if cut >= depth:  # no cycle through a pending question: the answer stands on its own
            self._known[key] = value
            for other in stale:
                del self._provisional[other]
            self._cut = outer_cut
        else:  # this answer, and those that met this question, hold while the question at `cut` is open
            for other in stale:
                self._provisional[other] = (self._provisional[other][0], cut)
            self._provisional[key] = (value, cut)
            self._by_cut.setdefault(cut, []).extend((*stale, key))
            self._cut = min(cut, outer_cut)
        if depth == 0:
            self._provisional.clear()
            self._by_cut.clear()
        return value


class Resolver:
    """Resolves expressions in a project; every answer is memoised per AST node."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._memo: Memo[Value | None] = Memo()

    # ------------------------------------------------------------------------------------ entry points

    def expr(self, node: ast.expr, scope: Scope) -> Value | None:
        return self._cached(id(node), lambda: self._expr(node, scope))

    def _cached(self, key: object, compute: Callable[[], Value | None]) -> Value | None:
        return self._memo.get(key, compute, too_deep=self._memo.depth > _MAX_DEPTH)

    def returns(self, function: FunctionInfo) -> Value | None:
        """What calling `function` gives (its first resolvable `return`, else its return annotation)."""
        return self._cached(("returns", id(function)), lambda: self._returns(function))

    def _returns(self, function: FunctionInfo) -> Value | None:
        values = [self.expr(returned, function.scope) for returned in function.returns]
        known = [value for value in values if value is not None]
        if known:  # a client built here beats one known only from an annotation
            built = [v for v in known if isinstance(v, ClientRef) and v.info.origin]
            return built[0] if built else known[0]
        node = function.node
        if not isinstance(node, ast.Lambda) and node.returns is not None and not function.is_generator:
            return self.annotation(node.returns, function.scope.parent or function.scope)
        return None

    def yielded(self, function: FunctionInfo) -> Value | None:
        """What a generator dependency (`def get_db(): db = Session(); yield db`) hands to the route."""
        for value_node in function.yields:
            value = self.expr(value_node, function.scope)
            if value is not None:
                return value
        return None

    def qualified(self, name: str) -> Value:
        """A name outside the project, in the ecosystem table's spelling."""
        return External(canonical(name))

    def annotation(self, node: ast.expr, scope: Scope) -> Value | None:
        """The value a parameter or return annotation promises: an Instance or a client of unknown build."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return None
        if isinstance(node, ast.Subscript):
            parts = _annotated(node)
            node = parts[0] if parts else node.value
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            left = self.annotation(node.left, scope)
            return left if left is not None else self.annotation(node.right, scope)
        value = self.expr(node, scope)
        if isinstance(value, ClassRef):
            return Instance(value.klass)
        if isinstance(value, External):
            spec = client_spec(value.name)
            if spec is not None:
                return ClientRef(ClientInfo(spec, None, "unknown", "unknown"))
        return None

    # ------------------------------------------------------------------------------------ names

    def lookup(self, name: str, scope: Scope, line: int | None) -> Value | None:
        """Resolve `name` as Python would from `scope` (class bodies are skipped by inner functions),
        through the module's `from x import *` before the builtins."""
        found = find_binding(name, scope, line)
        if found is not None:
            return self.binding(found)
        module = scope.module
        for dotted, level in module.star_imports:
            source = self.project.find(module, dotted, level)
            starred = None if source is None else self.member_of(source, name, 1)
            if starred is not None:
                return starred
        return External(f"builtins.{name}")

    def binding(self, binding: Binding) -> Value | None:
        return self._cached(("binding", id(binding)), lambda: self._binding(binding))

    def _binding(self, binding: Binding) -> Value | None:
        kind = binding.kind
        if kind == "def" and binding.function is not None:
            return FuncRef(binding.function)
        if kind == "class" and binding.klass is not None:
            return ClassRef(binding.klass)
        if kind == "import":
            return self.imported(binding.scope.module, binding.qualified, binding.level)
        if kind == "param":
            return self._param(binding)
        if kind in ("assign", "with") and binding.value is not None:
            if binding.index is not None:
                return self.element(binding.value, binding.index, binding.scope)
            if kind == "with":
                return self._entered(binding.value, binding.scope)
            return self.expr(binding.value, binding.scope)
        return None

    def imported(self, importer: ModuleInfo, dotted: str, level: int = 0) -> Value | None:
        """What `import`/`from ... import` binds: a module or object of the project, else an External."""
        module = self.project.find(importer, dotted, level)
        if module is not None:
            return ModuleRef(module)
        parent, _, attr = dotted.rpartition(".")
        owner = self.project.find(importer, parent, level) if (parent or level) else None
        if owner is not None:
            return self.member_of(owner, attr)
        return None if level else self.qualified(dotted)

    def member_of(self, module: ModuleInfo, attr: str, depth: int = 0) -> Value | None:
        """`module.attr`: a name the module binds (itself or through `from x import *`), or one of its
        submodules."""
        if attr in module.scope.bindings:
            return self.lookup(attr, module.scope, None)
        sub = self.project.submodule(module, attr)
        if sub is not None:
            return ModuleRef(sub)
        for dotted, level in module.star_imports if depth < 8 else ():
            source = self.project.find(module, dotted, level)
            found = None if source is None else self.member_of(source, attr, depth + 1)
            if found is not None:
                return found
        return None

    def _entered(self, value: ast.expr, scope: Scope) -> Value | None:
        """`with X as y`: for a client (`async with httpx.AsyncClient() as c`) the client itself; for a
        project context manager, what its generator yields."""
        entered = self.expr(value, scope)
        if entered is not None:
            return entered
        if isinstance(value, ast.Call):
            callee = self.expr(value.func, scope)
            if isinstance(callee, FuncRef) and callee.function.is_generator:
                return self.yielded(callee.function)
        return None

    def _param(self, binding: Binding) -> Value | None:
        function, arg = binding.function, binding.arg
        if function is None or arg is None:
            return None
        node = function.node
        outer = function.scope.parent or function.scope
        if function.klass is not None and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            positional = [*node.args.posonlyargs, *node.args.args]
            decorators = {d.id for d in node.decorator_list if isinstance(d, ast.Name)}
            if positional and positional[0] is arg and "staticmethod" not in decorators:
                if "classmethod" in decorators:
                    return ClassRef(function.klass)
                return Instance(function.klass)
        injected = self._injected(node, arg, outer)
        if injected is not None:
            return injected
        if arg.annotation is not None:
            annotated = self.annotation(arg.annotation, outer)
            if isinstance(annotated, Instance) and _is_interface(annotated.klass):
                return self._from_call_sites(function, arg) or annotated  # the implementation passed in
            if annotated is not None:
                return annotated
        return self._from_call_sites(function, arg)

    def _injected(self, node: ast.AST, arg: ast.arg, outer: Scope) -> Value | None:
        """A FastAPI dependency's value: `client = Depends(get_client)` is what `get_client` returns (or
        yields); `Depends(Service)` and `Depends()` make the class; `Annotated[T, Depends(f)]` and aliases
        of it (`ClientDep = Annotated[...]`) count the same."""
        found = self._depends_call(node, arg, outer)
        if found is None:
            return None
        default, annotation_type, outer = found
        target = default.args[0] if default.args else None
        target = target or next((kw.value for kw in default.keywords if kw.arg == "dependency"), None)
        if target is None:
            if annotation_type is None and arg.annotation is not None:
                annotation_type = (arg.annotation, outer)
            return self._dependency_class(annotation_type)
        dependency = self.expr(target, outer)
        if isinstance(dependency, FuncRef):
            function = dependency.function
            return self.yielded(function) if function.is_generator else self.returns(function)
        if isinstance(dependency, ClassRef):
            return Instance(dependency.klass)
        return None

    def dependency(self, function: FunctionInfo, arg: ast.arg) -> ast.Call | None:
        """The `Depends(...)` call FastAPI fills `arg` with (as its default, in `Annotated`, or in an alias
        of it), whose clean-up runs after the route returns; None for a plain parameter."""
        found = self._depends_call(function.node, arg, function.scope.parent or function.scope)
        return None if found is None else found[0]

    def _depends_call(
        self, node: ast.AST, arg: ast.arg, outer: Scope
    ) -> tuple[ast.Call, tuple[ast.expr, Scope] | None, Scope] | None:
        """The `Depends(...)` call that fills `arg`, the annotation's type and the scope they are read in."""
        if isinstance(node, ast.Lambda):
            return None
        default, annotation_type = _default_of(node.args, arg), None  # type: ignore[attr-defined]
        if arg.annotation is not None:
            parts, where = self._annotated_parts(arg.annotation, outer)
            if parts:
                annotation_type = (parts[0], where)
                default = default or next((e for e in parts[1:] if isinstance(e, ast.Call)), None)
                outer = where if default in parts else outer
        if not isinstance(default, ast.Call):
            return None
        callee = self.expr(default.func, outer)
        if not (isinstance(callee, External) and callee.name in DEPENDS):
            return None
        return default, annotation_type, outer

    def _dependency_class(self, annotation: tuple[ast.expr, Scope] | None) -> Value | None:
        if annotation is None:
            return None
        value = self.expr(annotation[0], annotation[1])
        return Instance(value.klass) if isinstance(value, ClassRef) else None

    def _annotated_parts(self, annotation: ast.expr, scope: Scope) -> tuple[list[ast.expr], Scope]:
        """The elements of `Annotated[T, ...]`, also through a module-level alias of it."""
        parts = _annotated(annotation) if isinstance(annotation, ast.Subscript) else []
        if parts or not isinstance(annotation, ast.Name | ast.Attribute):
            return parts, scope
        binding = _alias_binding(annotation, scope, self)
        if binding is not None and isinstance(binding.value, ast.Subscript):
            return _annotated(binding.value), binding.scope
        return [], scope

    def _from_call_sites(self, function: FunctionInfo, arg: ast.arg) -> Value | None:
        """An unannotated parameter whose argument resolves to the same value at every call site."""
        node = function.node
        if isinstance(node, ast.Lambda) or arg is node.args.vararg or arg is node.args.kwarg:
            return None
        is_init = function.name == "__init__" and function.klass is not None
        name = function.klass.name if is_init and function.klass is not None else function.name
        calls = function.module.root.calls
        sites = list(calls.get(name, ()))
        if is_init:  # and `super().__init__(...)` in the class's subclasses
            sites += [site for site in calls.get("__init__", ()) if _in_subclass_of(site[1], name)]
        if not sites or len(sites) > _MAX_CALL_SITES:
            return None
        values: list[Value] = []
        for call, scope in sites:
            callee = self.expr(call.func, scope)
            if is_init:
                matches = (isinstance(callee, ClassRef) and callee.klass is function.klass) or (
                    isinstance(callee, FuncRef) and callee.function is function
                )
            else:
                matches = isinstance(callee, FuncRef) and callee.function is function
            if not matches:
                continue
            argument = _argument(call, node.args, arg, bound=is_init or _is_bound(function, call))
            value = None if argument is None else self.expr(argument, scope)
            if value is None:
                return None
            values.append(value)
        return values[0] if values and all(value == values[0] for value in values) else None

    def element(self, value: ast.expr, index: int, scope: Scope) -> Value | None:
        """Element `index` of what `value` evaluates to (`a, b = f()`)."""
        if isinstance(value, ast.Tuple | ast.List):
            return self.expr(value.elts[index], scope) if index < len(value.elts) else None
        if not isinstance(value, ast.Call):
            return None
        callee = self.expr(value.func, scope)
        result: Value | None = None
        if isinstance(callee, FuncRef):
            result = self._returned_element(callee.function, index)
        carried = self.carried(value, scope) if isinstance(callee, FuncRef | ClassRef) else None
        return _with_carried(result, carried)

    def _returned_element(self, function: FunctionInfo, index: int) -> Value | None:
        for returned in function.returns:
            if isinstance(returned, ast.Tuple) and index < len(returned.elts):
                found = self.expr(returned.elts[index], function.scope)
                if found is not None:
                    return found
        node = function.node
        annotation = None if isinstance(node, ast.Lambda) else node.returns
        if isinstance(annotation, ast.Subscript) and isinstance(annotation.slice, ast.Tuple):
            elements = annotation.slice.elts
            if index < len(elements):
                return self.annotation(elements[index], function.scope.parent or function.scope)
        return None

    # ------------------------------------------------------------------------------------ expressions

    def _expr(self, node: ast.expr, scope: Scope) -> Value | None:
        if isinstance(node, ast.Name):
            return self.lookup(node.id, scope, node.lineno)
        if isinstance(node, ast.Attribute):
            owner = node.value
            if isinstance(owner, ast.Attribute) and owner.attr == "state":
                stored = self._app_state(node.attr, scope)
                if stored is not None:
                    return stored
            base = self.expr(owner, scope)
            return None if base is None else self.attribute(base, node.attr)
        if isinstance(node, ast.Call):
            return self.call(node, scope)
        if isinstance(node, ast.Await | ast.NamedExpr):
            return self.expr(node.value, scope)
        if isinstance(node, ast.Subscript):
            return self._subscript(node, scope)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self._pipe(node, scope)
        if isinstance(node, ast.BoolOp | ast.IfExp):
            return self._either(node, scope)
        return None

    def _either(self, node: ast.BoolOp | ast.IfExp, scope: Scope) -> Value | None:
        """`client or AsyncOpenAI()`, `a if cond else b`: the value when the branches agree (a client
        beats an unresolved name: `param or default` is the default when nothing better is known)."""
        options = node.values if isinstance(node, ast.BoolOp) else [node.body, node.orelse]
        values = [self.expr(option, scope) for option in options]
        known = [value for value in values if value is not None]
        if known and all(value == known[0] for value in known):
            return known[0]
        return None

    def _subscript(self, node: ast.Subscript, scope: Scope) -> Value | None:
        base = self.expr(node.value, scope)
        if isinstance(base, ClientRef) and not base.path:
            made = produced(base.info.spec, (), "[]")
            return None if made is None else _made(made, base.info)
        if isinstance(node.value, ast.Name) and not isinstance(node.slice, ast.Slice):
            return self.container(node.value, node.slice, scope)
        return None

    def container(self, name: ast.Name, key: ast.expr | None, scope: Scope) -> Value | None:
        """`clients["openai"]` (or `.get("openai")`): the value stored under that key, wherever the
        project stores it (`clients["openai"] = AsyncOpenAI()` in a lifespan), when all stores agree."""
        own = find_binding(name.id, scope, name.lineno)
        defining = self._defining(own)
        if defining is None or defining.value is None:
            return None
        candidates = _literal_items(defining.value, defining.scope)
        for stored_key, value, where in scope.module.root.containers.get(name.id, ()):
            if self._defining(find_binding(name.id, where, None)) is defining:
                candidates.append((stored_key, value, where))
        if isinstance(key, ast.Constant):
            candidates = [
                c for c in candidates if not isinstance(c[0], ast.Constant) or c[0].value == key.value
            ]
        values = [self.expr(value, where) for _, value, where in candidates]
        if values and all(value is not None and value == values[0] for value in values):
            return values[0]
        specs = {v.info.spec.name for v in values if isinstance(v, ClientRef) and not v.path}
        if values and len(specs) == 1 and all(isinstance(v, ClientRef) for v in values):
            return values[0]  # `loaders[ext]` over loaders of one kind: what each call does is the same
        return None

    def _defining(self, binding: Binding | None, hops: int = 0) -> Binding | None:
        """The module-level assignment a name comes from, following `from x import name`."""
        if binding is None or hops > 5:
            return None
        if binding.kind == "assign":
            return binding
        if binding.kind != "import":
            return None
        module = binding.scope.module
        parent, _, attr = binding.qualified.rpartition(".")
        owner = self.project.find(module, parent, binding.level)
        if owner is None or attr not in owner.scope.bindings:
            return None
        return self._defining(owner.scope.bindings[attr][-1], hops + 1)

    def _pipe(self, node: ast.BinOp, scope: Scope) -> Value | None:
        """`prompt | model | parser`: a LangChain pipeline calls the model when any part does."""
        parts = [self.expr(node.left, scope), self.expr(node.right, scope)]
        specs = [p.info.spec for p in parts if isinstance(p, ClientRef) and p.info.spec.family == "framework"]
        if any(spec.name != "langchain.local" for spec in specs):
            return ClientRef(ClientInfo(CLIENTS["langchain.runnable"], None, "unknown", "unknown"))
        if len(specs) == 2:
            return ClientRef(ClientInfo(CLIENTS["langchain.local"], None, "unknown", "unknown"))
        return None

    def _app_state(self, attr: str, scope: Scope) -> Value | None:
        """`request.app.state.client`: what the root assigned to `<anything>.state.client` (the Starlette
        place for objects built in lifespan, or a lifespan's yielded state), when all assignments agree."""
        stored = scope.module.root.state_assignments.get(attr, ())
        values = {self.expr(value, where) for value, where in stored}
        return values.pop() if len(values) == 1 else None

    def attribute(self, base: Value, attr: str) -> Value | None:
        if isinstance(base, ClientRef):
            made = produced(base.info.spec, (), ".") if not base.path else None
            if made is not None:
                return _made(made, base.info)
            return replace(base, path=(*base.path, attr))
        if isinstance(base, ModuleRef):
            return self.member_of(base.module, attr)
        if isinstance(base, External):
            return self.qualified(f"{base.name}.{attr}")
        if isinstance(base, Instance):
            found = self.member(base.klass, attr, instance=True, concrete=base.klass)
            field = next((info for name, info in base.fields if name == attr), None)
            if found is None and field is not None:
                return ClientRef(field)
            if found is None and base.carried is not None:
                return ClientRef(base.carried, (), via_carrier=True, hop=attr)
            return found
        if isinstance(base, ClassRef):
            return self.member(base.klass, attr, instance=False)
        if isinstance(base, Carrier):
            return ClientRef(base.client, (), via_carrier=True, hop=attr)
        return None

    def member(
        self,
        klass: ClassInfo,
        attr: str,
        *,
        instance: bool,
        depth: int = 0,
        concrete: ClassInfo | None = None,
    ) -> Value | None:
        """A method, class attribute or `self.<attr>` assignment of `klass` or its project bases; for an
        instance of `concrete`, a base's `self.x = x` takes what `concrete` passes to `super().__init__`."""
        method = klass.methods.get(attr)
        if method is not None:
            if instance and _is_property(method):
                return self.returns(method)
            return FuncRef(method)
        if attr in klass.scope.bindings:
            return self.lookup(attr, klass.scope, None)
        if instance:
            candidates = []
            for value, method_info in klass.self_assignments.get(attr, ()):
                found = self.expr(value, method_info.scope)
                if found is None and concrete is not None and concrete is not klass:
                    found = self._passed_to_super(concrete, method_info, value)
                if found is not None:
                    candidates.append(found)
            if candidates:  # a client built here beats one known only from an annotation
                built = [c for c in candidates if isinstance(c, ClientRef) and c.info.origin]
                return built[0] if built else candidates[0]
        if depth < 5:
            for base in klass.node.bases:
                resolved = self.expr(_unsubscripted(base), klass.scope.parent or klass.scope)
                if isinstance(resolved, ClassRef) and resolved.klass is not klass:
                    found = self.member(
                        resolved.klass, attr, instance=instance, depth=depth + 1, concrete=concrete or klass
                    )
                    if found is not None:
                        return found
        return None

    def _passed_to_super(self, concrete: ClassInfo, init: FunctionInfo, value: ast.expr) -> Value | None:
        """`class Service(Base): def __init__(self, repo=Depends(Repo)): super().__init__(repo)` with
        `Base.__init__(self, repo): self.repo = repo`: the repo is what Service passes."""
        own = concrete.methods.get("__init__")
        if own is None or own is init or not isinstance(value, ast.Name) or isinstance(init.node, ast.Lambda):
            return None
        binding = find_binding(value.id, init.scope, None)
        if binding is None or binding.kind != "param" or binding.arg is None:
            return None
        for node in ast.walk(own.node):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "__init__"
            ):
                callee = self.expr(node.func, own.scope)
                if isinstance(callee, FuncRef) and callee.function is init:
                    argument = _argument(node, init.node.args, binding.arg, bound=_is_super_call(node))
                    return None if argument is None else self.expr(argument, own.scope)
        return None

    def _super(self, scope: Scope) -> Value | None:
        """`super()` in a method: the first project base of the method's class, as an instance."""
        function = scope.function
        klass = function.klass if function is not None else None
        if klass is None:
            return None
        for base in klass.node.bases:
            resolved = self.expr(_unsubscripted(base), klass.scope.parent or klass.scope)
            if isinstance(resolved, ClassRef):
                return Instance(resolved.klass)
        return None

    def call(self, node: ast.Call, scope: Scope) -> Value | None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "get" and isinstance(func.value, ast.Name):
            stored = self.container(func.value, node.args[0] if node.args else None, scope)
            if stored is not None:
                return stored
        callee = self.expr(func, scope)
        if isinstance(callee, ClientRef):
            return self._client_call(callee, node)
        if isinstance(callee, External):
            if callee.name == "builtins.super":
                return self._super(scope)
            return self._external_call(callee.name, node, scope)
        if isinstance(callee, FuncRef):
            function = callee.function
            if _is_context_manager(function):
                return _with_carried(self.yielded(function), self.carried(node, scope))
            return _with_carried(self.returns(function), self.carried(node, scope))
        if isinstance(callee, Instance):
            dunder = self.member(callee.klass, "__call__", instance=False)
            return self.returns(dunder.function) if isinstance(dunder, FuncRef) else None
        if isinstance(callee, ClassRef):
            spec = self._client_base(callee.klass)
            if spec is not None:  # `class WrappedChatOpenAI(ChatOpenAI)`: built like its base
                return ClientRef(self.client_info(spec, node, scope))
            return Instance(
                callee.klass, self.carried(node, scope), self._client_fields(callee.klass, node, scope)
            )
        return None

    def _client_fields(
        self, klass: ClassInfo, node: ast.Call, scope: Scope
    ) -> tuple[tuple[str, ClientInfo], ...]:
        """Clients passed by keyword, or by position to a class whose fields are its annotations."""
        names = [
            stmt.target.id
            for stmt in klass.node.body
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
        ]
        named = [
            *zip(names, node.args, strict=False),
            *((kw.arg, kw.value) for kw in node.keywords if kw.arg),
        ]
        found = []
        for name, arg in named:
            value = self.expr(arg, scope) if isinstance(arg, ast.Name | ast.Attribute | ast.Call) else None
            if isinstance(value, ClientRef) and not value.path:
                found.append((name, value.info))
        return tuple(found)

    def _maybe_client_class(self, func: ast.expr, scope: Scope) -> bool:
        """A project class extending a client, or a variable that may hold one (`model(**kwargs)`)."""
        if not isinstance(func, ast.Name):
            return False
        binding = find_binding(func.id, scope, func.lineno)
        if binding is None or binding.kind not in ("class", "assign"):
            return False
        return binding.kind == "assign" or (
            binding.klass is not None and self._client_base(binding.klass) is not None
        )

    def _client_base(self, klass: ClassInfo, depth: int = 0) -> ClientSpec | None:
        """The known client a project class extends, if any (through project bases)."""
        for base in klass.node.bases:
            resolved = self.expr(_unsubscripted(base), klass.scope.parent or klass.scope)
            if isinstance(resolved, External):
                spec = client_spec(resolved.name)
                if spec is not None:
                    return spec
            elif isinstance(resolved, ClassRef) and resolved.klass is not klass and depth < 5:
                found = self._client_base(resolved.klass, depth + 1)
                if found is not None:
                    return found
        return None

    def _client_call(self, callee: ClientRef, node: ast.Call) -> Value | None:
        info, path = callee.info, callee.path
        verb = path[-1] if path else "()"
        rest = path[:-1]
        if verb in _NON_NETWORK:
            if any(kw.arg in info.spec.deadline_keywords for kw in node.keywords):
                info = replace(info, timeout="set")
            return ClientRef(info, rest, callee.via_carrier, callee.hop)
        made = produced(info.spec, rest, verb)
        if made is not None:
            return _made(made, info, node)
        if info.spec.chain and path and call_mode(info.spec, rest, verb) is None:
            return ClientRef(info, (), callee.via_carrier, callee.hop)
        return None

    def _external_call(self, name: str, node: ast.Call, scope: Scope) -> Value:
        spec = client_spec(name)
        if spec is None:
            owner, _, method = name.rpartition(".")
            factory = call_spec(name)
            if factory is not None and factory.returns is not None:
                spec = CLIENTS[factory.returns]
            elif method.startswith("from_") and client_spec(owner) is not None:
                spec = client_spec(owner)  # `RetrievalQA.from_chain_type(...)`, `Index.from_documents(...)`
        if spec is None:
            return ExternalInstance(name)
        return ClientRef(self.client_info(self._chosen_by_keyword(spec, node, scope), node, scope))

    def _chosen_by_keyword(self, spec: ClientSpec, node: ast.Call, scope: Scope) -> ClientSpec:
        """The spec a keyword argument selects (`SPEC_BY_KEYWORD`): `sessionmaker(class_=AsyncSession)`."""
        for kw in node.keywords:
            value = self.expr(kw.value, scope) if kw.arg else None
            if isinstance(value, External):
                chosen = SPEC_BY_KEYWORD.get((spec.name, kw.arg or "", canonical(value.name)))
                if chosen is not None:
                    return CLIENTS[chosen]
        return spec

    def client_info(self, spec: ClientSpec, call: ast.Call, scope: Scope) -> ClientInfo:
        """How a constructor call sets the deadline and the SDK's retries."""
        keywords: dict[str | None, ast.expr] = {}
        for kw in call.keywords:
            spread = _spread_dict(kw.value, scope) if kw.arg is None else None
            keywords.update(spread if spread is not None else {kw.arg: kw.value})
        opaque = None in keywords  # **kwargs the code does not spell out: anything may be set
        timeout: Timeout = "unknown" if opaque else "unset"
        for keyword in spec.deadline_keywords:
            if keyword in keywords:
                timeout = _deadline_value(keywords[keyword])
        for keyword in _DELEGATED_DEADLINE & set(keywords):
            delegated = self.expr(keywords[keyword], scope)
            if isinstance(delegated, ClientRef) and delegated.info.timeout in ("set", "none"):
                timeout = delegated.info.timeout
        retries: Retries = "unknown" if opaque else "default"
        if "max_retries" in keywords:
            value = keywords["max_retries"]
            retries = "zero" if isinstance(value, ast.Constant) and value.value == 0 else "set"
        return ClientInfo(spec, f"{scope.module.display_path}:{call.lineno}", timeout, retries, id(call))

    def carried(self, node: ast.Call, scope: Scope) -> ClientInfo | None:
        """The client handed to a project function or class: a client argument, or a client factory."""
        for arg in [*node.args, *(kw.value for kw in node.keywords)]:
            if not isinstance(arg, ast.Name | ast.Attribute | ast.Call):
                continue
            value = self.expr(arg, scope)
            if isinstance(value, FuncRef):
                value = self.returns(value.function)
            if isinstance(value, ClientRef) and not value.path:
                return value.info
        return None

    # ------------------------------------------------------------------------------------ call shapes

    def network_call(self, node: ast.Call, scope: Scope) -> NetworkCall | None:
        """The client a call goes to the network on (`client.chat.completions.create`, `session.get`,
        `chain.invoke`, `llm(prompt)`), and whether it blocks."""
        func = node.func
        if isinstance(func, ast.Attribute):
            receiver = self.expr(func.value, scope)
            verb = func.attr
        else:
            receiver, verb = self.expr(func, scope), "__call__"
            if not (isinstance(receiver, ClientRef) and not receiver.path):
                return None
        if isinstance(receiver, External) and receiver.name.startswith("openai."):
            # The openai module's own default client: `openai.chat.completions.create(...)` blocks.
            path = tuple(receiver.name.split(".")[1:])
            receiver = ClientRef(ClientInfo(CLIENTS["openai.OpenAI"], None, "unknown", "unknown"), path)
        if not isinstance(receiver, ClientRef):
            return None
        spec = receiver.info.spec
        if receiver.via_carrier and spec.family == "http" and not _CLIENT_ATTRIBUTE.search(receiver.hop):
            return None  # `holder.items.get(k)` is a dict lookup, `holder.session.get(url)` a request
        mode = call_mode(spec, receiver.path, verb)
        return None if mode is None else NetworkCall(receiver, verb, mode)

    def construction(self, node: ast.Call, scope: Scope) -> ClientInfo | None:
        """The client this very call builds (a constructor, a factory such as `boto3.client`, a
        `Session().client(...)`, a project subclass of a client), if any."""
        func = node.func
        last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        cheap = last in CONSTRUCTOR_NAMES or last.endswith("Client") or last.startswith("from_")
        if not (cheap or self._maybe_client_class(func, scope)):
            return None  # a cheap filter: most calls cannot build a client
        value = self.expr(node, scope)
        if isinstance(value, ClientRef) and value.info.origin == id(node) and not value.path:
            return value.info
        return None


def _made(name: str, source: ClientInfo, node: ast.Call | None = None) -> ClientRef:
    """A client of type `name` obtained from another (`sessionmaker()` -> Session); built here when it is
    a client class of its own with a per-request cost (`boto3.Session().client(...)`)."""
    spec = CLIENTS[name]
    if node is not None and spec.per_request_cost and spec.name != source.spec.name:
        return ClientRef(ClientInfo(spec, source.site, "unset", "default", id(node)))
    return ClientRef(ClientInfo(spec, None, "unknown", "unknown"))


def _deadline_value(value: ast.expr) -> Timeout:
    """`timeout=None` is no deadline; any other value is the code's decision, long or not."""
    return "none" if isinstance(value, ast.Constant) and value.value is None else "set"


def _annotated(node: ast.Subscript) -> list[ast.expr]:
    """`Annotated[T, x, y]` -> [T, x, y] (any subscript whose slice is a tuple with a Depends-like call)."""
    target = node.value
    name = ast.unparse(target).rpartition(".")[2]
    if name != "Annotated" or not isinstance(node.slice, ast.Tuple):
        return []
    return list(node.slice.elts)


def _alias_binding(node: ast.Name | ast.Attribute, scope: Scope, resolver: Resolver) -> Binding | None:
    if isinstance(node, ast.Name):
        binding = find_binding(node.id, scope, node.lineno)
        return resolver._defining(binding)
    return None


def _default_of(args: ast.arguments, arg: ast.arg) -> ast.expr | None:
    positional = [*args.posonlyargs, *args.args]
    defaults = dict(zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True))
    defaults.update({a: d for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None})
    return defaults.get(arg)


def _in_subclass_of(scope: Scope, name: str) -> bool:
    """Whether `scope` is a method of a class that names `name` among its bases."""
    klass = scope.function.klass if scope.function is not None else None
    return klass is not None and any(_last_name(_unsubscripted(base)) == name for base in klass.node.bases)


def _last_name(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


def _unsubscripted(base: ast.expr) -> ast.expr:
    """`BaseService[Repo]` as a base class is `BaseService`."""
    return base.value if isinstance(base, ast.Subscript) else base


def _is_super_call(call: ast.Call) -> bool:
    """`super().__init__(...)` passes no `self`; `Base.__init__(self, ...)` does."""
    owner = call.func.value if isinstance(call.func, ast.Attribute) else None
    return isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "super"


def _is_bound(function: FunctionInfo, call: ast.Call) -> bool:
    """A method called through an instance, `self.m(...)` or `super().m(...)`: its first parameter is not
    among the call's arguments (`Base.m(self, ...)` passes it)."""
    if function.klass is None or not isinstance(call.func, ast.Attribute):
        return False
    owner = call.func.value
    return not (isinstance(owner, ast.Name) and owner.id == function.klass.name)


def _argument(call: ast.Call, args: ast.arguments, arg: ast.arg, *, bound: bool) -> ast.expr | None:
    """The expression a call passes for parameter `arg` (None when it is left to its default)."""
    for keyword in call.keywords:
        if keyword.arg == arg.arg:
            return keyword.value
    positional = [*args.posonlyargs, *args.args]
    if bound and positional:
        positional = positional[1:]
    if arg in positional:
        index = positional.index(arg)
        if index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
            return call.args[index]
    return None


def _spread_dict(value: ast.expr, scope: Scope) -> dict[str | None, ast.expr] | None:
    """`**kwargs` where `kwargs = {...}` (plus `kwargs.update({...})`/`kwargs["k"] = v`) with constant
    keys in the same function: the keywords it passes."""
    if isinstance(value, ast.Dict):
        return _constant_keys(value.keys, value.values)
    if not isinstance(value, ast.Name):
        return None
    bindings = scope.bindings.get(value.id, [])
    if len(bindings) != 1 or not isinstance(bindings[0].value, ast.Dict):
        return None
    found = _constant_keys(bindings[0].value.keys, bindings[0].value.values)
    for key, item, where in scope.module.root.containers.get(value.id, ()):
        if where is scope and found is not None:
            more = _constant_keys([key], [item]) if key is not None else None
            found = None if more is None else {**found, **more}
    return found


def _constant_keys(keys: list[ast.expr | None], values: list[ast.expr]) -> dict[str | None, ast.expr] | None:
    found: dict[str | None, ast.expr] = {}
    for key, item in zip(keys, values, strict=True):
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            return None
        found[key.value] = item
    return found


def _literal_items(value: ast.expr, scope: Scope) -> list[tuple[ast.expr | None, ast.expr, Scope]]:
    if isinstance(value, ast.Dict):
        return [(key, item, scope) for key, item in zip(value.keys, value.values, strict=True)]
    if isinstance(value, ast.List | ast.Tuple):
        return [(ast.Constant(index), item, scope) for index, item in enumerate(value.elts)]
    return []


def _with_carried(value: Value | None, carried: ClientInfo | None) -> Value | None:
    if carried is None:
        return value
    if value is None:
        return Carrier(carried)
    if isinstance(value, Instance) and value.carried is None:
        return Instance(value.klass, carried)
    return value


def find_binding(name: str, scope: Scope, line: int | None) -> Binding | None:
    """The binding `name` refers to from `scope` at `line` (None: a builtin or undefined)."""
    current: Scope | None = scope
    first = True
    while current is not None:
        if name in current.global_names:
            current = scope.module.scope
            continue
        if (first or current.kind != "class") and name in current.bindings:
            return _pick(current.bindings[name], line if first else None)
        first = False
        current = current.parent
    return None


def _pick(bindings: list[Binding], line: int | None) -> Binding:
    """The binding in force at `line`: the last one at or before it (else the last one)."""
    if line is not None and len(bindings) > 1:
        before = [b for b in bindings if b.line <= line]
        if before:
            return before[-1]
    return bindings[-1]


def _decorator_names(function: FunctionInfo) -> set[str]:
    node = function.node
    if isinstance(node, ast.Lambda):
        return set()
    names = set()
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Name):
            names.add(target.id)
        elif isinstance(target, ast.Attribute):
            names.add(target.attr)
    return names


def _is_interface(klass: ClassInfo) -> bool:
    """An abstract base or protocol (`class Repo(ABC)` with `@abstractmethod`s): the code is elsewhere."""
    names = {ast.unparse(_unsubscripted(base)).rpartition(".")[2] for base in klass.node.bases}
    if names & {"ABC", "Protocol"}:
        return True
    return any("abstractmethod" in _decorator_names(method) for method in klass.methods.values())


def _is_property(function: FunctionInfo) -> bool:
    return bool(_decorator_names(function) & {"property", "cached_property"})


def _is_context_manager(function: FunctionInfo) -> bool:
    return function.is_generator and bool(
        _decorator_names(function) & {"contextmanager", "asynccontextmanager"}
    )
