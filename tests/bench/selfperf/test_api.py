"""`bench.selfperf`'s public surface: every module says what it exports, and exports only what exists."""

from __future__ import annotations

import pkgutil

import pytest

import bench.selfperf
from tests.public_api import assert_declares_public_all

_MODULES = sorted(info.name for info in pkgutil.iter_modules(bench.selfperf.__path__, "bench.selfperf."))


def test_the_package_has_its_parts() -> None:
    expected = {
        "ceiling_app",
        "config",
        "point_report",
        "points",
        "report",
        "round_report",
        "rounds",
        "step",
        "sweep",
    }
    assert {name.rsplit(".", 1)[1] for name in _MODULES} >= expected


def test_no_load_generator_of_its_own() -> None:
    """One generator, one place: perf drives `bench.loadgen`'s, in both its step modes."""
    assert not {name.rsplit(".", 1)[1] for name in _MODULES} & {"closed_loop", "loadgen", "http1"}


@pytest.mark.parametrize("name", _MODULES)
def test_every_module_declares_an_existing_public_all(name: str) -> None:
    assert_declares_public_all(name)
