"""Blocks grouped by location, kept bounded for a process that runs for days."""

from __future__ import annotations

import math
import threading
from collections import Counter, deque
from dataclasses import dataclass, field

from awaitbench.detect.watchdog.report import Block, BlockGroup, BlockState, Frame

__all__ = ["BlockLog", "percentile"]

_RECENT_DURATIONS = 4096
_OTHER = Frame(file="<other locations>", line=0, function="?", user_code=False)


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list (`fraction` in 0..1)."""
    if not sorted_values:
        return 0.0
    rank = min(max(math.ceil(fraction * len(sorted_values)) - 1, 0), len(sorted_values) - 1)
    return sorted_values[rank]


@dataclass
class _Group:
    location: Frame
    example: Block
    count: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0
    recent_ms: deque[float] = field(default_factory=lambda: deque(maxlen=_RECENT_DURATIONS))
    states: Counter[BlockState] = field(default_factory=Counter)
    routes: Counter[str] = field(default_factory=Counter)

    def add(self, block: Block) -> None:
        self.count += 1
        self.total_ms += block.duration_ms
        self.max_ms = max(self.max_ms, block.duration_ms)
        self.recent_ms.append(block.duration_ms)
        self.states[block.state] += 1
        if block.route:
            self.routes[block.route] += 1

    def freeze(self) -> BlockGroup:
        durations = sorted(self.recent_ms)
        return BlockGroup(
            location=self.location,
            count=self.count,
            total_ms=round(self.total_ms, 3),
            p50_ms=percentile(durations, 0.50),
            p99_ms=percentile(durations, 0.99),
            max_ms=self.max_ms,
            state=self.states.most_common(1)[0][0],
            routes=tuple(route for route, _ in self.routes.most_common()),
            example=self.example,
        )


class BlockLog:
    """Thread-safe: the monitor adds, any thread reads."""

    def __init__(self, *, max_blocks: int = 1000, max_groups: int = 500) -> None:
        self._max_blocks = max_blocks
        self._max_groups = max_groups
        self._lock = threading.Lock()
        self._blocks: list[Block] = []
        self._dropped = 0
        self._groups: dict[tuple[str, int, str], _Group] = {}

    def add(self, block: Block) -> None:
        loc = block.location
        key = (loc.file, loc.line, loc.function)
        with self._lock:
            if len(self._blocks) < self._max_blocks:
                self._blocks.append(block)
            else:
                self._dropped += 1
            group = self._groups.get(key)
            if group is None:
                if len(self._groups) >= self._max_groups:
                    key = (_OTHER.file, _OTHER.line, _OTHER.function)
                    group = self._groups.setdefault(key, _Group(location=_OTHER, example=block))
                else:
                    group = self._groups[key] = _Group(location=loc, example=block)
            group.add(block)

    def blocks(self) -> tuple[Block, ...]:
        with self._lock:
            return tuple(self._blocks)

    @property
    def dropped(self) -> int:
        return self._dropped

    def groups(self) -> tuple[BlockGroup, ...]:
        """Most total blocked time first."""
        with self._lock:
            frozen = [group.freeze() for group in self._groups.values()]
        return tuple(sorted(frozen, key=lambda g: (-g.total_ms, g.location.file, g.location.line)))
