"""detect reads the user's code: it must import none of bench, reports or scenarios, and say what it
exports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DETECT = ROOT / "detect"
FORBIDDEN = {"bench", "reports", "scenarios"}
MODULES = sorted(DETECT.rglob("*.py"))


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_detect_modules_import_no_other_awaitbench_package(path: Path) -> None:
    assert not (_imported(path) & FORBIDDEN), f"{path} imports {_imported(path) & FORBIDDEN}"


def test_importing_the_linter_loads_no_other_awaitbench_package() -> None:
    code = (
        "import sys, detect.lint.cli, detect.lint.engine, detect.lint.rules, detect.lint.output; "
        f"print(sorted({{m.partition('.')[0] for m in sys.modules}} & set({sorted(FORBIDDEN)!r})))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "path", [p for p in MODULES if p.name != "__main__.py"], ids=lambda p: str(p.relative_to(ROOT))
)
def test_every_module_declares_all(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if path.name == "__init__.py" and path.parent == DETECT:
        return  # the namespace package's docstring only
    assert any(
        isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets)
        for node in tree.body
    ), f"{path} has no __all__"
