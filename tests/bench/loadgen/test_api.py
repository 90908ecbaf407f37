"""`bench.loadgen`'s public surface: every module says what it exports, and exports only what exists.

The locustfile is read, never imported: importing locust monkey-patches the whole test process (gevent).
"""

from __future__ import annotations

import pkgutil

import pytest

import bench.loadgen
from tests.public_api import assert_declares_public_all

_MODULES = sorted(
    info.name
    for info in pkgutil.iter_modules(bench.loadgen.__path__, "bench.loadgen.")
    if info.name != "bench.loadgen.locustfile"
)


def test_one_open_loop_generator_lives_here() -> None:
    expected = {"logs", "locust_run", "open_loop", "open_loop_config", "open_loop_log", "open_loop_main"}
    expected |= {"open_loop_run", "open_loop_step", "schedule", "http1", "connections_step", "cpu_window"}
    assert {name.rsplit(".", 1)[1] for name in _MODULES} >= expected


@pytest.mark.parametrize("name", _MODULES)
def test_every_module_declares_an_existing_public_all(name: str) -> None:
    assert_declares_public_all(name)
