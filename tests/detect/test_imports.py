"""detect's boundaries: it imports none of bench, reports, scenarios or awaitbench; importing it (and the
pytest plugin every pytest run loads) costs nothing; every module declares its public names."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

DETECT = Path(__file__).resolve().parents[2] / "detect"
FORBIDDEN = {"bench", "reports", "scenarios", "awaitbench"}
# detect/__init__.py is a docstring only (the package is shared with detect/lint).
MODULES = sorted(
    ".".join(path.relative_to(DETECT.parent).with_suffix("").parts).removesuffix(".__init__")
    for path in DETECT.rglob("*.py")
    if path != DETECT / "__init__.py"
)


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.partition(".")[0])
    return roots


def test_detect_imports_none_of_the_other_packages() -> None:
    offenders = {
        str(path.relative_to(DETECT.parent)): sorted(_imported_roots(path) & FORBIDDEN)
        for path in DETECT.rglob("*.py")
        if _imported_roots(path) & FORBIDDEN
    }
    assert offenders == {}


def test_importing_detect_and_its_pytest_plugin_loads_nothing_heavy() -> None:
    code = (
        "import sys, json, detect, detect.pytest_plugin; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'detect', 'hdrh', 'fastapi', 'starlette', 'prometheus_client', 'anyio', 'httpx'})))"
    )
    loaded = json.loads(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    )
    assert loaded == ["detect", "detect.pytest_plugin"]


@pytest.mark.parametrize("name", [m for m in MODULES if not m.endswith("__main__")])
def test_every_module_declares_what_it_exports(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert all(hasattr(module, item) for item in exported), name
