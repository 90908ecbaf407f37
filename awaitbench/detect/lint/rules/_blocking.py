"""The part `sync_client` and `blocking_work` share: a call in `async def` that blocks the loop thread,
directly or through plain `def`s of the package. Reported at the call in the async function."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from awaitbench.detect.lint.known import RUFF_DIRECT
from awaitbench.detect.lint.rules.base import Context, Report

__all__ = ["blocking_reports"]


def blocking_reports(node: ast.AST, ctx: Context, category: str, what: str) -> Iterator[Report]:
    """Reports for one call: `what` names the kind of blocking call in the message."""
    if not isinstance(node, ast.Call) or not ctx.in_async or ctx.function is None:
        return
    here = ctx.function.qualname
    direct = ctx.graph.direct_category(node, ctx.scope)
    if direct is not None:
        if direct[0] == category:
            ruff = RUFF_DIRECT.get(direct[1])
            also = f" (ruff reports this direct call too: {ruff})" if ruff else ""
            yield Report(node, f"{what} `{direct[1]}` inside `async def {here}` blocks the event loop{also}")
        return
    callee = ctx.graph.sync_callee(node, ctx.scope)
    if callee is None:
        return
    chain = ctx.graph.blocking_chain(callee, category)
    if chain is not None:
        path = " -> ".join([here, *chain])
        yield Report(node, f"{what} reached from `async def {here}` blocks the event loop ({path})")
