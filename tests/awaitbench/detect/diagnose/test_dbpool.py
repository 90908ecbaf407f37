"""The pool watch on a real SQLAlchemy engine: what a phase lent, for how long, and at most at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import QueuePool

from awaitbench.detect.diagnose.dbpool import PoolWatch


@pytest.fixture
def watch() -> Iterator[PoolWatch]:
    pools = PoolWatch()
    assert pools.install()
    yield pools
    pools.remove()


def test_a_phase_counts_what_was_lent_held_and_at_most_at_once(watch: PoolWatch) -> None:
    engine = create_engine("sqlite://", poolclass=QueuePool, pool_size=2, max_overflow=1)
    try:
        with engine.connect() as first, engine.connect() as second:
            first.execute(text("select 1"))
            second.execute(text("select 1"))
        usage = watch.usage()
        assert (usage.checkouts, usage.peak_checked_out, usage.capacity) == (2, 2, 3)
        assert usage.held_ms > 0
        watch.reset()
        assert watch.usage().checkouts == 0 and watch.usage().held_ms == 0.0
    finally:
        engine.dispose()


def test_a_connection_lent_before_the_reset_counts_from_the_reset(watch: PoolWatch) -> None:
    engine = create_engine("sqlite://", poolclass=QueuePool, pool_size=1, max_overflow=0)
    try:
        with engine.connect():
            watch.reset()
            assert watch.usage().peak_checked_out == 1
        usage = watch.usage()
        assert usage.checkouts == 0 and usage.held_ms > 0
    finally:
        engine.dispose()
