"""Apps for `python -m awaitbench.detect.serve` in tests (imported by the served process, never by pytest
itself)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

__all__ = ["app", "broken_at_startup", "make_app", "raises_at_import_marker"]


def make_app() -> FastAPI:
    """A factory: `GET /slow` blocks the loop 60 ms, `GET /fine` does not."""
    app = FastAPI()

    @app.get("/slow")
    async def slow() -> dict[str, str]:
        time.sleep(0.06)  # blocks the loop on purpose
        return {"slow": "yes"}

    @app.get("/fine")
    async def fine() -> dict[str, str]:
        return {"fine": "yes"}

    return app


app = make_app()


def _connect_to_the_database() -> None:
    raise RuntimeError("the database at db.internal:5432 refused the connection")


def broken_at_startup() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _connect_to_the_database()
        yield

    return FastAPI(lifespan=lifespan)


raises_at_import_marker = "see tests/awaitbench/detect/serve_broken_import.py"
