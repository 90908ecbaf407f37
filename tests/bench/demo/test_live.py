"""The page's controls as the live show reads them: one change at a time, typed, or a one-line refusal."""

from __future__ import annotations

from typing import Any

import pytest

from bench.demo.live import Control
from bench.errors import UsageError


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"users": 40}, Control(users=40)),
        ({"paused": True}, Control(paused=True)),
        ({"latency_ms": 250}, Control(latency_ms=250)),
        ({"scenario": "sync_client"}, Control(scenario="sync_client")),
        (
            {"scenario": "sync_client", "pitfall": "sync_in_def", "fix": "async_client"},
            Control(scenario="sync_client", pitfall="sync_in_def", fix="async_client"),
        ),
    ],
)
def test_a_control_is_one_typed_change(data: dict[str, Any], expected: Control) -> None:
    assert Control.from_json(data) == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "a control sets one of"),
        ({"users": 10, "paused": True}, "a control sets one of"),
        ({"pitfall": "sync_in_def"}, "a control sets one of"),
        ({"users": "40"}, "control users: '40' must be a whole number"),
        ({"users": True}, "control users: True must be a whole number"),
        ({"paused": 1}, "control paused: 1 must be true or false"),
        ({"latency_ms": "fast"}, "control latency_ms"),
        ({"rate": 10}, "unknown control ['rate']"),
    ],
)
def test_anything_else_is_refused_with_the_reason(data: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Control.from_json(data)
