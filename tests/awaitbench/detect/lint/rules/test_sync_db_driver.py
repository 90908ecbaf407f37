"""AWB109: sync database drivers reached from async code, wherever the connection comes from."""

from __future__ import annotations

from tests.awaitbench.detect.lint.helpers import codes_at, lint_text


def test_psycopg_pool_subclass_connection_query_is_reported() -> None:
    [finding] = lint_text(
        """
        from psycopg_pool import ConnectionPool

        class CountingPool(ConnectionPool):
            pass

        pool = CountingPool("postgresql://db")

        async def profile(user_id):
            with pool.connection() as conn:
                return conn.execute("select plan from users where id = %s", (user_id,)).fetchone()
        """,
        "AWB109",
    )
    assert (finding.line, finding.pitfall) == (11, "sync_db_driver")
    assert "`Connection.execute` inside `async def profile`" in finding.message


def test_a_get_db_session_reached_through_a_repository_helper_is_named_with_its_chain() -> None:
    [finding] = lint_text(
        """
        from fastapi import Depends, FastAPI
        from sqlalchemy import create_engine, text
        from sqlalchemy.orm import Session, sessionmaker

        SessionLocal = sessionmaker(bind=create_engine("postgresql://db"))
        app = FastAPI()

        def get_db():
            db = SessionLocal()
            try:
                yield db
            finally:
                db.close()

        def load_history(db: Session, user_id: int):
            return db.execute(text("select body from messages where user_id = :u"), {"u": user_id}).all()

        @app.post("/chat")
        async def chat(user_id: int, db: Session = Depends(get_db)):
            return load_history(db, user_id)
        """,
        "AWB109",
    )
    assert finding.line == 21
    assert "chat -> load_history -> Session.execute" in finding.message


def test_psycopg_and_psycopg2_connects_are_database_calls_and_sqlite_stays_blocking_work() -> None:
    source = """
        import sqlite3
        import psycopg, psycopg2

        async def handler(path):
            psycopg.connect("dbname=x").execute("select 1")
            psycopg2.connect("dbname=x")
            sqlite3.connect(path)
        """
    assert codes_at(source) == [(6, "AWB109"), (6, "AWB109"), (7, "AWB109"), (8, "AWB102")]


def test_awaited_drivers_plain_def_routes_and_offloaded_queries_are_fine() -> None:
    assert not codes_at(
        """
        import asyncio
        import asyncpg
        from psycopg_pool import AsyncConnectionPool, ConnectionPool
        from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
        from sqlalchemy.orm import sessionmaker

        engine = create_async_engine("postgresql+asyncpg://db")
        Sessions = sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
        apool = AsyncConnectionPool("postgresql://db")
        spool = ConnectionPool("postgresql://db")

        def read_sync(user_id):
            with spool.connection() as conn:
                return conn.execute("select 1").fetchone()

        def plain_route(user_id):
            return read_sync(user_id)

        async def via_thread(user_id):
            return await asyncio.to_thread(read_sync, user_id)

        async def via_session(user_id):
            async with Sessions() as session:
                return (await session.execute("select 1")).one()

        async def via_psycopg(user_id):
            async with apool.connection() as conn:
                return await (await conn.execute("select 1")).fetchone()

        async def via_asyncpg(dsn):
            conn = await asyncpg.connect(dsn)
            return await conn.fetchrow("select 1")
        """
    )
