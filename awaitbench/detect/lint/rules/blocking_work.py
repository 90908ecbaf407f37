"""AWB102 blocking_work — `time.sleep`, file I/O, `subprocess` and other blocking calls reached from
`async def`, directly or through plain functions of the same package.

Bad::

    def parse_document(path):
        with open(path) as f:          # blocking file I/O
            return f.read()

    @app.post("/ask")
    async def ask(doc: str):
        text = parse_document(doc)     # AWB102: ask -> parse_document -> builtins.open

Good::

    @app.post("/ask")
    async def ask(doc: str):
        text = await asyncio.to_thread(parse_document, doc)

Recognised: the other blocking entries of `ecosystem.CALLS` and `ecosystem.CLIENTS` (`time.sleep`, `open`,
`subprocess.*`, `shutil` copies, sync DB drivers and redis, password hashing, PDF parsing, ...).
Calls handed to `asyncio.to_thread`, `loop.run_in_executor`, `anyio.to_thread.run_sync` or
`run_in_threadpool` are references, not calls, and are not reported. ruff's ASYNC230/251/22x report the
direct calls; the message says so, and this rule adds the calls reached through helpers. Pure-Python CPU
work is not reported (that is the `cpu_work` scenario, which a static rule cannot size).
"""

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
