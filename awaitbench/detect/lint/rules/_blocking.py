"""The part `sync_client` and `blocking_work` share: a call in `async def` that blocks the loop thread,
directly or through plain `def`s of the project. Reported at the call in the async function."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from awaitbench.detect.lint.ecosystem import call_spec
from awaitbench.detect.lint.rules.base import Context, Report

__all__ = ["blocking_reports"]


def blocking_reports(node: ast.AST, ctx: Context, category: str, what: str) -> Iterator[Report]:
    """Reports for one call: `what` names the kind of blocking call in the message."""
    if not isinstance(node, ast.Call) or not ctx.in_async or ctx.function is None:
        return
    if ctx.graph.is_startup(ctx.function):
        return  # start-up and shutdown code blocks no request
    here = ctx.function.qualname
    direct = ctx.graph.direct_category(node, ctx.scope)
    if direct is not None:
        if direct.category == category:
            spec = call_spec(direct.label)
            also = f" (ruff reports this direct call too: {spec.ruff})" if spec and spec.ruff else ""
            yield Report(
                node,
                f"{what} `{direct.label}` inside `async def {here}` blocks the event loop{also}",
                severity=direct.severity,
            )
        return
    callee = ctx.graph.sync_callee(node, ctx.scope)
    if callee is None:
        return
    chain = ctx.graph.blocking_chain(callee, category)
    if chain is not None:
        path = " -> ".join([here, *chain[0]])
        yield Report(
            node, f"{what} reached from `async def {here}` blocks the event loop ({path})", severity=chain[1]
        )
