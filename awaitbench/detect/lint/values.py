"""What an expression stands for, as far as the rules care: a client, a function of the package, a class.

This is a deliberately small abstract interpretation. It follows names through assignments, closures,
imports (aliases included), `self.<attr>` assignments, function returns and tuple unpacking, and it
stops (answers None) as soon as it would have to guess. Rules report only what resolves, which is why
the linter stays quiet on code it does not understand: precision first.

One non-obvious step, the *carrier*: an object built by a package function or class that was handed a
client or a client factory (`app, llm = new_app(client=sync_openai)`) is assumed to hold that client, so
`llm.client.chat.completions.create(...)` is a call on it. Only call shapes that are unmistakably SDK or
HTTP calls are accepted through a carrier (`.<attr>.chat.completions.create`, and `.<attr>.post` when
the attribute's name says client, session or http).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace
from typing import Literal

from awaitbench.detect.lint.index import Binding, ClassInfo, FunctionInfo, ModuleInfo, Project, Scope
from awaitbench.detect.lint.known import (
    CLIENTS,
    DEPENDS,
    HTTP_VERBS,
    LLM_RESOURCES,
    NON_NETWORK_METHODS,
    ClientSpec,
)

__all__ = [
    "Carrier",
    "ClassRef",
    "ClientInfo",
    "ClientRef",
    "External",
    "ExternalInstance",
    "FuncRef",
    "Instance",
    "ModuleRef",
    "Resolver",
    "Value",
    "find_binding",
    "is_network",
]

Timeout = Literal["set", "unset", "none", "unknown"]
Retries = Literal["zero", "default", "set", "unknown"]


@dataclass(frozen=True)
class ClientInfo:
    """A client and how it was built. `site` is "path:line" of the constructor (None when the client is
    known only from a type annotation, so its timeout and retries are unknown)."""

    spec: ClientSpec
    site: str | None
    timeout: Timeout
    retries: Retries


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
    klass: ClassInfo
    carried: ClientInfo | None = None


@dataclass(frozen=True)
class Carrier:
    """An object of unknown type that was built with a client (see the module docstring)."""

    client: ClientInfo


@dataclass(frozen=True)
class External:
    """A module, function or class outside the package, by qualified name (`time.sleep`)."""

    name: str


@dataclass(frozen=True)
class ExternalInstance:
    """What calling an External returned: `asyncio.Semaphore(10)` is ExternalInstance("asyncio.Semaphore")."""

    name: str


@dataclass(frozen=True)
class ModuleRef:
    module: ModuleInfo


Value = ClientRef | FuncRef | ClassRef | Instance | Carrier | External | ExternalInstance | ModuleRef

_PENDING = object()
_CLIENT_ATTRIBUTE = re.compile(r"client|session|http", re.I)
_MAX_DEPTH = 40


def client_info(spec: ClientSpec, call: ast.Call, module: ModuleInfo) -> ClientInfo:
    """How a constructor call sets the timeout and the SDK's retries."""
    keywords = {kw.arg: kw.value for kw in call.keywords}
    opaque = None in keywords  # **kwargs: anything may be set
    timeout: Timeout = "unknown" if opaque else "unset"
    if "timeout" in keywords:
        value = keywords["timeout"]
        timeout = "none" if isinstance(value, ast.Constant) and value.value is None else "set"
    retries: Retries = "unknown" if opaque else "default"
    if "max_retries" in keywords:
        value = keywords["max_retries"]
        retries = "zero" if isinstance(value, ast.Constant) and value.value == 0 else "set"
    return ClientInfo(spec, f"{module.display_path}:{call.lineno}", timeout, retries)


class Resolver:
    """Resolves expressions in a project; every answer is memoised per AST node."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._memo: dict[object, object] = {}
        self._depth = 0

    # ------------------------------------------------------------------------------------ entry points

    def expr(self, node: ast.expr, scope: Scope) -> Value | None:
        key = id(node)
        cached = self._memo.get(key, None)
        if cached is _PENDING:
            return None
        if key in self._memo:
            return cached  # type: ignore[return-value]
        if self._depth > _MAX_DEPTH:
            return None
        self._memo[key] = _PENDING
        self._depth += 1
        try:
            value = self._expr(node, scope)
        finally:
            self._depth -= 1
        self._memo[key] = value
        return value

    def returns(self, function: FunctionInfo) -> Value | None:
        """What calling `function` gives (its first resolvable `return`, else its return annotation)."""
        key = ("returns", id(function))
        if key in self._memo:
            cached = self._memo[key]
            return None if cached is _PENDING else cached  # type: ignore[return-value]
        self._memo[key] = _PENDING
        value: Value | None = None
        for returned in function.returns:
            value = self.expr(returned, function.scope)
            if value is not None:
                break
        node = function.node
        if value is None and not isinstance(node, ast.Lambda) and node.returns is not None:
            value = self.annotation(node.returns, function.scope.parent or function.scope)
        self._memo[key] = value
        return value

    def qualified(self, name: str) -> Value:
        """A qualified name: an object of the package when it is one, else External(name)."""
        key = ("qualified", name)
        if key in self._memo:
            cached = self._memo[key]
            return External(name) if cached is _PENDING else cached  # type: ignore[return-value]
        self._memo[key] = _PENDING  # an import cycle (`a` imports `x` from `b`, `b` from `a`) ends here
        value = self._qualified(name)
        self._memo[key] = value
        return value

    def _qualified(self, name: str) -> Value:
        module = self.project.module(name)
        if module is not None:
            return ModuleRef(module)
        parent, _, attr = name.rpartition(".")
        if parent:
            owner = self.project.module(parent)
            if owner is not None:
                found = self.lookup(attr, owner.scope, None)
                if found is not None:
                    return found
        return External(name)

    def annotation(self, node: ast.expr, scope: Scope) -> Value | None:
        """The value a parameter or return annotation promises: an Instance or a client of unknown build."""
        if isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            left = self.annotation(node.left, scope)
            return left if left is not None else self.annotation(node.right, scope)
        value = self.expr(node, scope)
        if isinstance(value, ClassRef):
            return Instance(value.klass)
        if isinstance(value, External) and value.name in CLIENTS:
            return ClientRef(ClientInfo(CLIENTS[value.name], None, "unknown", "unknown"))
        return None

    # ------------------------------------------------------------------------------------ names

    def lookup(self, name: str, scope: Scope, line: int | None) -> Value | None:
        """Resolve `name` as Python would from `scope` (class bodies are skipped by inner functions)."""
        found = find_binding(name, scope, line)
        return External(f"builtins.{name}") if found is None else self.binding(found)

    def binding(self, binding: Binding) -> Value | None:
        kind = binding.kind
        if kind == "def" and binding.function is not None:
            return FuncRef(binding.function)
        if kind == "class" and binding.klass is not None:
            return ClassRef(binding.klass)
        if kind == "import":
            return self.qualified(binding.qualified)
        if kind == "param":
            return self._param(binding)
        if kind in ("assign", "with") and binding.value is not None:
            if binding.index is not None:
                return self.element(binding.value, binding.index, binding.scope)
            return self.expr(binding.value, binding.scope)
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
            return self.annotation(arg.annotation, outer)
        return None

    def _injected(self, node: ast.AST, arg: ast.arg, outer: Scope) -> Value | None:
        """A FastAPI dependency's value: `client = Depends(get_client)` is what `get_client` returns."""
        if isinstance(node, ast.Lambda):
            return None
        args = node.args  # type: ignore[attr-defined]
        positional = [*args.posonlyargs, *args.args]
        defaults = dict(zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True))
        defaults.update(
            {a: d for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None}
        )
        default = defaults.get(arg)
        if isinstance(arg.annotation, ast.Subscript) and isinstance(arg.annotation.slice, ast.Tuple):
            default = (
                default
                or next(  # Annotated[T, Depends(f)]
                    (e for e in arg.annotation.slice.elts[1:] if isinstance(e, ast.Call)), None
                )
            )
        if not isinstance(default, ast.Call) or not default.args:
            return None
        callee = self.expr(default.func, outer)
        if not (isinstance(callee, External) and callee.name in DEPENDS):
            return None
        dependency = self.expr(default.args[0], outer)
        return self.returns(dependency.function) if isinstance(dependency, FuncRef) else None

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
                stored = self._app_state(node.attr)
                if stored is not None:
                    return stored
            base = self.expr(owner, scope)
            return None if base is None else self.attribute(base, node.attr)
        if isinstance(node, ast.Call):
            return self.call(node, scope)
        if isinstance(node, ast.Await):
            return self.expr(node.value, scope)
        if isinstance(node, ast.NamedExpr):
            return self.expr(node.value, scope)
        return None

    def _app_state(self, attr: str) -> Value | None:
        """`request.app.state.client`: what the package assigned to `<anything>.state.client` (the
        Starlette/FastAPI place for objects built in lifespan), when all assignments agree."""
        values = {self.expr(value, scope) for value, scope in self.project.state_assignments.get(attr, ())}
        return values.pop() if len(values) == 1 else None

    def attribute(self, base: Value, attr: str) -> Value | None:
        if isinstance(base, ClientRef):
            return replace(base, path=(*base.path, attr))
        if isinstance(base, ModuleRef):
            if attr in base.module.scope.bindings:
                return self.lookup(attr, base.module.scope, None)
            return self.qualified(f"{base.module.name}.{attr}")
        if isinstance(base, External):
            return self.qualified(f"{base.name}.{attr}")
        if isinstance(base, Instance):
            found = self.member(base.klass, attr, instance=True)
            if found is None and base.carried is not None:
                return ClientRef(base.carried, (), via_carrier=True, hop=attr)
            return found
        if isinstance(base, ClassRef):
            return self.member(base.klass, attr, instance=False)
        if isinstance(base, Carrier):
            return ClientRef(base.client, (), via_carrier=True, hop=attr)
        return None

    def member(self, klass: ClassInfo, attr: str, *, instance: bool, depth: int = 0) -> Value | None:
        """A method, class attribute or `self.<attr>` assignment of `klass` or its package bases."""
        method = klass.methods.get(attr)
        if method is not None:
            if instance and _is_property(method):
                return self.returns(method)
            return FuncRef(method)
        if attr in klass.scope.bindings:
            return self.lookup(attr, klass.scope, None)
        if instance:
            for value, method_info in klass.self_assignments.get(attr, ()):
                found = self.expr(value, method_info.scope)
                if found is not None:
                    return found
        if depth < 5:
            for base in klass.node.bases:
                resolved = self.expr(base, klass.scope.parent or klass.scope)
                if isinstance(resolved, ClassRef) and resolved.klass is not klass:
                    found = self.member(resolved.klass, attr, instance=instance, depth=depth + 1)
                    if found is not None:
                        return found
        return None

    def call(self, node: ast.Call, scope: Scope) -> Value | None:
        callee = self.expr(node.func, scope)
        if isinstance(callee, ClientRef):
            if callee.path and callee.path[-1] in NON_NETWORK_METHODS:
                info = callee.info
                if any(kw.arg == "timeout" for kw in node.keywords):
                    info = replace(info, timeout="set")
                return ClientRef(info, callee.path[:-1], callee.via_carrier, callee.hop)
            return None
        if isinstance(callee, External):
            spec = CLIENTS.get(callee.name)
            if spec is not None:
                return ClientRef(client_info(spec, node, scope.module))
            return ExternalInstance(callee.name)
        if isinstance(callee, FuncRef):
            return _with_carried(self.returns(callee.function), self.carried(node, scope))
        if isinstance(callee, ClassRef):
            return Instance(callee.klass, self.carried(node, scope))
        return None

    def carried(self, node: ast.Call, scope: Scope) -> ClientInfo | None:
        """The client handed to a package function or class: a client argument, or a client factory."""
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

    def network_call(self, node: ast.Call, scope: Scope) -> ClientRef | None:
        """The client a call goes to the network on (`client.chat.completions.create`, `session.get`)."""
        func = node.func
        if not isinstance(func, ast.Attribute):
            return None
        receiver = self.expr(func.value, scope)
        verb = func.attr
        if isinstance(receiver, ClientRef):
            return receiver if is_network(receiver, verb) else None
        if isinstance(receiver, External) and receiver.name.startswith("openai."):
            # The openai module's own default client: `openai.chat.completions.create(...)` is sync.
            path = tuple(receiver.name.split(".")[1:])
            if path[0] in LLM_RESOURCES and verb not in NON_NETWORK_METHODS:
                return ClientRef(ClientInfo(CLIENTS["openai.OpenAI"], None, "unknown", "unknown"), path)
        return None


def is_network(ref: ClientRef, verb: str) -> bool:
    """Whether calling `verb` on `ref` goes to the network (see the module docstring for carriers)."""
    if verb in NON_NETWORK_METHODS:
        return False
    if ref.info.spec.family == "llm":
        return bool(ref.path) and ref.path[0] in LLM_RESOURCES
    if ref.via_carrier and not _CLIENT_ATTRIBUTE.search(ref.hop):
        return False  # `holder.items.get(k)` is a dict lookup, `holder.session.get(url)` a request
    return not ref.path and verb in HTTP_VERBS


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


def _is_property(function: FunctionInfo) -> bool:
    node = function.node
    if isinstance(node, ast.Lambda):
        return False
    return any(
        (isinstance(d, ast.Name) and d.id in ("property", "cached_property"))
        or (isinstance(d, ast.Attribute) and d.attr == "cached_property")
        for d in node.decorator_list
    )
