"""Parsed requests kept by body, within a memory budget in bytes (oldest out first)."""

from __future__ import annotations

from collections import OrderedDict

from fake_llm.config import LimitsConfig
from fake_llm.parse_worker import IN_PROCESS_MAX_BYTES, ParseWorker
from fake_llm.routes import ApiRequest, Route, parse_request

__all__ = ["ENTRY_OVERHEAD_BYTES", "ParseCache"]

ENTRY_OVERHEAD_BYTES = 1024
"""What one entry costs beyond twice its body: the objects around it (request, tuple, dict slot)."""


class ParseCache:
    """`parse_request` results by body, at most `limits.parse_cache_bytes` (0 = no cache); errors are never
    cached."""

    def __init__(self, limits: LimitsConfig, worker: ParseWorker) -> None:
        self._limits = limits
        self._worker = worker
        self._budget = limits.parse_cache_bytes
        self._entries: OrderedDict[bytes, tuple[Route, ApiRequest, int]] = OrderedDict()
        self.size_bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, route: Route, body: bytes) -> ApiRequest | None:
        """The cached request for `body` on `route`, or None (then call `parse`)."""
        hit = self._entries.get(body)
        return hit[1] if hit is not None and hit[0] == route else None

    async def parse(self, route: Route, body: bytes) -> ApiRequest:
        """Parse `body` for `route` (`parse_request`), keep the result if it fits; raises BadRequest."""
        request = self.parse_now(route, body)
        if request is not None:
            return request
        request = await self._worker.parse(route, body, self._limits)
        self._keep(route, body, request)
        return request

    def parse_now(self, route: Route, body: bytes) -> ApiRequest | None:
        """`parse` for a body small enough to parse in this process; None for one the helper must parse."""
        if len(body) > IN_PROCESS_MAX_BYTES:
            return None
        request = parse_request(route, body, self._limits)
        self._keep(route, body, request)
        return request

    def _keep(self, route: Route, body: bytes, request: ApiRequest) -> None:
        cost = 2 * len(body) + ENTRY_OVERHEAD_BYTES
        if cost <= self._budget:
            self._insert(route, body, request, cost)

    def _insert(self, route: Route, body: bytes, request: ApiRequest, cost: int) -> None:
        entries = self._entries
        old = entries.pop(body, None)  # the same body on another route
        if old is not None:
            self.size_bytes -= old[2]
        while entries and self.size_bytes + cost > self._budget:
            self.size_bytes -= entries.popitem(last=False)[1][2]
        entries[body] = (route, request, cost)
        self.size_bytes += cost
