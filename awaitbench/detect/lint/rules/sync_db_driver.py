"""AWB109 sync_db_driver — a sync database driver (psycopg, psycopg2, a sync SQLAlchemy `Session` or
engine, pymongo) queried inside `async def`, directly or through helpers."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from awaitbench.detect.lint.rules._blocking import blocking_reports
from awaitbench.detect.lint.rules.base import Context, Report, Rule

__all__ = ["RULE"]

PITFALL = "sync_db_driver"


def check(node: ast.AST, ctx: Context) -> Iterator[Report]:
    return blocking_reports(node, ctx, PITFALL, "sync database call")


RULE = Rule(
    code="AWB109",
    pitfall=PITFALL,
    name="sync-db-driver-in-async",
    summary="A sync database driver's query runs on the event loop (directly or through same-package "
    "helpers).",
    fix="Use an asyncio driver and await the query (asyncpg, psycopg's AsyncConnection/AsyncConnectionPool, "
    "SQLAlchemy's AsyncSession), or make the route a plain `def`.",
    why="the loop waits for every query: throughput stays at 1 / query time per process.",
    severity="medium",
    node_types=(ast.Call,),
    check=check,
)
