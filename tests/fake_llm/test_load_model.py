"""The load model against a real server: latency grows linearly with the requests in service, then stops.

`x-fake-intended-ms` is the latency the engine planned for a request, so the factor each request got can be
read exactly, without timing anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from tests.waiting import wait_until_async

BODY = {"model": "fake-chat", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}


async def _intended_ms(base: str, concurrent: int) -> list[float]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        replies = await asyncio.gather(
            *(client.post("/v1/chat/completions", json=BODY) for _ in range(concurrent))
        )
    assert all(r.status_code == 200 for r in replies)
    return sorted(float(r.headers["x-fake-intended-ms"]) for r in replies)


def test_latency_grows_linearly_to_the_factor_then_stays(start_fake_llm: Callable[..., str]) -> None:
    # 1x with one request in service, 3x at five; the 300 ms TTFT keeps the first request in service
    # while the others arrive (they are sent together; arrival takes a few ms even on a loaded machine).
    base = start_fake_llm(preset="instant", ttft_ms=300.0, load_factor=3.0, load_capacity=5)
    assert asyncio.run(_intended_ms(base, 1)) == pytest.approx([300.0], abs=0.01)
    planned = asyncio.run(_intended_ms(base, 7))
    assert planned == pytest.approx([300, 450, 600, 750, 900, 900, 900], abs=0.01)


def test_pinned_latency_is_not_scaled(start_fake_llm: Callable[..., str]) -> None:
    # A long request holds the server at capacity (3x) while a pinned one is served beside it.
    base = start_fake_llm(preset="instant", ttft_ms=500.0, load_factor=3.0, load_capacity=2)

    async def main() -> tuple[float, float]:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            background = asyncio.ensure_future(client.post("/v1/chat/completions", json=BODY))

            async def in_flight() -> int:
                return int((await client.get("/stats")).json()["in_flight"])

            await wait_until_async(in_flight, 10, "the long request in service", ready=lambda n: n == 1)
            configured, pinned, _ = await asyncio.gather(
                client.post("/v1/chat/completions", json=BODY),
                client.post("/v1/chat/completions", json=BODY, headers={"x-fake-ttft-ms": "40"}),
                background,
            )
        return float(configured.headers["x-fake-intended-ms"]), float(pinned.headers["x-fake-intended-ms"])

    configured_ms, pinned_ms = asyncio.run(main())
    assert configured_ms == pytest.approx(1500.0, abs=0.01)  # the configured latency is scaled...
    assert pinned_ms == pytest.approx(40.0, abs=0.01)  # ...a pinned one is kept as pinned
