"""The app's SQLAlchemy pools, seen from inside the app: the pool events of every engine (sync or asyncio)
count the connections lent, the most lent at once and how long each was held, per phase."""

from __future__ import annotations

import threading
import time
from typing import Any

from awaitbench.detect.diagnose.evidence import DbPoolFigures

__all__ = ["PoolWatch"]


class PoolWatch:
    """Listens to `sqlalchemy.pool.Pool`'s `checkout` and `checkin` events once installed; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lent: dict[int, float] = {}  # connection record -> when it was checked out
        self._capacity: dict[int, int] = {}  # pool -> pool_size + max_overflow
        self.reset()

    def install(self) -> bool:
        """Listen to every pool of the process; False when SQLAlchemy is not installed."""
        try:
            from sqlalchemy import event
            from sqlalchemy.pool import Pool
        except ImportError:
            return False
        event.listen(Pool, "checkout", self._checkout)
        event.listen(Pool, "checkin", self._checkin)
        return True

    def remove(self) -> None:
        """Stop listening (a no-op when not installed)."""
        from sqlalchemy import event
        from sqlalchemy.pool import Pool

        for name, handler in (("checkout", self._checkout), ("checkin", self._checkin)):
            if event.contains(Pool, name, handler):
                event.remove(Pool, name, handler)

    def reset(self) -> None:
        """Start a phase: connections lent now stay counted as lent, their time counts from now."""
        with self._lock:
            now = time.monotonic()
            self._lent = dict.fromkeys(self._lent, now)
            self._checkouts = 0
            self._held_ms = 0.0
            self._peak = len(self._lent)
            self._busiest: int | None = None

    def usage(self) -> DbPoolFigures:
        with self._lock:
            capacity = self._capacity.get(self._busiest) if self._busiest is not None else None
            return DbPoolFigures(
                checkouts=self._checkouts,
                held_ms=round(self._held_ms, 3),
                peak_checked_out=self._peak,
                capacity=capacity,
            )

    def _checkout(self, dbapi_connection: Any, record: Any, proxy: Any) -> None:
        pool = getattr(proxy, "_pool", None)
        with self._lock:
            self._lent[id(record)] = time.monotonic()
            self._checkouts += 1
            if len(self._lent) > self._peak:
                self._peak = len(self._lent)
                self._busiest = id(pool) if pool is not None else None
            if pool is not None and id(pool) not in self._capacity:
                size, overflow = getattr(pool, "size", None), getattr(pool, "_max_overflow", None)
                if callable(size) and isinstance(overflow, int):
                    self._capacity[id(pool)] = int(size()) + max(overflow, 0)

    def _checkin(self, dbapi_connection: Any, record: Any) -> None:
        with self._lock:
            since = self._lent.pop(id(record), None)
            if since is not None:
                self._held_ms += (time.monotonic() - since) * 1000.0
