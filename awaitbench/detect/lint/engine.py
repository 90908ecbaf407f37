"""The lint run: find the files, parse each once, index them, walk each tree once with every rule.

The walk hands each node to the rules that asked for its type (`Rule.node_types`), keeping the innermost
scope, function and ancestors in a `Context`; cross-function questions go to the memoised `CallGraph`.
"""

from __future__ import annotations

import ast
import fnmatch
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from awaitbench.detect.lint.callgraph import CallGraph
from awaitbench.detect.lint.config import DEFAULT_EXCLUDE, TEST_EXCLUDE, LintConfig
from awaitbench.detect.lint.ecosystem import PACKAGES
from awaitbench.detect.lint.errors import LintUsageError
from awaitbench.detect.lint.findings import SYNTAX_ERROR, Finding, Severity, severity_rank
from awaitbench.detect.lint.index import ModuleInfo, Project
from awaitbench.detect.lint.names import package_root
from awaitbench.detect.lint.noqa import suppressed
from awaitbench.detect.lint.parse import parse_source
from awaitbench.detect.lint.rules import Context, Report, Rule
from awaitbench.detect.lint.values import Resolver
from awaitbench.detect.lint.walk import children

__all__ = ["LintResult", "discover", "lint_paths", "lint_sources"]

_Check = Callable[[ast.AST, Context], Iterable[Report]]


@dataclass(frozen=True, kw_only=True)
class LintResult:
    """What a run found. `skipped` lists files that parsed but could not be analysed, one line each."""

    findings: tuple[Finding, ...]
    files: int
    lines: int
    skipped: tuple[str, ...] = ()


def _excluded(name: str, relative: str, patterns: Sequence[str]) -> bool:
    """A pattern with a `/` matches the path relative to the linted directory, others the name alone
    (`test_*.py` skips test files, not everything under `test_scripts/`)."""
    return any(fnmatch.fnmatch(relative if "/" in p else name, p) for p in patterns)


def discover(
    paths: Sequence[str | Path], exclude: Sequence[str] = (*DEFAULT_EXCLUDE, *TEST_EXCLUDE)
) -> list[tuple[Path, str, Path]]:
    """(path, display path, lint root) of every Python file under `paths`, sorted; named files are always
    kept. A file's root is the outermost named directory holding it, or a named file's package root.

    Raises:
        LintUsageError: a path does not exist or cannot be read.
    """
    given = [Path(p) for p in paths]
    for path, text in zip(given, paths, strict=True):
        if not path.exists():
            raise LintUsageError(f"{text}: no such file or directory: pass a Python file or a directory")
        if not os.access(path, os.R_OK):
            raise LintUsageError(f"{text}: permission denied: make it readable or leave it out")
    directories = sorted({p.resolve() for p in given if p.is_dir()}, key=lambda p: len(p.parts))
    found: list[tuple[Path, str, Path]] = []
    for path, text in zip(given, paths, strict=True):
        if path.is_file():
            found.append((path, str(text), _root_of(path.resolve(), directories)))
            continue
        root = _root_of(path.resolve(), directories)
        for directory, dirnames, filenames in os.walk(path):
            relative_dir = os.path.relpath(directory, path)
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not _excluded(d, os.path.normpath(os.path.join(relative_dir, d)), exclude)
                and not os.path.isfile(os.path.join(directory, d, "pyvenv.cfg"))
            )
            for filename in sorted(filenames):
                relative = os.path.normpath(os.path.join(relative_dir, filename))
                if filename.endswith((".py", ".pyi")) and not _excluded(filename, relative, exclude):
                    found.append((Path(directory) / filename, os.path.join(str(text), relative), root))
    return found


def _root_of(path: Path, directories: Sequence[Path]) -> Path:
    for directory in directories:  # outermost first
        if path == directory or directory in path.parents:
            return directory
    return package_root(path.parent)


def _dispatch(rules: Sequence[Rule]) -> dict[type[ast.AST], list[tuple[Rule, _Check]]]:
    table: dict[type[ast.AST], list[tuple[Rule, _Check]]] = {}
    for rule in rules:
        for node_type in rule.node_types:
            table.setdefault(node_type, []).append((rule, rule.check))
    return table


class _Walker:
    """One walk over one module, calling the rules' checks (see the module docstring). Functions named
    `test_*` are test code, skipped unless tests are linted."""

    def __init__(
        self, ctx: Context, table: dict[type[ast.AST], list[tuple[Rule, _Check]]], *, tests: bool = False
    ) -> None:
        self.ctx = ctx
        self.table = table
        self.tests = tests
        self.reports: list[tuple[Rule, Report]] = []

    def visit(self, node: ast.AST) -> None:
        if not self.tests and isinstance(node, _FUNCTIONS) and node.name.startswith("test_"):
            return
        checks = self.table.get(type(node))
        if checks:
            for rule, check in checks:
                for report in check(node, self.ctx):
                    self.reports.append((rule, report))
        ctx = self.ctx
        module = ctx.module
        inner_scope = None
        outer: list[ast.AST] = []
        inner = children(node)
        info = module.functions.get(node) if isinstance(node, _SCOPED) else None
        if info is not None:
            inner_scope, inner_function = info.scope, info
            outer, inner = _signature(node), _body(node)
        elif isinstance(node, ast.ClassDef) and node in module.class_nodes:
            inner_scope, inner_function = module.class_nodes[node].scope, None
            outer, inner = [*node.decorator_list, *node.bases, *node.keywords], list(node.body)
        ctx.ancestors.append(node)
        for child in outer:  # decorators, defaults, annotations: evaluated where the def is
            self.visit(child)
        if inner_scope is None:
            for child in inner:
                self.visit(child)
        else:
            saved = (ctx.scope, ctx.function)
            ctx.scope, ctx.function = inner_scope, inner_function
            for child in inner:
                self.visit(child)
            ctx.scope, ctx.function = saved
        ctx.ancestors.pop()


def _signature(node: ast.AST) -> list[ast.AST]:
    """The parts of a def or lambda that run in the enclosing scope, when the def statement runs."""
    args: ast.arguments = node.args  # type: ignore[attr-defined]
    parts: list[ast.AST] = [*getattr(node, "decorator_list", ()), *args.defaults]
    parts += [d for d in args.kw_defaults if d is not None]
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    parts += [a.annotation for a in every if a is not None and a.annotation is not None]
    returns = getattr(node, "returns", None)
    return [*parts, returns] if returns is not None else parts


def _body(node: ast.AST) -> list[ast.AST]:
    body = node.body  # type: ignore[attr-defined]
    return list(body) if isinstance(body, list) else [body]


_SCOPED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _column(module: ModuleInfo, line: int, byte_offset: int) -> int:
    """ast gives UTF-8 byte offsets; users (and ruff, and SARIF's code points) count characters."""
    text = module.lines[line - 1] if 0 < line <= len(module.lines) else ""
    if text.isascii():
        return byte_offset + 1
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore")) + 1


def _finding(module: ModuleInfo, rule: Rule, report: Report, why: Mapping[str, str]) -> Finding:
    line = getattr(report.node, "lineno", 1)
    col = _column(module, line, getattr(report.node, "col_offset", 0))
    reason = why.get(rule.pitfall) or rule.why
    return Finding(
        path=module.display_path,
        line=line,
        col=col,
        code=rule.code,
        pitfall=rule.pitfall,
        severity=report.severity or rule.severity,
        message=f"{report.message} — {reason}",
        fix=rule.fix,
    )


def _syntax_error(display: str, error: SyntaxError) -> Finding:
    return Finding(
        path=display,
        line=error.lineno or 1,
        col=error.offset or 1,
        code=SYNTAX_ERROR,
        pitfall=None,
        severity="high",
        message=f"SyntaxError: {error.msg}: the file was not checked",
        fix="Fix the syntax error (code in Python 3.11-3.14 syntax parses on any supported Python).",
    )


def _lint_module(
    module: ModuleInfo,
    resolver: Resolver,
    graph: CallGraph,
    table: dict[type[ast.AST], list[tuple[Rule, _Check]]],
    why: Mapping[str, str],
    tests: bool,
) -> list[Finding]:
    if graph.is_script(module):
        table = {kind: [(r, c) for r, c in checks if r.in_scripts] for kind, checks in table.items()}
    walker = _Walker(Context(module, resolver, graph, module.scope), table, tests=tests)
    walker.visit(module.tree)
    findings = []
    for rule, report in walker.reports:
        finding = _finding(module, rule, report, why)
        text = module.lines[finding.line - 1] if 0 < finding.line <= len(module.lines) else ""
        if not suppressed(text, finding.code):
            findings.append(finding)
    return findings


def lint_sources(
    sources: Sequence[tuple[Path, str, str]],
    rules: Sequence[Rule],
    why: Mapping[str, str] | None = None,
    *,
    roots: Mapping[Path, Path] | None = None,
    min_severity: Severity = "low",
    include_tests: bool = False,
) -> LintResult:
    """Lint already-read files: (path on disk, display path, source text) each. `roots` maps a path to its
    lint root (default: the file's package root); findings below `min_severity` are left out; functions
    named `test_*` are skipped unless `include_tests`."""
    project = Project(parse_source, PACKAGES)
    modules: list[ModuleInfo] = []
    findings: list[Finding] = []
    skipped: list[str] = []
    lines = 0
    for path, display, source in sources:
        lines += source.count("\n") + 1
        try:
            tree = parse_source(source, display)
        except (SyntaxError, ValueError) as exc:
            error = exc if isinstance(exc, SyntaxError) else SyntaxError(str(exc))
            findings.append(_syntax_error(display, error))
            continue
        root = (roots or {}).get(path) or package_root(path.resolve().parent)
        modules.append(project.add(path, display, tree, source, root))
    resolver = Resolver(project)
    graph = CallGraph(resolver)
    table = _dispatch(rules)
    for module in modules:
        try:
            findings.extend(_lint_module(module, resolver, graph, table, why or {}, include_tests))
        except RecursionError:  # a pathologically deep expression: report the file, keep going
            skipped.append(f"{module.display_path}: nested too deeply to analyse; skipped")
    limit = severity_rank(min_severity)
    kept = {f for f in findings if severity_rank(f.severity) <= limit}
    return LintResult(
        findings=tuple(sorted(kept, key=Finding.sort_key)),
        files=len(sources),
        lines=lines,
        skipped=tuple(skipped),
    )


def _read(path: Path, display: str) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LintUsageError(f"{display}: not UTF-8 ({exc.reason}): convert it or exclude it") from exc
    except OSError as exc:
        raise LintUsageError(
            f"{display}: cannot read ({exc.strerror}): fix its permissions or leave it out"
        ) from exc


def lint_paths(
    paths: Sequence[str | Path], config: LintConfig | None = None, *, why: Mapping[str, str] | None = None
) -> LintResult:
    """Lint every Python file under `paths` with the rules `config` selects.

    Args:
        paths: files and directories.
        config: rules and excludes (default: every rule, default excludes).
        why: pitfall id -> one line saying what the pitfall costs, appended to each finding's message
            (the CLI passes the catalogue's theory or the measured cost); rules' own text otherwise.

    Raises:
        LintUsageError: a path is missing or unreadable, or a selector is unknown.
    """
    config = config or LintConfig()
    rules = config.rules()
    files = discover(paths, config.excluded())
    sources = [(path, display, _read(path, display)) for path, display, _root in files]
    roots = {path: root for path, _display, root in files}
    return lint_sources(
        sources,
        rules,
        why,
        roots=roots,
        min_severity=config.min_severity,
        include_tests=config.include_tests,
    )
