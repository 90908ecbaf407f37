"""The polling helper every test uses instead of fixed sleeps."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from tests.waiting import WaitTimeout, wait_until, wait_until_async


def test_returns_the_first_value_that_is_ready() -> None:
    counter = itertools.count()
    assert wait_until(lambda: next(counter), 5.0, "the third poll", ready=lambda n: n >= 2) == 2


def test_timeout_names_what_was_awaited_and_the_last_value() -> None:
    with pytest.raises(WaitTimeout, match=r"after 0.1 s waiting for a miracle; last seen: \[\]"):
        wait_until(list, 0.1, "a miracle")


def test_async_variant_yields_to_the_loop_between_polls() -> None:
    async def main() -> int:
        box = {"n": 0}

        async def bump() -> None:
            await asyncio.sleep(0.01)
            box["n"] = 7

        async def read() -> int:
            return box["n"]

        task = asyncio.create_task(bump())  # can only run while the poller awaits
        value = await wait_until_async(read, 5.0, "the task to write", ready=lambda n: n == 7)
        await task
        return value

    assert asyncio.run(main()) == 7
