"""HTTP helpers that drive the variant apps as their users do, and read what the apps and upstream saw."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = [
    "LEAK_MARKERS",
    "Outcome",
    "app_stats_delta",
    "ask",
    "ask_concurrently",
    "assert_answers",
    "get_json",
    "leaks",
    "reset_llm_stats",
    "wall_time_s",
]

# Words that mean a client or socket was left open (aiohttp logs "Unclosed client session"; the
# interpreter warns "unclosed transport" / ResourceWarning when one is garbage-collected).
LEAK_MARKERS = ("Unclosed", "unclosed", "ResourceWarning")


def get_json(url: str, *, timeout_s: float = 10.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        return json.loads(response.read())


def reset_llm_stats(llm: str) -> None:
    request = urllib.request.Request(f"{llm}/stats/reset", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=10.0) as response:
        response.read()


def app_stats_delta(url: str, before: dict[str, int]) -> dict[str, int]:
    """How far an app's `/app-stats` counters moved since `before` (a test counts only its own work)."""
    after = get_json(f"{url}/app-stats")
    return {key: after.get(key, 0) - before.get(key, 0) for key in {*after, *before}}


def ask(url: str, question: str = "What is async?", *, timeout_s: float = 30.0) -> httpx.Response:
    return httpx.post(f"{url}/ask", json={"question": question}, timeout=timeout_s)


@dataclass(frozen=True)
class Outcome:
    """One request as its client saw it; `status` is None when the client gave up (timeout_s)."""

    status: int | None
    elapsed_s: float
    first_byte_s: float
    body: bytes


async def _one(client: httpx.AsyncClient, url: str, question: str) -> Outcome:
    start = time.perf_counter()
    first: float | None = None
    chunks: list[bytes] = []
    try:
        async with client.stream("POST", f"{url}/ask", json={"question": question}) as response:
            async for chunk in response.aiter_raw():
                if first is None:
                    first = time.perf_counter() - start
                chunks.append(chunk)
            status: int | None = response.status_code
    except httpx.TimeoutException:
        status = None
    elapsed = time.perf_counter() - start
    return Outcome(
        status=status,
        elapsed_s=elapsed,
        first_byte_s=elapsed if first is None else first,
        body=b"".join(chunks),
    )


def ask_concurrently(url: str, n: int, *, timeout_s: float = 30.0) -> list[Outcome]:
    """`n` requests at once from `n` connections; each outcome as its client saw it."""

    async def run() -> list[Outcome]:
        limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
        async with httpx.AsyncClient(timeout=timeout_s, limits=limits) as client:
            return list(await asyncio.gather(*(_one(client, url, f"question {i}") for i in range(n))))

    return asyncio.run(run())


def wall_time_s(url: str, n: int, *, timeout_s: float = 60.0) -> float:
    """Wall time for `n` concurrent requests, asserting they all succeeded."""
    start = time.perf_counter()
    outcomes = ask_concurrently(url, n, timeout_s=timeout_s)
    elapsed = time.perf_counter() - start
    statuses = [o.status for o in outcomes]
    assert statuses == [200] * n, statuses
    return elapsed


def leaks(log: str) -> list[str]:
    """Lines of an app log that report an unclosed client, socket or transport."""
    return [line for line in log.splitlines() if any(marker in line for marker in LEAK_MARKERS)]


def assert_answers(url: str) -> dict[str, Any]:
    """One `/ask` answered 200 with a non-empty answer; returns the JSON body."""
    response = ask(url)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["answer"], body
    return body
