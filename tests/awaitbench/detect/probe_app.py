"""A tiny app under the probe, served by uvicorn in tests/awaitbench/detect/test_probe.py (not a scenario)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import FastAPI

from awaitbench.detect.probe import instrument


def make_app() -> Any:
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/block")
    async def block(seconds: float = 0.3) -> dict[str, bool]:
        time.sleep(seconds)  # the pitfall the probe must see
        return {"ok": True}

    @app.post("/sleep-in-thread")
    def sleep_in_thread(seconds: float = 0.3) -> dict[str, bool]:
        time.sleep(seconds)
        return {"ok": True}

    @app.post("/nap")
    async def nap() -> dict[str, bool]:
        await asyncio.sleep(0.01)
        return {"ok": True}

    return instrument(app)
