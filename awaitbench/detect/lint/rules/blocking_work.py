"""AWB102 blocking_work — `time.sleep`, file I/O, `subprocess` and other blocking calls reached from
`async def`, directly or through plain functions of the same package."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from awaitbench.detect.lint.rules._blocking import blocking_reports
from awaitbench.detect.lint.rules.base import Context, Report, Rule

__all__ = ["RULE"]

PITFALL = "blocking_work"


def check(node: ast.AST, ctx: Context) -> Iterator[Report]:
    return blocking_reports(node, ctx, PITFALL, "blocking call")


RULE = Rule(
    code="AWB102",
    pitfall=PITFALL,
    name="blocking-call-in-async",
    summary="A blocking call (sleep, file I/O, subprocess, ...) runs on the event loop, directly or "
    "through same-package helpers.",
    fix="Run it in a thread: `await asyncio.to_thread(func, ...)` (or use an async library).",
    why="while it blocks, no other request in the process makes progress.",
    severity="medium",
    node_types=(ast.Call,),
    check=check,
)
