"""The database's own view of a point: pg_stat_activity sampled through the window on a connection of its
own (the app's connections only), turned with the app's pool counters into `DatabaseFigures`."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from bench.results import DatabaseFigures

__all__ = ["ACTIVITY_SQL", "SAMPLE_EVERY_S", "ActivitySample", "ActivitySampler", "database_figures"]

# Every backend of the database but this one's: an app's connections, as the server sees them.
ACTIVITY_SQL = """
SELECT count(*) FILTER (WHERE state = 'active'),
       count(*) FILTER (WHERE state = 'idle in transaction'),
       count(*)
FROM pg_stat_activity
WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
"""
SAMPLE_EVERY_S = 0.02


@dataclass(frozen=True)
class ActivitySample:
    """One reading of pg_stat_activity: queries running, sessions idle in a transaction, connections."""

    active: int
    idle_in_transaction: int
    connections: int


class ActivitySampler:
    """Reads pg_stat_activity every `every_s` on a thread, from `start()` until `finish()`.

    Each reading is its own transaction (autocommit): inside one, PostgreSQL would keep showing the
    first snapshot. A reading that fails (the server going away) ends the sampling; `finish` returns
    what was read.
    """

    def __init__(self, url: str, *, every_s: float = SAMPLE_EVERY_S) -> None:
        self.every_s = every_s
        self.samples: list[ActivitySample] = []
        self._conn = psycopg.connect(url, autocommit=True, connect_timeout=5)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-activity", daemon=True)

    def start(self) -> ActivitySampler:
        self._thread.start()
        return self

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            try:
                row = self._conn.execute(ACTIVITY_SQL).fetchone()
            except psycopg.Error:
                return
            if row is not None:
                self.samples.append(ActivitySample(*(int(value) for value in row)))
            next_at += self.every_s
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def finish(self) -> list[ActivitySample]:
        """Stop sampling, close the connection and return the readings."""
        self._stop.set()
        self._thread.join(timeout=5.0)
        self._conn.close()
        return list(self.samples)


def _count(stats: Mapping[str, Any], key: str) -> int | None:
    value = stats.get(key)
    return int(value) if isinstance(value, int | float) else None


def database_figures(
    samples: Sequence[ActivitySample], *, every_s: float, app_stats: Mapping[str, Any]
) -> DatabaseFigures:
    """The window's database figures: pg_stat_activity's peaks, and the app's pool counters."""
    # The busiest sample; among equals, the one holding most connections idle in a transaction.
    busiest = max(
        samples, key=lambda s: (s.active + s.idle_in_transaction, s.idle_in_transaction), default=None
    )
    count = len(samples) or 1
    return DatabaseFigures(
        samples=len(samples),
        sample_every_ms=round(every_s * 1000.0, 3),
        active_peak=max((s.active for s in samples), default=0),
        active_at_peak=busiest.active if busiest else 0,
        idle_in_transaction_at_peak=busiest.idle_in_transaction if busiest else 0,
        connections_peak=max((s.connections for s in samples), default=0),
        active_mean=round(sum(s.active for s in samples) / count, 3),
        idle_in_transaction_mean=round(sum(s.idle_in_transaction for s in samples) / count, 3),
        pool_checked_out_peak=_count(app_stats, "db_pool_checked_out_peak"),
        pool_waiting_peak=_count(app_stats, "db_pool_waiting_peak"),
        pool_timeouts=_count(app_stats, "db_pool_timeouts"),
    )
