"""The import rules of the architecture, read from the source (AST), never by importing it.

Data flows one way: scenario metadata -> bench -> results -> reports. Each rule below is one sentence of
docs/contracts.md made executable; a violation names the file, the line, the import and the rule, so the
fix is obvious (move the code, or pass the value in from `awaitbench`, the one CLI package that wires the
others together).

What counts as an import: `import x`, `from x import y` (as `x.y`, so `from bench import results` is
`bench.results`), relative imports resolved against the module's package, imports inside functions (the
lazy ones), and `importlib.import_module` / `__import__` with a literal (or the literal head of an
f-string). A dependency only for type checking is still a dependency, so `if TYPE_CHECKING:` blocks count.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Every first-party package.
PACKAGES = ("awaitbench", "bench", "examples", "fake_llm", "reports", "scenarios")
# The runtime a team installs into its service: inside the awaitbench package, but no part of the CLI.
DETECT = "awaitbench.detect"
# The typed-options leaf (options, the one-line parser, the SIGTERM handler) that every command line uses.
OPTIONS = "awaitbench.options"


@dataclass(frozen=True, kw_only=True)
class Rule:
    """Modules under `scope` must not import anything under `forbidden`, except under `allowed`.

    Prefixes are dotted module names and match whole components (`bench` matches `bench.run`, never
    `benchmark`). `exempt` lists modules the rule does not apply to, each with its reason in `text`.
    """

    text: str
    scope: str
    forbidden: tuple[str, ...]
    allowed: tuple[str, ...] = ()
    exempt: tuple[str, ...] = ()

    def applies_to(self, module: str) -> bool:
        return _under(module, self.scope) and module not in self.exempt

    def breaks(self, imported: str) -> bool:
        return any(_under(imported, p) for p in self.forbidden) and not any(
            _under(imported, p) for p in self.allowed
        )


# The plain frozen data of a diagnosis: the only part of detect that reports may read.
DIAGNOSIS_DATA = tuple(f"{DETECT}.diagnose.{name}" for name in ("document", "evidence", "findings"))

RULES: tuple[Rule, ...] = (
    *(
        Rule(
            text="only awaitbench's CLI wires the packages together: no other package imports awaitbench "
            "outside awaitbench.detect and awaitbench.options (bench/__main__.py is the `python -m bench` "
            "alias of the CLI)",
            scope=package,
            forbidden=("awaitbench",),
            allowed=(DETECT, OPTIONS),
            exempt=("bench.__main__",),
        )
        for package in PACKAGES
        if package != "awaitbench"
    ),
    Rule(
        text="examples are services of a team of their own, as awaitbench diagnose sees them: they import "
        "nothing of awaitbench's packages",
        scope="examples",
        forbidden=("awaitbench", "bench", "fake_llm", "reports", "scenarios"),
    ),
    Rule(
        text="fake_llm stands alone: it imports none of awaitbench (but the options leaf), bench, scenarios, "
        "reports",
        scope="fake_llm",
        forbidden=("awaitbench", "bench", "scenarios", "reports"),
        allowed=(OPTIONS,),
    ),
    Rule(
        text="awaitbench.options is a leaf every package may build on: it imports nothing of ours",
        scope=OPTIONS,
        forbidden=PACKAGES,
    ),
    Rule(
        text="scenarios import neither bench nor reports: the apps under test know nothing of who measures "
        "them",
        scope="scenarios",
        forbidden=("bench", "reports"),
    ),
    Rule(
        text="reports read only the results format and a diagnosis's plain data: of the other packages, only "
        "bench.results and awaitbench.detect.diagnose's document, evidence and findings",
        scope="reports",
        forbidden=("awaitbench", "bench", "scenarios", "fake_llm"),
        allowed=("bench.results", *DIAGNOSIS_DATA),
    ),
    Rule(
        text="reports never start processes: no subprocess, multiprocessing, process pool or bench.processes",
        scope="reports",
        forbidden=(
            "subprocess",
            "multiprocessing",
            "concurrent.futures.process",
            "concurrent.futures.ProcessPoolExecutor",
            "bench.processes",
        ),
    ),
    Rule(
        text="bench never imports reports: results flow one way, bench -> results -> reports (the CLI joins "
        "them)",
        scope="bench",
        forbidden=("reports",),
    ),
    Rule(
        text="the results format (bench/results/) is a leaf: it imports nothing of bench outside itself",
        scope="bench.results",
        forbidden=("awaitbench", "bench", "scenarios", "fake_llm", "reports"),
        allowed=("bench.results",),
    ),
    Rule(
        text="the load generators (bench/loadgen/) import of ours only bench.processes (scheduling) and "
        "scenarios (the request spec): run, perf and diagnose drive them, never the other way round",
        scope="bench.loadgen",
        forbidden=("awaitbench", "bench", "fake_llm", "reports"),
        allowed=("bench.loadgen", "bench.processes"),
    ),
    Rule(
        text="awaitbench.detect reads and runs inside the user's code: it imports none of bench, reports, "
        "scenarios, fake_llm, nor the CLI around it",
        scope=DETECT,
        forbidden=("awaitbench", "bench", "reports", "scenarios", "fake_llm"),
        allowed=(DETECT,),
    ),
)


# Violations that the bench/reports branch of the issue-8 refactor removes (reports gets its own error
# type). Each entry must still occur: once it is fixed, the test fails until the entry is deleted here.
PENDING: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    imported: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: imports {self.imported} -- breaks the rule: {self.rule}"


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def module_name(path: Path) -> str:
    """`bench/results/files.py` -> `bench.results.files`; a package's `__init__.py` -> the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _literal_head(node: ast.expr) -> str | None:
    """The module named by `import_module("x.y")`, or by the literal head of `f"x.{name}"` (-> `x`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        head = node.values[0]
        if isinstance(head, ast.Constant) and isinstance(head.value, str):
            return head.value.rsplit(".", 1)[0] if "." in head.value else None
    return None


def _is_import_call(node: ast.Call) -> bool:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in ("import_module", "__import__") and bool(node.args)


def imports_of(source: str, module: str, *, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """(line, dotted name) for every import in `source`, at any depth (functions included)."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: `from ..run import x` inside bench.results.files
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                yield node.lineno, base if alias.name == "*" else f"{base}.{alias.name}"
        elif isinstance(node, ast.Call) and _is_import_call(node):
            named = _literal_head(node.args[0])
            if named:
                yield node.lineno, named


def check_source(source: str, *, module: str, path: str, is_package: bool = False) -> list[Violation]:
    """Every rule broken by one module's source."""
    rules = [rule for rule in RULES if rule.applies_to(module)]
    return [
        Violation(path, line, imported, rule.text)
        for line, imported in imports_of(source, module, is_package=is_package)
        for rule in rules
        if rule.breaks(imported)
    ]


def first_party_modules() -> list[Path]:
    return sorted(
        p for package in PACKAGES if (ROOT / package).is_dir() for p in (ROOT / package).rglob("*.py")
    )


def test_every_package_follows_the_import_rules() -> None:
    violations = []
    for path in first_party_modules():
        violations += check_source(
            path.read_text(),
            module=module_name(path),
            path=str(path.relative_to(ROOT)),
            is_package=path.name == "__init__.py",
        )
    broken = [v for v in violations if (v.path, v.imported) not in PENDING]
    assert not broken, "import rules broken:\n" + "\n".join(map(str, broken))
    fixed = PENDING - {(v.path, v.imported) for v in violations}
    assert not fixed, f"fixed at last: delete {sorted(fixed)} from PENDING in {Path(__file__).name}"


def test_every_rule_applies_to_some_module() -> None:
    # A rule whose scope was renamed away would pass for ever: fail and say which rule to update.
    modules = [module_name(path) for path in first_party_modules()]
    idle = [rule.text for rule in RULES if not any(map(rule.applies_to, modules))]
    assert not idle, f"rules that match no module (was a package moved? update RULES): {idle}"


def test_every_top_level_package_is_known() -> None:
    # A new package must get its row in the rules (and in docs/contracts.md) before it grows imports.
    found = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert found <= set(PACKAGES), f"unknown top-level packages {sorted(found - set(PACKAGES))}: add rules"


# ------------------------------------------------------------------------------ the checker's own tests

BAD_REPORT = '''
"""A report module that breaks three rules, one of them lazily inside a function."""
import subprocess
from bench.results import load_run  # allowed: the results format
from bench import results  # allowed: bench.results itself


def render():
    from bench.run.plan import plan_points  # a lazy import still counts
    return plan_points
'''


def test_checker_flags_a_synthetic_violation() -> None:
    found = check_source(BAD_REPORT, module="reports.bad", path="reports/bad.py")
    assert [(v.line, v.imported) for v in found] == [(3, "subprocess"), (9, "bench.run.plan.plan_points")]
    assert str(found[1]).startswith(
        "reports/bad.py:9: imports bench.run.plan.plan_points -- breaks the rule:"
    )
    assert "only bench.results" in str(found[1])


@pytest.mark.parametrize(
    ("source", "module", "is_package", "expected"),
    [
        ("from ..run import plan", "bench.results.files", False, ["bench.run.plan"]),
        ("from . import records", "bench.results", True, []),
        ("from .records import X", "bench.results.files", False, []),
        ("import importlib\nimportlib.import_module('bench.run')", "fake_llm.app", False, ["bench.run"]),
        ("import importlib\nimportlib.import_module(f'reports.{x}')", "scenarios.x", False, ["reports"]),
        ("from awaitbench.cli import main", "bench.__main__", False, []),
        ("from awaitbench.cli import main", "bench.run.plan", False, ["awaitbench.cli.main"]),
        ("import benchmark_tools", "fake_llm.app", False, []),  # a prefix matches whole components only
        ("from awaitbench.detect.harness import Harness", "awaitbench.detect.probe", False, []),
        (
            "from bench.errors import UsageError",
            "awaitbench.detect.probe",
            False,
            ["bench.errors.UsageError"],
        ),
        (
            "from scenarios.model import Scenario",
            "awaitbench.detect.rules",
            False,
            ["scenarios.model.Scenario"],
        ),
        ("from awaitbench.detect.diagnose.findings import Finding", "reports.diagnose", False, []),
        ("from awaitbench.options import option", "fake_llm.config", False, []),
        ("from awaitbench.options import Options", "bench.run.config", False, []),
        ("from awaitbench.cli import main", "fake_llm.cli", False, ["awaitbench.cli.main"]),
        ("from fake_llm.errors import ConfigError", OPTIONS, False, ["fake_llm.errors.ConfigError"]),
        ("from awaitbench.detect import watch_loop", OPTIONS, False, ["awaitbench.detect.watch_loop"]),
        (
            "from awaitbench.detect.diagnose.judge import judge",
            "reports.diagnose",
            False,
            ["awaitbench.detect.diagnose.judge.judge"],
        ),
        ("import awaitbench", "examples.llm_service.app", False, ["awaitbench"]),
        ("from bench.processes import scheduled", "bench.loadgen.open_loop_run", False, []),
        (
            "from bench.selfperf.config import Mode",
            "bench.loadgen.connections_step",
            False,
            ["bench.selfperf.config.Mode"],
        ),
        (
            "from awaitbench.detect.watchdog import watch_loop",
            "reports.diagnose",
            False,
            ["awaitbench.detect.watchdog.watch_loop"],
        ),
    ],
)
def test_checker_resolves_imports(source: str, module: str, is_package: bool, expected: list[str]) -> None:
    found = check_source(source, module=module, path="x.py", is_package=is_package)
    assert sorted({v.imported for v in found}) == expected
