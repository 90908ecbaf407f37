"""The concurrency gate and the rate limiter (pure logic, in one event loop)."""

from __future__ import annotations

import asyncio

import pytest

from fake_llm.capacity import ConcurrencyGate, QueueFull, RateLimiter
from fake_llm.config import CapacityConfig
from fake_llm.dialects import OPENAI
from fake_llm.stats import ServerStats


def test_gate_queues_fifo_and_rejects_beyond_queue_limit() -> None:
    async def main() -> list[str]:
        stats = ServerStats()
        gate = ConcurrencyGate(CapacityConfig(max_concurrency=1, queue_limit=2), stats)
        order: list[str] = []
        assert await gate.acquire() is False  # free slot: no queueing

        async def waiter(name: str) -> None:
            assert await gate.acquire() is True
            order.append(name)
            gate.release()

        tasks = [asyncio.create_task(waiter(n)) for n in ("a", "b")]
        await asyncio.sleep(0)
        assert stats.queued == 2
        with pytest.raises(QueueFull):
            await gate.acquire()
        gate.release()
        await asyncio.gather(*tasks)
        assert stats.queued == 0
        return order

    assert asyncio.run(main()) == ["a", "b"]


def test_gate_cancelled_waiter_does_not_leak_a_slot() -> None:
    async def main() -> None:
        gate = ConcurrencyGate(CapacityConfig(max_concurrency=1), ServerStats())
        await gate.acquire()
        task = asyncio.create_task(gate.acquire())
        await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        gate.release()
        assert await gate.acquire() is False  # the slot is free again, nobody queued

    asyncio.run(main())


def test_queue_limit_zero_rejects_at_the_cap() -> None:
    async def main() -> None:
        gate = ConcurrencyGate(CapacityConfig(max_concurrency=1, queue_limit=0), ServerStats())
        await gate.acquire()
        with pytest.raises(QueueFull):
            await gate.acquire()

    asyncio.run(main())


def test_rate_limiter_requests_and_tokens() -> None:
    limiter = RateLimiter(CapacityConfig(rpm=2, tpm=100))
    assert limiter.check(10).allowed
    second = limiter.check(10)
    assert second.allowed
    headers = dict(OPENAI.rate_headers(second))
    assert headers[b"x-ratelimit-limit-requests"] == b"2"
    assert headers[b"x-ratelimit-remaining-requests"] == b"0"
    assert headers[b"x-ratelimit-limit-tokens"] == b"100"
    third = limiter.check(10)
    assert not third.allowed
    # One request per 30 s refills; the wait is about that long.
    assert 25 < third.retry_after_s <= 30

    tokens = RateLimiter(CapacityConfig(tpm=60))
    assert tokens.check(50).allowed
    denied = tokens.check(50)
    assert not denied.allowed and denied.retry_after_s == pytest.approx(40, abs=1)


def test_rate_limiter_off_by_default() -> None:
    assert not RateLimiter(CapacityConfig()).enabled
