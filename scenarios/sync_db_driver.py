"""sync_db_driver — a blocking database driver inside `async def` parks the event loop for every query.

Bug: psycopg's blocking pool queried in `async def`. Fix: psycopg's `AsyncConnectionPool`, awaited
(SQLAlchemy's `AsyncSession` on asyncpg: a second fix). Theory: with query time q, `sync_driver` X = min(U
/ (q + L), W / q); the awaited drivers X = U / (q + L). Details, and what q is made of: docs/scenarios.md."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI

from scenarios._database import (
    DATABASE,
    QUERY_MS,
    USER_CONTEXT_SQL,
    AskAs,
    AsyncPool,
    Sessions,
    SyncPool,
    context_prompt,
    query_params,
    sqlalchemy_text,
)
from scenarios._plumbing import Answer, async_openai, new_app
from scenarios.model import (
    COMMON_SIGNALS,
    Headline,
    Prediction,
    RequestSpec,
    Scenario,
    Signal,
    TheoryInput,
    Variant,
    closed_loop,
    fixed_latency,
)

__all__ = ["SCENARIO", "async_driver", "sqlalchemy_async", "sync_driver"]

UPSTREAM_LATENCY_MS = 100.0
POOL_SIZE = 10
USER_CONTEXT = sqlalchemy_text(USER_CONTEXT_SQL)


def sync_driver() -> FastAPI:
    pool = SyncPool(size=POOL_SIZE)
    app, llm = new_app(title="sync_db_driver: sync_driver", client=async_openai, resources=[pool])

    @app.post("/ask")
    async def ask(question: AskAs) -> Answer:
        with pool.connection() as conn:  # blocks the event loop for the whole query
            row = conn.execute(USER_CONTEXT_SQL, query_params(question)).fetchone()
        reply = await llm.client.chat.completions.create(**llm.prompt(context_prompt(question, row)))
        return Answer.of(reply)

    return app


def async_driver() -> FastAPI:
    pool = AsyncPool(size=POOL_SIZE)
    app, llm = new_app(title="sync_db_driver: async_driver", client=async_openai, resources=[pool])

    @app.post("/ask")
    async def ask(question: AskAs) -> Answer:
        async with pool.connection() as conn:  # the loop serves others while the database works
            row = await (await conn.execute(USER_CONTEXT_SQL, query_params(question))).fetchone()
        reply = await llm.client.chat.completions.create(**llm.prompt(context_prompt(question, row)))
        return Answer.of(reply)

    return app


def sqlalchemy_async() -> FastAPI:
    sessions = Sessions(pool_size=POOL_SIZE, max_overflow=0, pool_timeout=30.0)
    app, llm = new_app(title="sync_db_driver: sqlalchemy_async", client=async_openai, resources=[sessions])

    @app.post("/ask")
    async def ask(question: AskAs) -> Answer:
        async with sessions() as session:  # AsyncSession on asyncpg
            row = (await session.execute(USER_CONTEXT, query_params(question))).one_or_none()
        reply = await llm.client.chat.completions.create(**llm.prompt(context_prompt(question, row)))
        return Answer.of(reply)

    return app


def theory(given: TheoryInput) -> Mapping[str, Prediction]:
    latency, users, workers = given.upstream_latency_ms + QUERY_MS, given.users, given.workers
    awaited = closed_loop(
        users=users,
        latency_ms=latency,
        capacity_rps=POOL_SIZE * workers * 1000.0 / QUERY_MS,
        note="the query is awaited: X = U / (q + L)",
    )
    return {
        "sync_driver": closed_loop(
            users=users,
            latency_ms=latency,
            capacity_rps=workers * 1000.0 / QUERY_MS,
            note="the loop waits for every query: X = W / q",
        ),
        "async_driver": awaited,
        "sqlalchemy_async": awaited,
    }


SCENARIO = Scenario(
    id="sync_db_driver",
    title="Sync database driver in async code",
    pitfall=(
        "A blocking database driver (psycopg's sync pool, or psycopg2) is called inside an async route. "
        "Every query runs on the event-loop thread, so the whole process waits for each one: throughput "
        "stays at 1 / q per process whatever the users and however fast the LLM is."
    ),
    fix=(
        "Use an asyncio driver and await the query (psycopg's AsyncConnectionPool, asyncpg, or SQLAlchemy's "
        "AsyncSession on asyncpg): while the database works, the loop serves other requests, and "
        "throughput follows Little's law, U / (q + L)."
    ),
    signature=(
        "the database never runs more than one of the app's queries at a time (pg_stat_activity) and the "
        "loop lags by about q per request; throughput pinned at 1 / q"
    ),
    variants=(
        Variant(
            id="sync_driver",
            title="sync psycopg pool in async def",
            role="pitfall",
            factory="scenarios.sync_db_driver:sync_driver",
            summary="psycopg_pool.ConnectionPool: the query runs on the event-loop thread.",
        ),
        Variant(
            id="async_driver",
            title="psycopg AsyncConnectionPool, awaited",
            role="fix",
            factory="scenarios.sync_db_driver:async_driver",
            summary="psycopg_pool.AsyncConnectionPool: the same query, awaited.",
        ),
        Variant(
            id="sqlalchemy_async",
            title="SQLAlchemy AsyncSession (asyncpg)",
            role="fix",
            factory="scenarios.sync_db_driver:sqlalchemy_async",
            summary="An AsyncSession on create_async_engine(postgresql+asyncpg): the same query, awaited.",
        ),
    ),
    pitfall_variant="sync_driver",
    fix_variant="async_driver",
    upstream=fixed_latency(UPSTREAM_LATENCY_MS),
    request=RequestSpec(json_body={"question": "What is async?", "user_id": 42}),
    theory=theory,
    # Theory: q = 41 ms, L = 100 ms. The pitfall serves 1 / q = 24 req/s from U = (q + L) / q = 3.4 users
    # on; the fix U / (q + L): 7 req/s at 1 user (no difference), 106 req/s at 15 (a third of one process's
    # SDK ceiling; the database runs ~4 queries at once). Read at 15 users.
    headline=Headline(
        metric="throughput_rps",
        name="req/s",
        better="higher",
        users=15,
        text="{ratio} fewer req/s",
        unit="req/s",
    ),
    loads=(1, 15),
    signals=(
        *COMMON_SIGNALS,
        Signal(
            name="DB queries running, peak", figure="db_active_peak", better="higher", kind="count", digits=0
        ),
    ),
    database=DATABASE,
)
