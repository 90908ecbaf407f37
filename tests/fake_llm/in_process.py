"""fake_llm in-process for the tests of its rules: the ASGI app behind httpx's ASGI transport.

Why not a server: admission rules, error shapes and limits are decided before a byte is written, so a
socket adds start-up time and nothing to check. What needs one (a cut stream, a header line too large, a
lost client) uses `tests.fake_llm.abuse` or the `fast_llm` fixture instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

import httpx

from fake_llm.app import create_app
from fake_llm.cli import load_config

__all__ = ["run_in_app"]

T = TypeVar("T")


def run_in_app(flags: Mapping[str, object], body: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
    """Run `body` with a client of a fresh app (preset `instant` under `flags`) and return its result."""

    async def main() -> T:
        app = create_app(load_config(flags={"preset": "instant", **flags}))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://fake") as client:
            return await body(client)

    return asyncio.run(main())
