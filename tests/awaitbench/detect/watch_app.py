"""The watchdog's test app: one route per kind of block, and a clean one (not a scenario).

Each blocking call sits on a line marked `# <-- NAME` so tests find the line the watchdog must name
(`line_of("SLEEP")`) without hard-coding numbers. `OPENAI_BASE_URL` points the sync SDK route at a real
fake_llm; `WATCH_APP_PLAIN=1` builds the app without the middleware.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from awaitbench.detect.middleware import LoopWatchMiddleware

THIS_FILE = str(Path(__file__).resolve())


def line_of(marker: str) -> int:
    """The line number of the line ending in `# <-- marker`."""
    lines = Path(THIS_FILE).read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if text.rstrip().endswith(f"# <-- {marker}"))


def blocking_sleep(seconds: float) -> None:
    time.sleep(seconds)  # <-- SLEEP


def burn_cpu(seconds: float) -> int:
    deadline = time.thread_time() + seconds  # CPU seconds: the same work on a loaded machine
    spins = 0
    while time.thread_time() < deadline:  # <-- CPU
        spins += 1
    return spins


def _sync_openai(base_url: str) -> Any:
    import openai

    return openai.OpenAI(base_url=f"{base_url}/v1", api_key="sk-test", max_retries=0)


def make_app(*, middleware: bool | None = None, threshold_ms: float = 50.0, **watch: Any) -> FastAPI:
    """The app; `middleware` defaults to on unless WATCH_APP_PLAIN=1."""
    if middleware is None:
        middleware = os.environ.get("WATCH_APP_PLAIN") != "1"
    base_url = os.environ.get("OPENAI_BASE_URL")
    # The SDK is imported and its client built here, not in the route: importing openai alone blocks a
    # loop for a second or more (the watchdog says so, at the import line).
    llm = _sync_openai(base_url) if base_url else None
    prompt: dict[str, Any] = {"model": "fake-chat", "messages": [{"role": "user", "content": "hi"}]}
    if llm is not None:
        # The SDK's first call spends ~100 ms of CPU on lazy set-up (connection pool, response models);
        # done once here, before the app is served and watched, so /sdk shows what the pitfall is: the
        # loop parked on the network.
        llm.chat.completions.create(**prompt)
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/sleep")
    async def sleep(ms: float = 150.0) -> dict[str, bool]:
        blocking_sleep(ms / 1000.0)
        return {"ok": True}

    @app.post("/cpu")
    async def cpu(ms: float = 150.0) -> dict[str, int]:
        return {"spins": burn_cpu(ms / 1000.0)}

    @app.post("/sdk")
    async def sdk() -> dict[str, str]:
        assert llm is not None, "set OPENAI_BASE_URL to a fake_llm"
        reply = llm.chat.completions.create(**prompt)  # <-- SDK
        return {"content": reply.choices[0].message.content or ""}

    @app.get("/clean/{item_id}")
    async def clean(item_id: int) -> dict[str, int]:
        await asyncio.sleep(0.002)
        return {"item_id": item_id}

    @app.post("/threads")
    def threads(ms: float = 400.0) -> dict[str, bool]:  # plain def: runs on anyio's 40-token pool
        time.sleep(ms / 1000.0)
        return {"ok": True}

    try:
        from prometheus_client import make_asgi_app

        app.mount("/metrics", make_asgi_app())  # the app's own /metrics: the middleware feeds it
    except ImportError:
        pass
    if middleware:
        app.add_middleware(LoopWatchMiddleware, threshold_ms=threshold_ms, **watch)
    return app
