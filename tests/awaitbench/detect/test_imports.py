"""awaitbench.detect is imported into a team's service and every pytest run: importing it (the pytest plugin,
the linter) loads nothing heavy and none of the toolkit's packages; every module declares its public names.
The import rules themselves are checked once, from the AST, in tests/test_architecture.py."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

DETECT = Path(__file__).resolve().parents[3] / "awaitbench" / "detect"
MODULES = sorted(
    ".".join(path.relative_to(DETECT.parents[1]).with_suffix("").parts).removesuffix(".__init__")
    for path in DETECT.rglob("*.py")
)
HEAVY = {
    "bench",
    "reports",
    "scenarios",
    "fake_llm",
    "hdrh",
    "fastapi",
    "starlette",
    "prometheus_client",
    "httpx",
    "pydantic",  # the harness and diagnose use it; the watchdog, plugin, middleware and linter do not
}


def _loaded_by(imports: str) -> list[str]:
    code = (
        f"import sys, json, {imports}; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(HEAVY)!r})))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded: list[str] = json.loads(result.stdout)
    return loaded


def test_importing_detect_its_pytest_plugin_and_the_middleware_loads_nothing_heavy() -> None:
    modules = "awaitbench.detect, awaitbench.detect.pytest_plugin, awaitbench.detect.middleware"
    assert _loaded_by(modules) == []


def test_importing_the_linter_loads_none_of_the_toolkit() -> None:
    modules = "awaitbench.detect.lint.cli, awaitbench.detect.lint.engine, awaitbench.detect.lint.output"
    assert _loaded_by(modules) == []


@pytest.mark.parametrize("name", [m for m in MODULES if not m.endswith("__main__")])
def test_every_module_declares_what_it_exports(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if name == "awaitbench.detect" and exported is None:
        return  # the package's docstring only
    assert exported is not None, f"{name} has no __all__"
    assert all(hasattr(module, item) for item in exported), name
