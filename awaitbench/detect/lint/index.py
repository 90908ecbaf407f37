"""The package index: every module's scopes, bindings, functions and classes, built in one walk per file.

Rules ask questions that cross function and module boundaries ("does this helper sleep?", "which client
is `llm.client`?"), so before any rule runs, each parsed module is indexed once: which names each scope
binds and to what expression, which functions and classes exist, what each function returns. Modules of
the same top-level package that were not named on the command line are parsed on demand (once), so
linting one file still sees the helpers it imports from its own package.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from awaitbench.detect.lint.known import ROUTE_REGISTRARS
from awaitbench.detect.lint.names import import_bindings, module_name_for
from awaitbench.detect.lint.walk import children

__all__ = ["Binding", "ClassInfo", "FunctionInfo", "ModuleInfo", "Project", "Scope"]

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass(eq=False)
class Binding:
    """One way a scope binds a name. `kind` is assign/param/def/class/import/with/for/global;
    `value` the bound expression (assign, with, for), `index` the position in a tuple unpacking."""

    kind: str
    scope: Scope
    line: int
    value: ast.expr | None = None
    index: int | None = None
    qualified: str = ""
    function: FunctionInfo | None = None
    klass: ClassInfo | None = None
    arg: ast.arg | None = None


@dataclass(eq=False)
class Scope:
    """A module, function or class body: its own bindings, and the scope names resolve in next."""

    kind: str  # "module", "function", "class"
    module: ModuleInfo
    parent: Scope | None
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    global_names: set[str] = field(default_factory=set)
    function: FunctionInfo | None = None
    klass: ClassInfo | None = None  # set on a class body's scope

    def bind(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)


@dataclass(eq=False)
class FunctionInfo:
    """A `def`/`async def`/`lambda`: where it is, what it returns, and the class it is a method of."""

    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
    module: ModuleInfo
    scope: Scope
    klass: ClassInfo | None
    is_async: bool
    returns: list[ast.expr] = field(default_factory=list)
    is_generator: bool = False

    @property
    def name(self) -> str:
        return getattr(self.node, "name", "<lambda>")

    @property
    def qualname(self) -> str:
        return f"{self.klass.name}.{self.name}" if self.klass else self.name


@dataclass(eq=False)
class ClassInfo:
    """A class: its methods and what its methods assign to `self.<attr>`."""

    node: ast.ClassDef
    module: ModuleInfo
    scope: Scope
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    self_assignments: dict[str, list[tuple[ast.expr, FunctionInfo]]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.node.name


@dataclass(eq=False)
class ModuleInfo:
    """One parsed file and everything indexed from it."""

    path: Path
    display_path: str
    name: str
    is_package: bool
    tree: ast.Module
    lines: list[str]
    scope: Scope = field(init=False)
    functions: dict[ast.AST, FunctionInfo] = field(default_factory=dict)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    class_nodes: dict[ast.AST, ClassInfo] = field(default_factory=dict)
    # `app.add_api_route("/p", f)`, `Route("/p", f)`: calls that may register a handler, with their scope.
    registrations: list[tuple[ast.Call, Scope]] = field(default_factory=list)
    # `app.state.client = AsyncOpenAI()`: (attribute, value, scope) of assignments to `<x>.state.<attr>`.
    state_assignments: list[tuple[str, ast.expr, Scope]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.scope = Scope("module", self, None)


class _Indexer:
    """Fills a ModuleInfo's scopes in one recursive walk."""

    def __init__(self, module: ModuleInfo) -> None:
        self.module = module

    def run(self) -> None:
        self._body(self.module.tree.body, self.module.scope, None)

    def _body(self, stmts: list[ast.stmt], scope: Scope, function: FunctionInfo | None) -> None:
        for stmt in stmts:
            self._stmt(stmt, scope, function)

    def _stmt(self, node: ast.stmt, scope: Scope, function: FunctionInfo | None) -> None:
        if isinstance(node, _FUNCTIONS):
            self._function(node, scope)
            return
        if isinstance(node, ast.ClassDef):
            self._class(node, scope)
            return
        if isinstance(node, ast.Assign):
            for target in node.targets:
                self._target(target, node.value, scope, function)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and node.value is not None:
            self._target(node.target, node.value, scope, function)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for local, qualified in import_bindings(node, self.module.name, self.module.is_package):
                scope.bind(local, Binding("import", scope, node.lineno, qualified=qualified))
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if item.optional_vars is not None:
                    self._bind_target(item.optional_vars, "with", item.context_expr, scope)
        elif isinstance(node, ast.For | ast.AsyncFor):
            self._bind_target(node.target, "for", node.iter, scope)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            scope.global_names.update(node.names)
        elif isinstance(node, ast.Return) and function is not None and node.value is not None:
            function.returns.append(node.value)
        self._expressions(node, scope, function)
        for child in children(node):
            if isinstance(child, ast.stmt):
                self._stmt(child, scope, function)
            elif isinstance(child, ast.ExceptHandler):
                if child.name:
                    scope.bind(child.name, Binding("except", scope, child.lineno))
                self._body(child.body, scope, function)
            elif isinstance(child, ast.match_case):
                self._body(child.body, scope, function)

    def _expressions(self, node: ast.stmt, scope: Scope, function: FunctionInfo | None) -> None:
        """Lambdas, walrus targets and yields inside a statement's own expressions."""
        stack: list[ast.AST] = [child for child in children(node) if isinstance(child, ast.expr)]
        while stack:
            sub = stack.pop()
            stack.extend(children(sub))
            if isinstance(sub, ast.Lambda):
                info = FunctionInfo(sub, self.module, Scope("function", self.module, scope), None, False)
                info.scope.function = info
                for arg in _all_args(sub.args):
                    info.scope.bind(arg.arg, Binding("param", info.scope, sub.lineno, function=info, arg=arg))
                info.returns.append(sub.body)
                self.module.functions[sub] = info
            elif isinstance(sub, ast.NamedExpr) and isinstance(sub.target, ast.Name):
                scope.bind(sub.target.id, Binding("assign", scope, sub.lineno, value=sub.value))
            elif isinstance(sub, ast.Yield | ast.YieldFrom) and function is not None:
                function.is_generator = True
            elif isinstance(sub, ast.Call) and _registrar(sub.func):
                self.module.registrations.append((sub, scope))

    def _target(self, target: ast.expr, value: ast.expr, scope: Scope, function: FunctionInfo | None) -> None:
        if isinstance(target, ast.Name):
            scope.bind(target.id, Binding("assign", scope, target.lineno, value=value))
        elif isinstance(target, ast.Tuple | ast.List):
            for position, element in enumerate(target.elts):
                if isinstance(element, ast.Name):
                    scope.bind(
                        element.id, Binding("assign", scope, element.lineno, value=value, index=position)
                    )
        elif isinstance(target, ast.Attribute) and _is_state(target):
            self.module.state_assignments.append((target.attr, value, scope))
        elif isinstance(target, ast.Attribute) and function is not None and function.klass is not None:
            receiver = target.value
            first = _first_param(function)
            if isinstance(receiver, ast.Name) and receiver.id == first:
                function.klass.self_assignments.setdefault(target.attr, []).append((value, function))

    def _bind_target(self, target: ast.expr, kind: str, value: ast.expr, scope: Scope) -> None:
        if isinstance(target, ast.Name):
            scope.bind(target.id, Binding(kind, scope, target.lineno, value=value))
        else:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name):
                    scope.bind(sub.id, Binding("for", scope, sub.lineno))

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope) -> None:
        klass = scope.klass if scope.kind == "class" else None
        inner = Scope("function", self.module, scope)
        info = FunctionInfo(node, self.module, inner, klass, isinstance(node, ast.AsyncFunctionDef))
        inner.function = info
        self.module.functions[node] = info
        scope.bind(node.name, Binding("def", scope, node.lineno, function=info))
        if klass is not None:
            klass.methods[node.name] = info
        for arg in _all_args(node.args):
            inner.bind(arg.arg, Binding("param", inner, node.lineno, function=info, arg=arg))
        self._body(node.body, inner, info)

    def _class(self, node: ast.ClassDef, scope: Scope) -> None:
        inner = Scope("class", self.module, scope)
        info = ClassInfo(node, self.module, inner)
        inner.klass = info
        if scope.kind == "module":
            self.module.classes[node.name] = info
        self.module.class_nodes[node] = info
        scope.bind(node.name, Binding("class", scope, node.lineno, klass=info))
        self._body(node.body, inner, None)


def _is_state(target: ast.Attribute) -> bool:
    return isinstance(target.value, ast.Attribute) and target.value.attr == "state"


def _registrar(func: ast.expr) -> bool:
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in ROUTE_REGISTRARS


def _all_args(args: ast.arguments) -> list[ast.arg]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    if args.vararg:
        every.append(args.vararg)
    if args.kwarg:
        every.append(args.kwarg)
    return every


def _first_param(function: FunctionInfo) -> str | None:
    args = function.node.args
    positional = [*args.posonlyargs, *args.args]
    return positional[0].arg if positional else None


class Project:
    """The modules being linted plus, on demand, other modules of the same top-level packages."""

    def __init__(self) -> None:
        self.modules: dict[str, ModuleInfo] = {}
        self._roots: dict[str, Path] = {}  # top-level package -> directory it lives in
        self._missing: set[str] = set()
        self.state_assignments: dict[str, list[tuple[ast.expr, Scope]]] = {}

    def add(self, path: Path, display_path: str, tree: ast.Module, source: str) -> ModuleInfo:
        """Index a parsed file and remember its package root for on-demand imports."""
        name, root = module_name_for(path)
        module = ModuleInfo(
            path=path,
            display_path=display_path,
            name=name,
            is_package=path.name == "__init__.py",
            tree=tree,
            lines=source.splitlines(),
        )
        _Indexer(module).run()
        self.modules.setdefault(name, module)
        for attr, value, scope in module.state_assignments:
            self.state_assignments.setdefault(attr, []).append((value, scope))
        top = name.partition(".")[0]
        if "." in name or path.name == "__init__.py":
            self._roots.setdefault(top, root)
        return module

    def module(self, name: str) -> ModuleInfo | None:
        """A module of a package being linted, parsed on first use; None when it is not ours."""
        found = self.modules.get(name)
        if found is not None or name in self._missing:
            return found
        root = self._roots.get(name.partition(".")[0])
        if root is None:
            self._missing.add(name)
            return None
        base = root.joinpath(*name.split("."))
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                try:
                    source = candidate.read_text(encoding="utf-8")
                    tree = ast.parse(source, filename=str(candidate))
                except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
                    break
                return self.add(candidate, str(candidate), tree, source)
        self._missing.add(name)
        return None
