"""`bench.demo`'s public surface: every module says what it exports, and exports only what exists."""

from __future__ import annotations

import pkgutil

import pytest

import bench.demo
from tests.public_api import assert_declares_public_all

_MODULES = sorted(info.name for info in pkgutil.iter_modules(bench.demo.__path__, "bench.demo."))


def test_the_demo_has_its_modules() -> None:
    expected = {"config", "figure_stream", "live", "page", "recording", "replay", "runner", "server", "stage"}
    assert {name.rsplit(".", 1)[1] for name in _MODULES} == expected


@pytest.mark.parametrize("name", _MODULES)
def test_every_module_declares_an_existing_public_all(name: str) -> None:
    assert_declares_public_all(name)
