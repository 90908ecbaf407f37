"""db_session_held — a database session held across the LLM call: the pool, not the LLM, caps throughput.

Bug: the `get_db` session stays checked out across the awaited LLM call. Fix: read, release, call the LLM,
write in a short transaction. Theory: with pool P and S = L + q + w, `session_held` X = min(U, P) / S, and
(U − P) / T − P / S time out per second beyond it; `short_sessions` X = U / S. Details: docs/scenarios.md."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from fastapi import Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from scenarios._database import (
    DATABASE,
    QUERY_MS,
    SAVE_ANSWER_SQL,
    USER_CONTEXT_SQL,
    WRITE_MS,
    AskAs,
    Sessions,
    answer_params,
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

__all__ = ["SCENARIO", "session_held", "short_sessions"]

UPSTREAM_LATENCY_MS = 500.0
POOL_SIZE, MAX_OVERFLOW, POOL_TIMEOUT_S = 10, 0, 1.0
USER_CONTEXT = sqlalchemy_text(USER_CONTEXT_SQL)
SAVE_ANSWER = sqlalchemy_text(SAVE_ANSWER_SQL)


def session_held() -> FastAPI:
    sessions = Sessions(pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW, pool_timeout=POOL_TIMEOUT_S)
    app, llm = new_app(title="db_session_held: session_held", client=async_openai, resources=[sessions])

    async def get_db() -> AsyncIterator[AsyncSession]:  # the tutorial's dependency
        async with sessions() as session:
            yield session
            await session.commit()

    @app.post("/ask")
    async def ask(question: AskAs, session: AsyncSession = Depends(get_db)) -> Answer:  # noqa: B008 - FastAPI idiom
        row = (await session.execute(USER_CONTEXT, query_params(question))).one_or_none()  # checks out
        reply = await llm.client.chat.completions.create(**llm.prompt(context_prompt(question, row)))
        answer = Answer.of(reply)  # the connection was held, idle in transaction, all along
        await session.execute(SAVE_ANSWER, answer_params(question, answer))
        return answer

    return app


def short_sessions() -> FastAPI:
    sessions = Sessions(pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW, pool_timeout=POOL_TIMEOUT_S)
    app, llm = new_app(title="db_session_held: short_sessions", client=async_openai, resources=[sessions])

    @app.post("/ask")
    async def ask(question: AskAs) -> Answer:
        async with sessions() as session:  # read, and give the connection back
            row = (await session.execute(USER_CONTEXT, query_params(question))).one_or_none()
        reply = await llm.client.chat.completions.create(**llm.prompt(context_prompt(question, row)))
        answer = Answer.of(reply)  # no connection held while the LLM thinks
        async with sessions.begin() as session:  # a short transaction for the write
            await session.execute(SAVE_ANSWER, answer_params(question, answer))
        return answer

    return app


def held_pool(*, users: int, service_ms: float, connections: int, timeout_ms: float) -> Prediction:
    """A closed loop of `users` in front of a pool of `connections`, each held `service_ms` per request, whose
    waiters give up after `timeout_ms`: goodput P / S, and the timed-out answers beside it."""
    served = min(users, connections) * 1000.0 / service_ms
    timed_out = max(0.0, (users - connections) * 1000.0 / timeout_ms - connections * 1000.0 / service_ms)
    note = f"a connection held for L + q per request: X = P / (L + q) = {served:.1f}"
    if timed_out > 0:
        note += f"; ~{timed_out:.1f} requests/s time out waiting for the pool"
    return Prediction(
        throughput_rps=served,
        latency_ms=users * 1000.0 / (served + timed_out),
        note=note,
        capacity_rps=connections * 1000.0 / service_ms,
        failed_rps=timed_out,
    )


def theory(given: TheoryInput) -> Mapping[str, Prediction]:
    service_ms = given.upstream_latency_ms + QUERY_MS + WRITE_MS
    connections = (POOL_SIZE + MAX_OVERFLOW) * given.workers
    return {
        "session_held": held_pool(
            users=given.users,
            service_ms=service_ms,
            connections=connections,
            timeout_ms=POOL_TIMEOUT_S * 1000.0,
        ),
        "short_sessions": closed_loop(
            users=given.users,
            latency_ms=service_ms,
            capacity_rps=connections * 1000.0 / (QUERY_MS + WRITE_MS),
            note="connections held for q only: X = U / (L + q)",
        ),
    }


SCENARIO = Scenario(
    id="db_session_held",
    title="Database session held across the LLM call",
    pitfall=(
        "A request-scoped AsyncSession (the tutorial's get_db dependency, committed at the end) reads, "
        "awaits the LLM, then writes: every request holds a pooled connection, idle in transaction, for "
        "the whole LLM call. At most pool_size + max_overflow requests make progress; the rest queue for "
        "the pool and time out after pool_timeout."
    ),
    fix=(
        "Read in a short session and release it, call the LLM holding no connection, then write in a second "
        "short transaction: a connection is held for the queries only, and throughput follows Little's law "
        "again, U / (L + q)."
    ),
    signature=(
        "the pool's connections all checked out with requests waiting for one, the database's sessions idle "
        "in transaction, throughput pinned at P / (L + q) and pool timeouts (500s) beyond it"
    ),
    variants=(
        Variant(
            id="session_held",
            title="session per request (get_db)",
            role="pitfall",
            factory="scenarios.db_session_held:session_held",
            summary="A get_db dependency yields the AsyncSession: its connection is held across the call.",
        ),
        Variant(
            id="short_sessions",
            title="short sessions around the LLM call",
            role="fix",
            factory="scenarios.db_session_held:short_sessions",
            summary="Read, release, call the LLM, then write in a short transaction.",
        ),
    ),
    pitfall_variant="session_held",
    fix_variant="short_sessions",
    upstream=fixed_latency(UPSTREAM_LATENCY_MS),
    request=RequestSpec(json_body={"question": "What is async?", "user_id": 42}),
    theory=theory,
    # Theory: S = L + q + w = 543 ms and P = 10. At 10 users both serve U / S = 18 req/s (no difference);
    # at 40 the held sessions serve P / S = 18 req/s with ~12 timeouts/s, the fix U / S = 74 req/s.
    headline=Headline(
        metric="throughput_rps",
        name="req/s",
        better="higher",
        users=40,
        text="{ratio} fewer req/s",
        unit="req/s",
    ),
    loads=(10, 40),
    signals=(
        *COMMON_SIGNALS,
        Signal(
            name="pool waiters, peak", figure="db_pool_waiting_peak", better="lower", kind="count", digits=0
        ),
        Signal(
            name="DB sessions idle in transaction, mean",
            figure="db_idle_in_transaction_mean",
            better="lower",
            min_gap=1.0,
        ),
    ),
    database=DATABASE,
)
