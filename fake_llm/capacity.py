"""A busy provider: a concurrency cap with a bounded FIFO queue, and per-minute rate limits.

Over the cap requests wait (their latency grows, as at a saturated provider); beyond the queue limit, or
over the rate limits, they get 429 with `Retry-After`, which the SDK's retries honour.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass

from fake_llm.config import CapacityConfig
from fake_llm.stats import ServerStats

__all__ = ["BucketState", "ConcurrencyGate", "QueueFull", "RateDecision", "RateLimiter"]


class QueueFull(Exception):
    """The cap is reached and the queue is full: answer 429."""


class ConcurrencyGate:
    """At most `max_concurrency` holders (0 = unlimited); waiters queue in FIFO order, up to `queue_limit`."""

    def __init__(self, config: CapacityConfig, stats: ServerStats) -> None:
        self._limit = config.max_concurrency
        # False when there is no cap (the usual case): callers then skip acquire/release altogether.
        self.limited = self._limit > 0
        self._queue_limit = config.queue_limit
        self._stats = stats
        self._holders = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self) -> bool:
        """Take a slot, queueing if needed; True if it queued. Raises QueueFull when the queue is full."""
        if self._limit == 0:
            return False
        if self._holders < self._limit and not self._waiters:
            self._holders += 1
            return False
        if self._queue_limit >= 0 and len(self._waiters) >= self._queue_limit:
            raise QueueFull
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._stats.queued += 1
        try:
            await waiter
        except BaseException:
            # Cancelled while queued (client gone, shutdown): give the slot on if it was already handed over.
            if waiter.done() and not waiter.cancelled():
                self.release()
            else:
                self._waiters.remove(waiter)
            raise
        finally:
            self._stats.queued -= 1
        return True

    def release(self) -> None:
        """Hand the slot to the oldest waiter, or free it."""
        if self._limit == 0:
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes on; holders stays the same
                return
        self._holders -= 1


@dataclass(frozen=True, kw_only=True)
class BucketState:
    """One rate-limit budget as a reply reports it: `kind` is "requests" or "tokens"."""

    kind: str
    limit: int
    remaining: int
    reset_s: float


@dataclass(frozen=True, kw_only=True)
class RateDecision:
    """Whether a request may go ahead, and the state of each budget (the `*ratelimit-*` headers' figures).

    The figures, not the headers: each wire format spells them its own way (OpenAI's `x-ratelimit-*` with
    durations, Anthropic's `anthropic-ratelimit-*` with timestamps; see `fake_llm.dialects`).
    """

    allowed: bool
    retry_after_s: float
    buckets: tuple[BucketState, ...]


class _Bucket:
    """A token bucket holding one minute's budget, refilled continuously."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.level = float(per_minute)
        self.rate_per_s = per_minute / 60.0
        self.updated = time.monotonic()

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.updated) * self.rate_per_s)
        self.updated = now

    def wait_s(self, amount: float) -> float:
        missing = amount - self.level
        return 0.0 if missing <= 0 else missing / self.rate_per_s

    def reset_s(self) -> float:
        return (self.capacity - self.level) / self.rate_per_s


class RateLimiter:
    """Requests/min and tokens/min limits (0 = off)."""

    def __init__(self, config: CapacityConfig) -> None:
        self._requests = _Bucket(config.rpm) if config.rpm else None
        self._tokens = _Bucket(config.tpm) if config.tpm else None

    @property
    def enabled(self) -> bool:
        return self._requests is not None or self._tokens is not None

    def check(self, tokens: int) -> RateDecision:
        """Admit one request costing `tokens` (prompt + expected output), or say how long to wait."""
        now = time.monotonic()
        waits = []
        for bucket, amount in ((self._requests, 1.0), (self._tokens, float(tokens))):
            if bucket is not None:
                bucket.refill(now)
                # A request bigger than the whole budget could never pass; let it through when full.
                waits.append(bucket.wait_s(min(amount, bucket.capacity)))
        allowed = all(w == 0 for w in waits)
        if allowed:
            if self._requests is not None:
                self._requests.level -= 1
            if self._tokens is not None:
                self._tokens.level -= min(float(tokens), self._tokens.capacity)
        buckets = tuple(
            BucketState(
                kind=kind,
                limit=int(bucket.capacity),
                remaining=max(0, int(bucket.level)),
                reset_s=bucket.reset_s(),
            )
            for bucket, kind in ((self._requests, "requests"), (self._tokens, "tokens"))
            if bucket is not None
        )
        return RateDecision(allowed=allowed, retry_after_s=max(waits, default=0.0), buckets=buckets)
