"""True negatives for AWB109 and AWB110: awaited drivers, sync drivers off the loop, and sessions that give
their connection back before the LLM call."""

import asyncio
from typing import Annotated

import psycopg
from fastapi import Depends, FastAPI
from openai import AsyncOpenAI
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

app = FastAPI()
llm = AsyncOpenAI(timeout=30, max_retries=0)
engine = create_async_engine("postgresql+asyncpg://app@db/app", pool_size=20, max_overflow=10)
Sessions = async_sessionmaker(engine, expire_on_commit=False)
pool = AsyncConnectionPool("postgresql://app@db/app", open=False)


async def get_db():
    async with Sessions() as session:
        yield session
        await session.commit()


Db = Annotated[AsyncSession, Depends(get_db)]


def fetch_plan(user_id: int) -> str:
    with psycopg.connect("dbname=app") as conn:
        return conn.execute("select plan from users where id = %s", (user_id,)).fetchone()[0]


@app.post("/plan")
def plan(user_id: int) -> str:
    return fetch_plan(user_id)


@app.post("/plan-async")
async def plan_async(user_id: int) -> str:
    return await asyncio.to_thread(fetch_plan, user_id)


async def ask(messages: list[dict[str, str]]) -> str:
    reply = await llm.chat.completions.create(model="m", messages=messages)
    return reply.choices[0].message.content or ""


@app.post("/chat")
async def chat(user_id: int, prompt: str) -> str:
    async with Sessions() as db:
        rows = (await db.execute(text("select body from messages where user_id = :u"), {"u": user_id})).all()
    answer = await ask(
        [*({"role": "user", "content": r.body} for r in rows), {"role": "user", "content": prompt}]
    )
    async with Sessions.begin() as db:
        await db.execute(
            text("insert into messages (user_id, body) values (:u, :b)"), {"u": user_id, "b": answer}
        )
    return answer


@app.post("/chat-commit-first")
async def chat_commit_first(user_id: int, prompt: str, db: Db) -> str:
    count = await db.scalar(text("select count(*) from messages where user_id = :u"), {"u": user_id})
    await db.commit()
    answer = await ask([{"role": "user", "content": f"{prompt} ({count} messages so far)"}])
    await db.execute(
        text("insert into messages (user_id, body) values (:u, :b)"), {"u": user_id, "b": answer}
    )
    return answer


@app.post("/summary")
async def summary(chat_id: int) -> str:
    async with pool.connection() as conn:
        body = await (await conn.execute("select body from chats where id = %s", (chat_id,))).fetchone()
    return await ask([{"role": "user", "content": f"Summarise: {body}"}])
