"""What the database scenarios' variants share that is not the pitfall: the seeded schema, the queries,
`DATABASE_URL`, and the pools, each counting into `/app-stats` what it lends and who waits for it."""

from __future__ import annotations

import contextlib
import os
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import psycopg
import sqlalchemy.exc
from psycopg_pool import AsyncConnectionPool, ConnectionPool
from sqlalchemy import TextClause, event, make_url, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry

from scenarios._plumbing import Answer, Question, env_float
from scenarios.errors import ScenarioConfigError
from scenarios.model import DatabaseProfile

__all__ = [
    "DATABASE",
    "DATABASE_URL_ENV",
    "QUERY_MS",
    "SAVE_ANSWER_SQL",
    "STORAGE_WAIT_ENV",
    "STORAGE_WAIT_MS",
    "USERS",
    "USER_CONTEXT_SQL",
    "WRITE_MS",
    "AskAs",
    "AsyncPool",
    "PoolGauge",
    "Sessions",
    "SyncPool",
    "answer_params",
    "context_prompt",
    "database_url",
    "query_params",
    "sqlalchemy_text",
]

DATABASE_URL_ENV = "DATABASE_URL"
STORAGE_WAIT_ENV = "AWAITBENCH_DB_STORAGE_WAIT_MS"
# What a managed database adds to this query beyond its CPU: network round trips and reads from network
# storage (docs/scenarios.md). Spent inside the server, so every driver waits for it as for a real one.
STORAGE_WAIT_MS = 40.0
# q: the storage wait plus the query, its round trip and the driver (~1 ms, measured: docs/scenarios.md).
QUERY_MS = STORAGE_WAIT_MS + 1.0
# The answer's insert and commit: two round trips to a server on this machine (docs/scenarios.md).
WRITE_MS = 2.0
USERS = 5_000
MESSAGES_PER_USER = 20

SEED_SQL = f"""
DROP SCHEMA IF EXISTS awaitbench CASCADE;
CREATE SCHEMA awaitbench;
CREATE TABLE awaitbench.users (id integer PRIMARY KEY, name text NOT NULL, plan text NOT NULL);
CREATE TABLE awaitbench.messages (
    id bigint PRIMARY KEY,
    user_id integer NOT NULL,
    tokens integer NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE TABLE awaitbench.answers (
    id bigserial PRIMARY KEY,
    user_id integer NOT NULL REFERENCES awaitbench.users (id),
    question text NOT NULL,
    answer text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO awaitbench.users
    SELECT i, 'user ' || i, (ARRAY['free', 'team', 'enterprise'])[1 + i % 3]
    FROM generate_series(1, {USERS}) AS i;
INSERT INTO awaitbench.messages
    SELECT m, 1 + (m * 7919) % {USERS}, 20 + (m * 31) % 400,
        timestamptz '2026-01-01' + m * interval '1 minute'
    FROM generate_series(1, {USERS * MESSAGES_PER_USER}) AS m;
CREATE INDEX messages_by_user ON awaitbench.messages (user_id, created_at);
ANALYZE awaitbench.users, awaitbench.messages;
"""

DATABASE = DatabaseProfile(seed_sql=SEED_SQL)

USER_CONTEXT_SQL = """
WITH storage AS MATERIALIZED (SELECT pg_sleep(%(storage_wait_s)s))  -- network and storage time, once
SELECT u.plan, count(m.id) AS messages, coalesce(sum(m.tokens), 0) AS tokens
FROM awaitbench.users AS u
LEFT JOIN awaitbench.messages AS m ON m.user_id = u.id
CROSS JOIN storage
WHERE u.id = %(user_id)s
GROUP BY u.plan
"""

SAVE_ANSWER_SQL = """
INSERT INTO awaitbench.answers (user_id, question, answer) VALUES (%(user_id)s, %(question)s, %(answer)s)
"""


class AskAs(Question):
    """The body of `POST /ask` for the database scenarios: whose context to read."""

    user_id: int = 42


def database_url() -> str:
    """`DATABASE_URL`, as a service reads it.

    Raises:
        ScenarioConfigError: it is unset or not a postgresql:// URL.
    """
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if not url.startswith(("postgresql://", "postgres://")):
        shown = f"'{url}'" if url else "not set"
        raise ScenarioConfigError(
            f"{DATABASE_URL_ENV} is {shown}: set it to a seeded PostgreSQL, e.g. the one `awaitbench run` "
            "starts (or --db-url), postgresql://USER@HOST:PORT/DB"
        )
    return url


def query_params(question: AskAs) -> dict[str, Any]:
    """The parameters of `USER_CONTEXT_SQL` for one request."""
    wait_ms = env_float(STORAGE_WAIT_ENV, default=STORAGE_WAIT_MS)
    return {"user_id": question.user_id, "storage_wait_s": wait_ms / 1000.0}


def context_prompt(question: AskAs, row: Sequence[Any] | None) -> str:
    """The question, with what `USER_CONTEXT_SQL` said about the user (a user without a row: no context)."""
    if row is None:
        return question.question
    plan, messages, tokens = row
    return f"{question.question} (plan {plan}; {messages} messages, {tokens} tokens so far)"


def answer_params(question: AskAs, answer: Answer) -> dict[str, Any]:
    """The parameters of `SAVE_ANSWER_SQL` for one request."""
    return {"user_id": question.user_id, "question": question.question, "answer": answer.answer}


def sqlalchemy_text(sql: str) -> TextClause:
    """`sql` with psycopg's `%(name)s` placeholders as SQLAlchemy's `:name` (one query text, two styles)."""
    return text(re.sub(r"%\((\w+)\)s", r":\1", sql))


class PoolGauge:
    """Connections checked out of a pool and callers waiting for one: the current counts and their peaks, in
    `stats` as `db_pool_checked_out_peak`, `db_pool_waiting_peak` and `db_pool_timeouts`."""

    def __init__(self, stats: Counter[str]) -> None:
        self.stats = stats
        self.stats.update(db_pool_checked_out_peak=0)
        self.checked_out = 0
        self.waiting = 0

    def checkout(self, delta: int) -> None:
        self.checked_out += delta
        self.stats["db_pool_checked_out_peak"] = max(self.stats["db_pool_checked_out_peak"], self.checked_out)

    def wait(self, delta: int) -> None:
        self.waiting += delta
        self.stats["db_pool_waiting_peak"] = max(self.stats["db_pool_waiting_peak"], self.waiting)

    def timed_out(self) -> None:
        self.stats["db_pool_timeouts"] += 1


class SyncPool(ConnectionPool[psycopg.Connection[Any]]):
    """psycopg's blocking pool of `size` connections on `DATABASE_URL`, counting what it hands out; opened
    with the app."""

    def __init__(self, *, size: int) -> None:
        self.stats: Counter[str] = Counter()
        self.gauge = PoolGauge(self.stats)
        super().__init__(database_url(), min_size=size, max_size=size, open=False)

    def getconn(self, timeout: float | None = None) -> psycopg.Connection[Any]:
        conn = super().getconn(timeout)
        self.gauge.checkout(+1)
        return conn

    def putconn(self, conn: psycopg.Connection[Any]) -> None:
        self.gauge.checkout(-1)
        super().putconn(conn)

    def open(self, wait: bool = True, timeout: float = 30.0) -> None:
        super().open(wait=wait, timeout=timeout)


class AsyncPool(AsyncConnectionPool[psycopg.AsyncConnection[Any]]):
    """psycopg's asyncio pool of `size` connections on `DATABASE_URL`, counting like `SyncPool`."""

    def __init__(self, *, size: int) -> None:
        self.stats: Counter[str] = Counter()
        self.gauge = PoolGauge(self.stats)
        super().__init__(database_url(), min_size=size, max_size=size, open=False)

    async def getconn(self, timeout: float | None = None) -> psycopg.AsyncConnection[Any]:  # noqa: ASYNC109
        conn = await super().getconn(timeout)
        self.gauge.checkout(+1)
        return conn

    async def putconn(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self.gauge.checkout(-1)
        await super().putconn(conn)

    async def open(self, wait: bool = True, timeout: float = 30.0) -> None:  # noqa: ASYNC109 - psycopg's own
        await super().open(wait=wait, timeout=timeout)


class _GaugedQueuePool(AsyncAdaptedQueuePool):
    """SQLAlchemy's asyncio queue pool, counting what it hands out, who waits for it and who gives up."""

    gauge: PoolGauge | None = None
    max_overflow = 0

    def _do_get(self) -> ConnectionPoolEntry:
        gauge = self.gauge
        if gauge is None:
            return super()._do_get()
        waits = self.checkedin() == 0 and self.overflow() >= self.max_overflow
        if waits:
            gauge.wait(+1)
        try:
            entry = super()._do_get()
        except sqlalchemy.exc.TimeoutError:  # "QueuePool limit of size ... reached, connection timed out"
            gauge.timed_out()
            raise
        finally:
            if waits:
                gauge.wait(-1)
        gauge.checkout(+1)
        return entry

    def _do_return_conn(self, record: ConnectionPoolEntry) -> None:
        if self.gauge is not None:
            self.gauge.checkout(-1)
        super()._do_return_conn(record)


class Sessions:
    """`async_sessionmaker` over `create_async_engine(DATABASE_URL on asyncpg, pool_size=, max_overflow=,
    pool_timeout=)`, its pool gauged; calling it opens an `AsyncSession`. Closed (disposed) with the app."""

    def __init__(self, *, pool_size: int, max_overflow: int, pool_timeout: float) -> None:
        self.stats: Counter[str] = Counter()
        url = make_url(database_url()).set(drivername="postgresql+asyncpg")
        self.engine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout,
            poolclass=_GaugedQueuePool,
        )
        pool = self.engine.sync_engine.pool
        assert isinstance(pool, _GaugedQueuePool)
        pool.gauge, pool.max_overflow = PoolGauge(self.stats), max_overflow
        event.listen(pool, "connect", self._connected)
        self.stats.update(db_pool_waiting_peak=0, db_pool_timeouts=0)  # reported even when none wait
        self.maker = async_sessionmaker(self.engine, expire_on_commit=False)

    def _connected(self, dbapi_connection: object, record: object) -> None:
        self.stats["db_connections_opened"] += 1

    def __call__(self) -> AsyncSession:
        return self.maker()

    def begin(self) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
        """A session in a transaction that commits when the block ends (rolls back on an error)."""
        return self.maker.begin()

    def open(self) -> None:
        """Nothing to do: the engine connects on first use."""

    async def close(self) -> None:
        await self.engine.dispose()
