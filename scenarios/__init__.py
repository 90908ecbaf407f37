"""The scenario catalogue: each pitfall next to its fix, as ASGI apps plus metadata.

Public API: `catalogue()` lists every scenario in catalogue order (the core six first); `get(scenario_id)`
returns one or raises UnknownScenarioError naming the valid ids. Scenario modules are imported on demand,
never at package import."""

from __future__ import annotations

import importlib

from scenarios.errors import UnknownScenarioError
from scenarios.model import Scenario

__all__ = ["SCENARIO_MODULES", "catalogue", "get"]

# Catalogue order: the core six of the design card first, then the rest of the brief.
SCENARIO_MODULES: tuple[str, ...] = (
    "sync_client",
    "per_request_client",
    "serial_awaits",
    "fan_out",
    "blocking_work",
    "cpu_work",
    "timeouts",
    "retries",
    "threadpool",
    "background_work",
    "streaming",
    "forgotten_await",
    "client_backend",
    "sync_db_driver",
    "db_session_held",
)


def catalogue() -> tuple[Scenario, ...]:
    """Every scenario, in catalogue order (the core six first)."""
    return tuple(get(name) for name in SCENARIO_MODULES)


def get(scenario_id: str) -> Scenario:
    """One scenario by id.

    Raises:
        UnknownScenarioError: no such scenario; the message lists the valid ids.
    """
    if scenario_id not in SCENARIO_MODULES:
        known = ", ".join(SCENARIO_MODULES) or "(none yet)"
        raise UnknownScenarioError(f"unknown scenario '{scenario_id}' (scenarios: {known})")
    scenario: Scenario = importlib.import_module(f"scenarios.{scenario_id}").SCENARIO
    return scenario
