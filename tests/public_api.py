"""The check every package's public-API test shares: a module declares `__all__`, and it names only public
symbols that exist."""

from __future__ import annotations

import importlib

__all__ = ["assert_declares_public_all"]


def assert_declares_public_all(name: str) -> None:
    """Fail unless module `name` has a list `__all__` of existing, non-underscored names."""
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert isinstance(exported, list), f"{name} has no __all__"
    for symbol in exported:
        assert not symbol.startswith("_"), f"{name} exports private {symbol}"
        assert hasattr(module, symbol), f"{name}.__all__ names missing {symbol}"
