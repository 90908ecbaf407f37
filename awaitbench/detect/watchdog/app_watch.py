"""A watch that follows the loop an ASGI app is served on: what the middleware and the diagnosis agent share.

Why it follows the loop instead of starting once: the app object outlives loops (TestClient without `with`
runs each request on a loop of its own, a server may restart its loop), and a watch is bound to one. The
first request on a new loop stops the old watch and starts one there; lifespan shutdown stops it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from awaitbench.detect.watchdog.config import WatchConfig
from awaitbench.detect.watchdog.monitor import WatchListener
from awaitbench.detect.watchdog.watch import LoopWatch

__all__ = ["AppWatch", "Message", "Receive", "Scope", "Send"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class AppWatch:
    """The `LoopWatch` of the loop currently serving an app (None before its first request)."""

    def __init__(self, config: WatchConfig, listeners: Sequence[WatchListener]) -> None:
        self._config = config
        self._listeners = tuple(listeners)
        self.watch: LoopWatch | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def ensure(self) -> bool:
        """Watch the running loop; True when this call started a new watch (first call, or a new loop)."""
        loop = asyncio.get_running_loop()
        if loop is self._loop:
            return False
        if self.watch is not None:
            self.watch.stop()
        self._loop = loop
        self.watch = LoopWatch(self._config, listeners=self._listeners).start()
        return True

    def stop_on_shutdown(self, send: Send) -> Send:
        """`send` for a lifespan scope, stopping the watch when the app reports its shutdown."""

        async def wrapped(message: Message) -> None:
            if str(message.get("type", "")).startswith("lifespan.shutdown") and self.watch is not None:
                self.watch.stop()
                self._loop = None
            await send(message)

        return wrapped
