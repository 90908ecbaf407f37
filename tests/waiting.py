"""Wait for observable state, never for a fixed time: a test polls what it needs with a deadline.

Why: a fixed `sleep(0.5)` is either too short on a loaded 2-core box (the test flakes) or longer than
needed everywhere else (the suite crawls). Polling returns as soon as the state is there and, when it
never comes, fails with a message saying what was awaited and what was last seen.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["WaitTimeout", "wait_until", "wait_until_async"]

T = TypeVar("T")

POLL_S = 0.05


class WaitTimeout(AssertionError):
    """The awaited state did not come within the deadline (an AssertionError, so pytest shows it as a
    failed check rather than an error)."""


def _timeout(what: str, timeout_s: float, last: object) -> WaitTimeout:
    return WaitTimeout(f"timed out after {timeout_s:g} s waiting for {what}; last seen: {last!r}")


def wait_until(
    probe: Callable[[], T], timeout_s: float, what: str, *, ready: Callable[[T], bool] = bool
) -> T:
    """Call `probe` every 50 ms until `ready(value)`; return that value.

    Args:
        probe: reads the state (a stats endpoint, a file listing, a process table).
        timeout_s: the deadline; generous, since it costs nothing when the state comes early.
        what: the awaited state in words, for the failure message.
        ready: when the value counts as arrived (default: truthy).

    Raises:
        WaitTimeout: the deadline passed; the message names `what` and the last value seen.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if ready(value):
            return value
        if time.monotonic() >= deadline:
            raise _timeout(what, timeout_s, value)
        time.sleep(POLL_S)


async def wait_until_async(
    probe: Callable[[], Awaitable[T]], timeout_s: float, what: str, *, ready: Callable[[T], bool] = bool
) -> T:
    """`wait_until` for code on an event loop: awaits `probe` and yields to the loop between polls."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = await probe()
        if ready(value):
            return value
        if time.monotonic() >= deadline:
            raise _timeout(what, timeout_s, value)
        await asyncio.sleep(POLL_S)
