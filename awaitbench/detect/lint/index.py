"""The project index: every module's scopes, bindings, functions and classes, built in one walk per file.

Modules are keyed by file and belong to one lint root; imports resolve within that root through the
directories a service could be run from (namespace packages work, roots never mix); modules a root imports
but nobody named are parsed on demand, once.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from awaitbench.detect.lint.known import ROUTE_REGISTRARS
from awaitbench.detect.lint.names import STDLIB, import_bindings, module_name_for, package_root
from awaitbench.detect.lint.walk import children

__all__ = ["Binding", "ClassInfo", "FunctionInfo", "ModuleInfo", "Project", "RootIndex", "Scope"]

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_CONTAINER_METHODS = frozenset({"setdefault", "append", "add", "insert", "update"})


@dataclass(eq=False)
class Binding:
    """One way a scope binds a name. `kind` is assign/param/def/class/import/with/for/except; `value` the
    bound expression (assign, with, for), `index` the position in a tuple unpacking; an import binds
    `qualified` at `level` (0 absolute, 1 for `from .`, ...)."""

    kind: str
    scope: Scope
    line: int
    value: ast.expr | None = None
    index: int | None = None
    qualified: str = ""
    level: int = 0
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
    """A `def`/`async def`/`lambda`: where it is, what it returns or yields, its class if a method."""

    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
    module: ModuleInfo
    scope: Scope
    klass: ClassInfo | None
    is_async: bool
    returns: list[ast.expr] = field(default_factory=list)
    yields: list[ast.expr] = field(default_factory=list)
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
class RootIndex:
    """What a lint root's modules share: `app.state.<attr>` assignments, container writes
    (`clients["openai"] = ...`) and call sites by callee name (to infer unannotated parameters)."""

    path: Path
    state_assignments: dict[str, list[tuple[ast.expr, Scope]]] = field(default_factory=dict)
    containers: dict[str, list[tuple[ast.expr | None, ast.expr, Scope]]] = field(default_factory=dict)
    calls: dict[str, list[tuple[ast.Call, Scope]]] = field(default_factory=dict)


@dataclass(eq=False)
class ModuleInfo:
    """One parsed file and everything indexed from it."""

    path: Path
    display_path: str
    name: str
    is_package: bool
    tree: ast.Module
    lines: list[str]
    root: RootIndex
    scope: Scope = field(init=False)
    functions: dict[ast.AST, FunctionInfo] = field(default_factory=dict)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    class_nodes: dict[ast.AST, ClassInfo] = field(default_factory=dict)
    # `app.add_api_route("/p", f)`, `Route("/p", f)`: calls that may register a handler, with their scope.
    registrations: list[tuple[ast.Call, Scope]] = field(default_factory=list)
    # `from x import *`: (dotted module, level), looked up for names the module does not bind itself.
    star_imports: list[tuple[str, int]] = field(default_factory=list)
    imports: list[Binding] = field(default_factory=list)  # every import, wherever it is

    def __post_init__(self) -> None:
        self.scope = Scope("module", self, None)


class _Indexer:
    """Fills a ModuleInfo's scopes in one recursive walk."""

    def __init__(self, module: ModuleInfo) -> None:
        self.module = module
        self.root = module.root

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
            if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names):
                self.module.star_imports.append((node.module or "", node.level))
                star = f"{node.module or ''}.*"
                self.module.imports.append(
                    Binding("import", scope, node.lineno, qualified=star, level=node.level)
                )
            for local, qualified, level in import_bindings(node):
                binding = Binding("import", scope, node.lineno, qualified=qualified, level=level)
                self._home(local, scope).bind(local, binding)
                self.module.imports.append(binding)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if item.optional_vars is not None:
                    self._bind_target(item.optional_vars, "with", item.context_expr, scope)
        elif isinstance(node, ast.For | ast.AsyncFor):
            self._bind_target(node.target, "for", node.iter, scope)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            scope.global_names.update(node.names if isinstance(node, ast.Global) else ())
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

    def _home(self, name: str, scope: Scope) -> Scope:
        """Where an assignment to `name` binds: the module's scope when the function declared it global."""
        return self.module.scope if name in scope.global_names else scope

    def _expressions(self, node: ast.stmt, scope: Scope, function: FunctionInfo | None) -> None:
        """Lambdas, walrus targets, yields, calls and registrations inside a statement's own expressions."""
        stack: list[ast.AST] = [  # a statement's expressions, `with` items included
            child
            for child in children(node)
            if not isinstance(child, ast.stmt | ast.excepthandler | ast.match_case)
        ]
        while stack:
            sub = stack.pop()
            stack.extend(children(sub))
            if isinstance(sub, ast.Call):
                self._call(sub, scope)
            elif isinstance(sub, ast.Lambda):
                self._lambda(sub, scope)
            elif isinstance(sub, ast.NamedExpr) and isinstance(sub.target, ast.Name):
                name = sub.target.id
                self._home(name, scope).bind(name, Binding("assign", scope, sub.lineno, value=sub.value))
            elif isinstance(sub, ast.Yield | ast.YieldFrom) and function is not None:
                function.is_generator = True
                if isinstance(sub, ast.Yield) and sub.value is not None:
                    function.yields.append(sub.value)
                    self._lifespan_state(sub.value, scope)

    def _call(self, call: ast.Call, scope: Scope) -> None:
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name:
            self.root.calls.setdefault(name, []).append((call, scope))
        if name in ROUTE_REGISTRARS:
            self.module.registrations.append((call, scope))
        if (
            isinstance(func, ast.Attribute)
            and name in _CONTAINER_METHODS
            and isinstance(func.value, ast.Name)
        ):
            self._container_write(func.value.id, name, call, scope)

    def _container_write(self, target: str, method: str, call: ast.Call, scope: Scope) -> None:
        """`x.setdefault(k, v)`, `x.append(v)`, `x.update({k: v}, k=v)`: what the container may hold."""
        stored = self.root.containers.setdefault(target, [])
        if method == "update":
            for arg in call.args:
                pairs = zip(arg.keys, arg.values, strict=True) if isinstance(arg, ast.Dict) else [(None, arg)]
                stored.extend((key, value, scope) for key, value in pairs)
            stored.extend((ast.Constant(kw.arg), kw.value, scope) for kw in call.keywords if kw.arg)
            return
        keyed = method in ("setdefault", "insert")
        key = call.args[0] if keyed and call.args else None
        stored.extend((key, value, scope) for value in (call.args[1:2] if keyed else call.args[:1]))

    def _lambda(self, node: ast.Lambda, scope: Scope) -> None:
        info = FunctionInfo(node, self.module, Scope("function", self.module, scope), None, False)
        info.scope.function = info
        for arg in _all_args(node.args):
            info.scope.bind(arg.arg, Binding("param", info.scope, node.lineno, function=info, arg=arg))
        info.returns.append(node.body)
        self.module.functions[node] = info

    def _lifespan_state(self, value: ast.expr, scope: Scope) -> None:
        """`yield {"client": AsyncOpenAI()}` in a lifespan: Starlette serves it as `request.state.client`."""
        if isinstance(value, ast.Dict):
            for key, item in zip(value.keys, value.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    self.root.state_assignments.setdefault(key.value, []).append((item, scope))

    def _target(self, target: ast.expr, value: ast.expr, scope: Scope, function: FunctionInfo | None) -> None:
        if isinstance(target, ast.Name):
            home = self._home(target.id, scope)
            home.bind(target.id, Binding("assign", scope, target.lineno, value=value))
        elif isinstance(target, ast.Tuple | ast.List):
            for position, element in enumerate(target.elts):
                if isinstance(element, ast.Name):
                    binding = Binding("assign", scope, element.lineno, value=value, index=position)
                    self._home(element.id, scope).bind(element.id, binding)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            key = target.slice if not isinstance(target.slice, ast.Slice) else None
            self.root.containers.setdefault(target.value.id, []).append((key, value, scope))
        elif isinstance(target, ast.Attribute) and _is_state(target):
            self.root.state_assignments.setdefault(target.attr, []).append((value, scope))
        elif isinstance(target, ast.Attribute) and function is not None and function.klass is not None:
            receiver = target.value
            first = _first_param(function)
            if isinstance(receiver, ast.Name) and receiver.id == first:
                function.klass.self_assignments.setdefault(target.attr, []).append((value, function))

    def _bind_target(self, target: ast.expr, kind: str, value: ast.expr, scope: Scope) -> None:
        if isinstance(target, ast.Name):
            self._home(target.id, scope).bind(target.id, Binding(kind, scope, target.lineno, value=value))
        else:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name):
                    self._home(sub.id, scope).bind(sub.id, Binding("for", scope, sub.lineno))

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope) -> None:
        klass = scope.klass if scope.kind == "class" else None
        inner = Scope("function", self.module, scope)
        info = FunctionInfo(node, self.module, inner, klass, isinstance(node, ast.AsyncFunctionDef))
        inner.function = info
        self.module.functions[node] = info
        self._home(node.name, scope).bind(node.name, Binding("def", scope, node.lineno, function=info))
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


Parser = Callable[[str, str], ast.Module]


_INSTALLED = frozenset({"site-packages", "dist-packages"})


class Project:
    """The modules being linted, by file, each in its lint root; other modules of a root on demand."""

    def __init__(self, parse: Parser, external: frozenset[str] = frozenset()) -> None:
        self.modules: dict[Path, ModuleInfo] = {}
        self._parse = parse
        self._external = STDLIB | external
        self._roots: dict[Path, RootIndex] = {}
        self._missing: set[Path] = set()
        self._bases: dict[tuple[Path, Path], tuple[Path, ...]] = {}
        self._found: dict[tuple[Path, int, str, int], ModuleInfo | None] = {}

    def root(self, path: Path) -> RootIndex:
        """The shared index of the lint root at `path` (created on first use)."""
        found = self._roots.get(path)
        if found is None:
            found = self._roots[path] = RootIndex(path)
        return found

    def add(self, path: Path, display_path: str, tree: ast.Module, source: str, root: Path) -> ModuleInfo:
        """Index a parsed file as a module of `root`."""
        resolved = path.resolve()
        known = self.modules.get(resolved)
        if known is not None:
            return known
        module = ModuleInfo(
            path=resolved,
            display_path=display_path,
            name=module_name_for(resolved),
            is_package=path.name == "__init__.py" or resolved.is_dir(),
            tree=tree,
            lines=source.splitlines(),
            root=self.root(root),
        )
        self.modules[resolved] = module
        _Indexer(module).run()
        return module

    def _load(self, path: Path, root: RootIndex) -> ModuleInfo | None:
        """A module file (or a namespace package directory) of `root`, parsed on first use."""
        resolved = path.resolve()
        if _INSTALLED & set(resolved.parts) and root.path not in resolved.parents:
            return None  # an installed distribution beside the one being linted: not the project's code
        found = self.modules.get(resolved)
        if found is not None or resolved in self._missing:
            return found
        try:
            source = "" if resolved.is_dir() else resolved.read_text(encoding="utf-8")
            tree = self._parse(source, str(path))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            self._missing.add(resolved)
            return None
        return self.add(resolved, str(path), tree, source, root.path)

    def _dotted(self, base: Path, dotted: str, root: RootIndex) -> ModuleInfo | None:
        target = base.joinpath(*dotted.split("."))
        for candidate in (target.with_suffix(".py"), target / "__init__.py"):
            if candidate.is_file():
                return self._load(candidate, root)
        return self._load(target, root) if target.is_dir() else None

    def submodule(self, module: ModuleInfo, attr: str) -> ModuleInfo | None:
        """`package.attr` when `attr` is a module of the package (or namespace package) `module`."""
        if not module.is_package:
            return None
        directory = module.path.parent if module.path.name == "__init__.py" else module.path
        return self._dotted(directory, attr, module.root)

    def bases(self, module: ModuleInfo) -> tuple[Path, ...]:
        """Where `module`'s absolute imports may resolve: its package root, its own directory, every
        directory up to the lint root that is not itself a package, and the lint root (a service may be
        run from any of them)."""
        directory = module.path.parent
        key = (directory, module.root.path)
        found = self._bases.get(key)
        if found is not None:
            return found
        bases = [package_root(directory), directory]  # the package's root, and a script's directory
        current = directory
        while True:
            if not (current / "__init__.py").is_file() and current not in bases:
                bases.append(current)
            if (
                current == module.root.path
                or current.parent == current
                or module.root.path not in current.parents
            ):
                break
            current = current.parent
        if module.root.path not in bases:
            bases.append(module.root.path)
        self._bases[key] = found = tuple(bases)
        return found

    def find(self, importer: ModuleInfo, dotted: str, level: int = 0) -> ModuleInfo | None:
        """The module `dotted` names from `importer` (`level` dots of relative import), if it is ours."""
        if not level and dotted.partition(".")[0] in self._external:
            return None
        key = (importer.path.parent, id(importer.root), dotted, level)
        if key in self._found:
            return self._found[key]
        self._found[key] = found = self._find(importer, dotted, level)
        return found

    def _find(self, importer: ModuleInfo, dotted: str, level: int) -> ModuleInfo | None:
        if level:
            base = importer.path.parent
            for _ in range(level - 1):
                base = base.parent
            if not dotted:
                return self._dotted(base.parent, base.name, importer.root) if base.name else None
            return self._dotted(base, dotted, importer.root)
        first = dotted.partition(".")[0]
        if not first or first in self._external:
            return None
        for base in self.bases(importer):
            if (base / first).is_dir() or (base / f"{first}.py").is_file():
                found = self._dotted(base, dotted, importer.root)
                if found is not None:
                    return found
        return None
