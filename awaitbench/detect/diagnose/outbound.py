"""Every outbound host the diagnosed app contacted, and what happened: sent to the fake LLM, or not.

The capture (`capture`) notes each HTTP call of httpx, aiohttp and urllib3 and each name the process
resolved (database drivers, the standard library); the agent serves the tally since its last reset.
Plain data, thread-safe, no import of any client library.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from pydantic import TypeAdapter

__all__ = ["OUTBOUND_HOSTS", "OutboundHost", "OutboundLog", "merge_hosts"]

_MAX_HOSTS = 200  # distinct hosts kept per reset; more are counted into the last one seen
_MAX_ERROR = 240  # characters of an error message kept


@dataclass(frozen=True, kw_only=True)
class OutboundHost:
    """One host the app called (`api.groq.com:443`).

    Args:
        host / port: as the app named them (port None: not known, e.g. a name lookup without one).
        captured: sent to the fake LLM instead (`dialect` says how it was spoken to).
        calls: HTTP calls made, or connections opened (lookups of a host never called count once).
        errors: calls or lookups that raised.
        last_error: the last one's exception type and message.
        via: what made the call: `httpx`, `aiohttp`, `urllib3`, `socket` (a name lookup).
    """

    host: str
    port: int | None
    captured: bool
    dialect: str | None = None
    calls: int = 0
    errors: int = 0
    last_error: str | None = None
    via: str = ""

    @property
    def label(self) -> str:
        return f"{self.host}:{self.port}" if self.port else self.host


OUTBOUND_HOSTS = TypeAdapter(tuple[OutboundHost, ...])


def _key(host: OutboundHost) -> tuple[str, int | None]:
    return host.host.lower(), host.port


def merge_hosts(*groups: tuple[OutboundHost, ...]) -> tuple[OutboundHost, ...]:
    """One entry per host and port, counts summed, the latest error kept (the order first seen)."""
    merged: dict[tuple[str, int | None], OutboundHost] = {}
    for group in groups:
        for item in group:
            seen = merged.get(_key(item))
            merged[_key(item)] = item if seen is None else _combine(seen, item)
    return tuple(merged.values())


def _combine(a: OutboundHost, b: OutboundHost) -> OutboundHost:
    return replace(
        a,
        captured=a.captured or b.captured,
        dialect=a.dialect or b.dialect,
        calls=a.calls + b.calls,
        errors=a.errors + b.errors,
        last_error=b.last_error or a.last_error,
        via=a.via if b.via in a.via.split(",") else f"{a.via},{b.via}".strip(","),
    )


class OutboundLog:
    """The tally since the last `reset()`; the capture's hooks write, the side channel reads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hosts: dict[tuple[str, int | None], OutboundHost] = {}

    def reset(self) -> None:
        with self._lock:
            self._hosts.clear()

    def note(
        self,
        host: str,
        port: int | None,
        *,
        via: str,
        captured: bool = False,
        dialect: str | None = None,
        error: BaseException | str | None = None,
        call: bool = True,
    ) -> None:
        """One call (or lookup, `call=False`) to `host`; `error` when it raised (or the answer's error
        status, as text: `HTTP 404`)."""
        text = error if isinstance(error, str) or error is None else f"{type(error).__name__}: {error}"
        text = text[:_MAX_ERROR] if text is not None else None
        item = OutboundHost(
            host=host.lower(),
            port=port,
            captured=captured,
            dialect=dialect,
            calls=1 if call else 0,
            errors=0 if error is None else 1,
            last_error=text,
            via=via,
        )
        with self._lock:
            key = _key(item)
            seen = self._hosts.get(key)
            if seen is None and len(self._hosts) >= _MAX_HOSTS:
                return
            self._hosts[key] = item if seen is None else _combine(seen, item)

    def hosts(self) -> tuple[OutboundHost, ...]:
        with self._lock:
            found = tuple(self._hosts.values())
        return tuple(replace(h, calls=max(h.calls, 1)) for h in found)
