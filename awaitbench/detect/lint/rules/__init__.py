"""The rules: one module per pitfall, each mapping to one scenario of the awaitbench catalogue.

A rule module defines `RULE`, a `Rule`: its code, the scenario id it maps to, the node types it wants to
see, and `check(node, ctx)` yielding `Report`s. The engine walks each file once and hands every node to
the rules that asked for its type. Rule modules never import each other.
"""

from __future__ import annotations

from awaitbench.detect.lint.rules import (
    blocking_work,
    db_session_held,
    fan_out,
    forgotten_await,
    per_request_client,
    retries,
    serial_awaits,
    sync_client,
    sync_db_driver,
    timeouts,
)
from awaitbench.detect.lint.rules.base import Context, Report, Rule

__all__ = ["RULES", "Context", "Report", "Rule", "rule_by_code"]

RULES: tuple[Rule, ...] = (
    sync_client.RULE,
    blocking_work.RULE,
    per_request_client.RULE,
    serial_awaits.RULE,
    fan_out.RULE,
    timeouts.RULE,
    retries.RULE,
    forgotten_await.RULE,
    sync_db_driver.RULE,
    db_session_held.RULE,
)


def rule_by_code() -> dict[str, Rule]:
    """Every rule by its code."""
    return {rule.code: rule for rule in RULES}
