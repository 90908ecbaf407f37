"""AWB110: a pooled session or connection held across an awaited upstream call, and the shapes that
release it first."""

from __future__ import annotations

from tests.awaitbench.detect.lint.helpers import codes_at, lint_text

TUTORIAL = """
    from typing import Annotated
    from fastapi import Depends, FastAPI
    from openai import AsyncOpenAI
    from sqlalchemy import select, text
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
    from sqlalchemy.orm import sessionmaker

    engine = create_async_engine("postgresql+asyncpg://db", pool_size=20, max_overflow=10)
    SessionLocal = sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    Fresh = async_sessionmaker(engine)
    llm = AsyncOpenAI(timeout=30)
    app = FastAPI()

    async def get_db():
        async with SessionLocal() as session:
            yield session
            await session.commit()

    DB = Annotated[AsyncSession, Depends(get_db)]
"""


def test_the_tutorial_get_db_session_held_across_the_llm_call_is_reported_at_the_await() -> None:
    [finding] = lint_text(
        TUTORIAL
        + """
    @app.post("/ask")
    async def ask(question: str, user_id: int, db: AsyncSession = Depends(get_db)):
        history = (await db.execute(text("select body from messages where user = :u"), {"u": user_id})).all()
        reply = await llm.chat.completions.create(model="m", messages=[{"role": "user", "content": question}])
        await db.execute(text("insert into answers values (:a)"), {"a": reply.choices[0].message.content})
        return reply
    """,
        "AWB110",
    )
    assert (finding.line, finding.pitfall, finding.severity) == (25, "db_session_held", "high")
    assert "`db` from `Depends(get_db)` is held across `await llm.chat.completions.create`" in finding.message
    assert "checked out by `db.execute` (line 24)" in finding.message


def test_an_annotated_dependency_is_held_even_when_the_write_is_left_to_its_commit() -> None:
    source = (
        TUTORIAL
        + """
    class Conversation:
        pass

    async def answer(prompt):
        reply = await llm.chat.completions.create(model="m", messages=[{"role": "user", "content": prompt}])
        return reply.choices[0].message.content

    @app.post("/chat")
    async def chat(conversation_id: int, prompt: str, db: DB):
        conversation = await db.get(Conversation, conversation_id)
        text_ = await answer(prompt)
        db.add(conversation)
        return text_
    """
    )
    assert codes_at(source, "AWB110") == [(32, "AWB110")]


def test_an_async_with_block_or_an_acquired_connection_around_the_call_is_reported() -> None:
    source = """
        import asyncpg
        import httpx
        from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

        http = httpx.AsyncClient(timeout=10)
        session_factory = async_sessionmaker(create_async_engine("postgresql+asyncpg://db"))

        async def enrich(pool: asyncpg.Pool, user_id: int):
            async with pool.acquire() as conn:
                reply = await http.get(f"https://profiles.example/{user_id}")
                await conn.execute("update users set profile = $1 where id = $2", reply.text, user_id)

        async def summarise(doc_id: int, client):
            async with session_factory() as session:
                doc = await session.get(object, doc_id)
                summary = await client.chat.completions.create(model="m", messages=[])
            return doc, summary
        """
    assert codes_at(source, "AWB110") == [(11, "AWB110"), (17, "AWB110")]


def test_read_release_call_write_in_a_new_session_is_clean() -> None:
    assert not codes_at(
        TUTORIAL
        + """
    @app.post("/ask")
    async def ask(question: str, user_id: int):
        async with SessionLocal() as db:
            history = (await db.execute(text("select 1"), {"u": user_id})).all()
        reply = await llm.chat.completions.create(model="m", messages=[])
        async with Fresh.begin() as db:
            await db.execute(text("insert into answers values (:a)"), {"a": reply.id})
        return reply

    @app.post("/commit-first")
    async def commit_first(user_id: int, db: DB):
        history = (await db.execute(text("select 1"))).all()
        await db.commit()
        reply = await llm.chat.completions.create(model="m", messages=[])
        await db.execute(text("insert into answers values (:a)"), {"a": reply.id})
        return reply

    @app.post("/call-first")
    async def call_first(user_id: int, db: DB):
        reply = await llm.chat.completions.create(model="m", messages=[])
        await db.execute(text("insert into answers values (:a)"), {"a": reply.id})
        return reply

    async def helper(db: AsyncSession, user_id: int):
        rows = (await db.execute(text("select 1"))).all()
        return await llm.chat.completions.create(model="m", messages=[])
    """,
        "AWB110",
    )


def test_a_service_built_with_the_session_holds_it_between_two_uses_of_self_db() -> None:
    source = (
        TUTORIAL
        + """
    class ChatService:
        def __init__(self, db: AsyncSession) -> None:
            self.db = db

        async def reply(self, chat_id: int, prompt: str):
            rows = (await self.db.execute(text("select body from messages"), {"c": chat_id})).all()
            reply = await llm.chat.completions.create(model="m", messages=[])
            self.db.add(reply)
            await self.db.commit()
            return reply

        async def reply_released(self, chat_id: int, prompt: str):
            rows = (await self.db.execute(text("select 1"))).all()
            await self.db.commit()
            reply = await llm.chat.completions.create(model="m", messages=[])
            self.db.add(reply)
            await self.db.commit()
            return reply

    def get_service(db: DB) -> ChatService:
        return ChatService(db)
    """
    )
    [finding] = lint_text(source, "AWB110")
    assert finding.line == 28
    assert "database session `self.db` from the `ChatService` it was built with is held" in finding.message


def test_a_session_handed_to_a_constructor_is_not_a_query() -> None:
    assert not codes_at(
        TUTORIAL
        + """
    class Searcher:
        def __init__(self, db: AsyncSession) -> None:
            self.db = db

    @app.post("/search")
    async def search(query: str, db: DB):
        searcher = Searcher(db)
        db.add(query)
        return await llm.embeddings.create(model="e", input=query)
    """,
        "AWB110",
    )
