"""Project layouts from real services: imports resolve per lint root (namespace packages, a script's own
directory, chained `import *` re-exports, a root that is itself a package), results do not depend on the
order of the roots, and entry-point scripts are told apart from the service."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from awaitbench.detect.lint import lint_paths

BLOCKING_HELPER = """
    import time

    def slow() -> None:
        time.sleep(1)
    """
CALLER = """
    from {module} import slow

    async def handler() -> None:
        slow()
    """


def _write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def _found(*paths: Path) -> list[tuple[str, int, str]]:
    return [(Path(f.path).name, f.line, f.code) for f in lint_paths(list(paths)).findings]


def test_a_namespace_package_does_not_cut_the_chain(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {"app/services/clock.py": BLOCKING_HELPER, "app/main.py": CALLER.format(module="app.services.clock")},
    )
    assert _found(tmp_path) == [("main.py", 5, "AWB102")]


def test_a_service_run_from_its_own_directory_imports_its_siblings(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "backend/__init__.py": "",
            "backend/clock.py": BLOCKING_HELPER,
            "backend/server.py": CALLER.format(module="clock"),
        },
    )
    assert _found(tmp_path) == [("server.py", 5, "AWB102")]


def test_a_lint_root_that_is_itself_a_package_resolves_its_own_modules(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "__init__.py": "",
            "pkg/__init__.py": "",
            "pkg/clock.py": BLOCKING_HELPER,
            "pkg/api.py": CALLER.format(module="pkg.clock"),
        },
    )
    assert _found(tmp_path) == [("api.py", 5, "AWB102")]


def test_chained_star_reexports_are_followed(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/infra/__init__.py": "from .impl import *\n",
            "app/infra/impl/__init__.py": "from .clock import *\n",
            "app/infra/impl/clock.py": BLOCKING_HELPER,
            "app/api.py": CALLER.format(module="app.infra"),
        },
    )
    assert _found(tmp_path) == [("api.py", 5, "AWB102")]


def test_two_roots_with_the_same_package_name_are_resolved_each_on_its_own(tmp_path: Path) -> None:
    blocking, quiet = tmp_path / "blocking", tmp_path / "quiet"
    _write(
        blocking,
        {
            "app/__init__.py": "",
            "app/clock.py": BLOCKING_HELPER,
            "app/main.py": CALLER.format(module="app.clock"),
        },
    )
    _write(
        quiet,
        {
            "app/__init__.py": "",
            "app/clock.py": "def slow() -> None: ...\n",
            "app/main.py": CALLER.format(module="app.clock"),
        },
    )
    forward = lint_paths([blocking, quiet]).findings
    backward = lint_paths([quiet, blocking]).findings
    assert forward == backward
    assert [(Path(f.path).parent.parent.name, f.code) for f in forward] == [("blocking", "AWB102")]


def test_linting_one_file_still_reads_its_package(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/clock.py": BLOCKING_HELPER,
            "app/main.py": CALLER.format(module="app.clock"),
        },
    )
    assert _found(tmp_path / "app" / "main.py") == [("main.py", 5, "AWB102")]


SCRIPT = """
    import asyncio
    from openai import AsyncOpenAI

    client = AsyncOpenAI()

    async def run() -> None:
        await client.models.list()

    if __name__ == "__main__":
        asyncio.run(run())
    """


def test_a_script_imported_only_by_scripts_is_not_the_service(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "jobs/grade.py": SCRIPT,
            "jobs/report.py": "from grade import client\n\nif __name__ == '__main__':\n    print(client)\n",
        },
    )
    assert not _found(tmp_path)


def test_a_module_the_service_imports_is_linted_even_with_a_main_block(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "app/llm.py": SCRIPT,
            "app/main.py": "from fastapi import FastAPI\nfrom llm import run\n\napp = FastAPI()\n",
        },
    )
    assert _found(tmp_path) == [("llm.py", 5, "AWB106")]


RECURSIVE = """
    def walk(node):
        visit(node)
        load(node)

    def visit(node):
        if node:
            walk(node)

    def load(node):
        open(node)

    async def {first}(node):
        {first_call}(node)

    async def {second}(node):
        {second_call}(node)
    """


@pytest.mark.parametrize("calls", [("walk", "visit"), ("visit", "walk")])
def test_mutually_recursive_helpers_give_the_same_chains_whichever_is_met_first(
    tmp_path: Path, calls: tuple[str, str]
) -> None:
    first, second = calls
    _write(
        tmp_path,
        {"tree.py": RECURSIVE.format(first="first", first_call=first, second="second", second_call=second)},
    )
    assert [(line, code) for _name, line, code in _found(tmp_path / "tree.py")] == [
        (14, "AWB102"),
        (17, "AWB102"),
    ]


@pytest.mark.parametrize(("folder", "followed"), [("src", True), ("site-packages", False)])
def test_an_installed_package_is_linted_without_its_neighbours(
    tmp_path: Path, folder: str, followed: bool
) -> None:
    _write(
        tmp_path / folder,
        {
            "clock/__init__.py": BLOCKING_HELPER,
            "service/__init__.py": "",
            "service/main.py": CALLER.format(module="clock"),
        },
    )
    found = _found(tmp_path / folder / "service")
    assert found == ([("main.py", 5, "AWB102")] if followed else [])
