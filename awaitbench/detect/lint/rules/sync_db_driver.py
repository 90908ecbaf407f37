"""AWB109 sync_db_driver — a sync database driver (psycopg, psycopg2, a sync SQLAlchemy `Session` or
engine, pymongo) used inside `async def`, directly or through helpers.

Bad::

    pool = ConnectionPool(DATABASE_URL)

    @app.post("/ask")
    async def ask(q: Question):
        with pool.connection() as conn:
            row = conn.execute(USER_SQL, {"id": q.user_id}).fetchone()   # AWB109: the loop waits

Good::

    pool = AsyncConnectionPool(DATABASE_URL)

    @app.post("/ask")
    async def ask(q: Question):
        async with pool.connection() as conn:
            row = await (await conn.execute(USER_SQL, {"id": q.user_id})).fetchone()

Recognised: the `db` entries of `ecosystem.CLIENTS` and `ecosystem.CALLS` (psycopg 3 connections and
pools, `psycopg2.connect`, SQLAlchemy's `Session`, `sessionmaker`, `create_engine` and their connections,
pymongo), wherever the object comes from (a global, a `get_db` dependency, a project subclass of the pool).
A local `sqlite3` file is `blocking_work` (AWB102). ruff has no rule for database drivers.
"""

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
