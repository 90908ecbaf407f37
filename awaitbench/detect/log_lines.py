"""One structured log line per block, rate-limited, for staging and production."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from awaitbench.detect.watchdog.monitor import WatchListener
from awaitbench.detect.watchdog.render import describe_never_awaited
from awaitbench.detect.watchdog.report import Block, NeverAwaited, ResourceLeak

__all__ = ["DEFAULT_LOGGER", "BlockLogger", "format_fields"]

DEFAULT_LOGGER = "awaitbench.detect"


def format_fields(event: str, fields: Mapping[str, object]) -> str:
    """`event key=value ...` (logfmt); values with spaces or quotes are JSON-quoted, None left out."""
    parts = [event]
    for key, value in fields.items():
        if value is None:
            continue
        text = f"{value:g}" if isinstance(value, float) else str(value)
        if not text or any(c in text for c in ' "=\\') or not text.isprintable():
            text = json.dumps(text, ensure_ascii=False)
        parts.append(f"{key}={text}")
    return " ".join(parts)


def block_fields(block: Block) -> dict[str, object]:
    return {
        "duration_ms": round(block.duration_ms, 1),
        "state": block.state,
        "running": block.running_fraction,
        "on_cpu": block.on_cpu_fraction,
        "route": block.route,
        "at": block.location.where,
        "function": block.location.function,
        "code": block.location.source or None,
        "samples": block.samples,
        "thread": block.thread_name,
        "ongoing": True if block.ongoing else None,
        "cause": block.cause,
        "unsampled_ms": round(block.unsampled_ms, 1) if block.unsampled_ms else None,
    }


@dataclass
class _Pending:
    last_line_at: float | None = None
    count: int = 0
    total_ms: float = 0.0
    last: Block | None = None


class BlockLogger(WatchListener):
    """Args:
    logger: where lines go (WARNING level).
    every_s: at most one line per location per this many seconds.
    burst: at most this many lines (all locations) per `every_s`.
    clock: seconds, monotonic (a parameter so the rate limit can be unit-tested).
    """

    def __init__(
        self,
        logger: logging.Logger | None = None,
        *,
        every_s: float = 10.0,
        burst: int = 10,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger or logging.getLogger(DEFAULT_LOGGER)
        self._every_s = every_s
        self._burst = burst
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, int, str], _Pending] = {}
        self._window_start = -float("inf")
        self._window_lines = 0
        self._seen_other: set[tuple[str, str]] = set()

    def _budget(self, now: float) -> bool:
        if now - self._window_start >= self._every_s:
            self._window_start, self._window_lines = now, 0
        if self._window_lines >= self._burst:
            return False
        self._window_lines += 1
        return True

    def on_block(self, block: Block) -> None:
        loc = block.location
        now = self._clock()
        with self._lock:
            pending = self._pending.setdefault((loc.file, loc.line, loc.function), _Pending())
            pending.count += 1
            pending.total_ms += block.duration_ms
            pending.last = block
            due = pending.last_line_at is None or now - pending.last_line_at >= self._every_s
            line = self._take(pending, now) if due and self._budget(now) else None
        if line is not None:
            self._emit(*line)

    def on_lag(self, lag_s: float) -> None:
        """Called every check: flush locations whose pending blocks have waited `every_s`."""
        if not self._pending:
            return
        now = self._clock()
        lines = []
        with self._lock:
            for pending in self._pending.values():
                waited = pending.last_line_at is None or now - pending.last_line_at >= self._every_s
                if pending.count and waited and self._budget(now):
                    lines.append(self._take(pending, now))
        for line in lines:
            self._emit(*line)

    def _take(self, pending: _Pending, now: float) -> tuple[str, dict[str, object]]:
        assert pending.last is not None
        fields = block_fields(pending.last)
        if pending.count > 1:
            fields["repeated"] = pending.count - 1
            fields["repeated_ms"] = round(pending.total_ms - pending.last.duration_ms, 1)
        pending.last_line_at, pending.count, pending.total_ms, pending.last = now, 0, 0.0, None
        return "loop_block", fields

    def _emit(self, event: str, fields: dict[str, Any]) -> None:
        self._logger.warning(format_fields(event, fields), extra={event: fields})

    def _once(self, kind: str, where: str, event: str, fields: dict[str, object]) -> None:
        with self._lock:
            if (kind, where) in self._seen_other or not self._budget(self._clock()):
                return
            self._seen_other.add((kind, where))
        self._emit(event, fields)

    def on_never_awaited(self, item: NeverAwaited) -> None:
        origin = item.origin
        where = origin.where if origin is not None else item.defined_at.where
        self._once("never_awaited", where, "never_awaited", {"message": describe_never_awaited(item)})

    def on_resource_warning(self, item: ResourceLeak) -> None:
        where = item.source_type or f"{item.file}:{item.line}"
        self._once(
            "unclosed", where, "unclosed_resource", {"type": item.source_type, "message": item.message}
        )
