"""Every reports module declares its public names, and each declared name exists."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import reports

_MODULES = sorted(m.name for m in pkgutil.iter_modules(reports.__path__, "reports."))


@pytest.mark.parametrize("name", _MODULES)
def test_module_declares_all_and_every_name_exists(name: str) -> None:
    module = importlib.import_module(name)
    assert isinstance(module.__all__, list), f"{name} has no explicit __all__"
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what it does not define: {missing}"
