"""True positives for AWB109 and AWB110: sync drivers on the loop, and pooled sessions or connections
held across the LLM call, in the shapes services write them."""

from contextlib import asynccontextmanager
from typing import Annotated

import asyncpg
import psycopg
from fastapi import Depends, FastAPI, Request
from openai import AsyncOpenAI
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import Session, sessionmaker


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.pool = await asyncpg.create_pool("postgresql://app@db/app", min_size=5, max_size=5)
    yield
    await app.state.pool.close()


app = FastAPI(lifespan=lifespan)
llm = AsyncOpenAI(timeout=30, max_retries=0)
engine = create_async_engine("postgresql+asyncpg://app@db/app", pool_size=20, max_overflow=10)
AsyncSessionLocal = sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
SyncSessionLocal = sessionmaker(bind=create_engine("postgresql://app@db/app"))


async def get_db():
    async with AsyncSessionLocal() as session:
        try:
            yield session
            await session.commit()
        except Exception:
            await session.rollback()
            raise


Db = Annotated[AsyncSession, Depends(get_db)]


def fetch_plan(user_id: int) -> str:
    with psycopg.connect("dbname=app") as conn:
        return conn.execute("select plan from users where id = %s", (user_id,)).fetchone()[0]


def recent_titles(user_id: int) -> list[str]:
    with SyncSessionLocal() as db:
        return list(db.scalars(text("select title from chats where user_id = :u"), {"u": user_id}))


@app.post("/plan")
async def plan(user_id: int) -> str:
    return fetch_plan(user_id)  # expect: AWB109


@app.get("/titles")
async def titles(user_id: int) -> list[str]:
    return recent_titles(user_id)  # expect: AWB109


@app.post("/chat")
async def chat(user_id: int, prompt: str, db: Db) -> str:
    history = (await db.execute(text("select body from messages where user_id = :u"), {"u": user_id})).all()
    messages = [{"role": "user", "content": row.body} for row in history]
    messages.append({"role": "user", "content": prompt})
    reply = await llm.chat.completions.create(model="m", messages=messages)  # expect: AWB110
    answer = reply.choices[0].message.content or ""
    await db.execute(
        text("insert into messages (user_id, body) values (:u, :b)"), {"u": user_id, "b": answer}
    )
    return answer


@app.post("/moderate")
async def moderate(request: Request, message_id: int) -> None:
    async with request.app.state.pool.acquire() as conn:
        body = await conn.fetchval("select body from messages where id = $1", message_id)
        verdict = await llm.moderations.create(input=body)  # expect: AWB110
        await conn.execute(
            "update messages set flagged = $1 where id = $2", verdict.results[0].flagged, message_id
        )
