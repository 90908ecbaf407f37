"""AWB108: dropped coroutines, including across modules of the same package."""

from __future__ import annotations

from pathlib import Path

from awaitbench.detect.lint import lint_paths
from tests.awaitbench.detect.lint.helpers import codes_at


def test_an_async_def_imported_from_a_sibling_module(tmp_path: Path) -> None:
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "store.py").write_text("async def save(x):\n    return x\n")
    (package / "routes.py").write_text("from .store import save as persist\nasync def h():\n    persist(1)\n")
    findings = lint_paths([package / "routes.py"]).findings  # store.py is read on demand, not linted
    assert [(Path(f.path).name, f.line, f.code) for f in findings] == [("routes.py", 3, "AWB108")]


def test_shadowed_and_runtime_checked_callees_are_not_reported() -> None:
    source = """
        import inspect

        async def work():
            pass

        def work():
            pass

        async def h(cb):
            work()
            if inspect.isawaitable(cb):
                await cb
            else:
                cb()
        """
    assert not codes_at(source, "AWB108")


def test_a_coroutine_method_called_from_a_plain_method_is_dropped_too() -> None:
    source = """
        class Researcher:
            async def log_event(self, name):
                ...

            def add_cost(self, cost):
                self.log_event("cost")
        """
    assert codes_at(source, "AWB108") == [(7, "AWB108")]
