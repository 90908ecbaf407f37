"""fake_llm stands alone and stays readable: it imports no other awaitbench package (but the typed-options
leaf `awaitbench.options`), and no function in it is longer than 60 lines (read from the source, so it holds
for code not yet exercised by a test)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "fake_llm"
MODULES = sorted(PACKAGE.rglob("*.py"))
OTHER_PACKAGES = {"awaitbench", "bench", "scenarios", "reports", "detect", "tests"}
SHARED_LEAF = "awaitbench.options"
MAX_FUNCTION_LINES = 60


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_imports_no_other_awaitbench_package(path: Path) -> None:
    imported: list[str] = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.append(node.module)
    others = [name for name in imported if name.split(".")[0] in OTHER_PACKAGES]
    assert not [name for name in others if name != SHARED_LEAF]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_function_is_longer_than_60_lines(path: Path) -> None:
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"split these in {path.name}: {long}"


def test_the_package_was_found() -> None:
    assert len(MODULES) > 20  # a moved package must not turn the checks above into no-ops
