"""A watch that follows the loop an ASGI app is served on (`LoopWatchMiddleware`'s), and the ASGI types.

Why it follows the loop instead of starting once: the app object outlives loops (TestClient without `with`
runs each request on a loop of its own, a server may restart its loop), and a watch is bound to one. The
first request on a new loop stops the old watch and starts one there; lifespan shutdown stops it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from awaitbench.detect.watchdog.config import WatchConfig
from awaitbench.detect.watchdog.monitor import WatchListener
from awaitbench.detect.watchdog.watch import LoopWatch

__all__ = ["ASGIApp", "AppWatch", "Message", "Receive", "Scope", "Send"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class AppWatch:
    """The `LoopWatch` of the loop currently serving an app (None before its first request), and the
    native id of that loop's thread."""

    def __init__(self, config: WatchConfig, listeners: Sequence[WatchListener]) -> None:
        self._config = config
        self._listeners = tuple(listeners)
        self.watch: LoopWatch | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.loop_thread_id: int | None = None

    def ensure(self) -> None:
        """Watch the running loop: on the first call, and when the app is served on a new loop."""
        loop = asyncio.get_running_loop()
        if loop is self._loop:
            return
        if self.watch is not None:
            self.watch.stop()
        self._loop, self.loop_thread_id = loop, threading.get_native_id()
        self.watch = LoopWatch(self._config, listeners=self._listeners).start()

    def stop_on_shutdown(self, send: Send) -> Send:
        """`send` for a lifespan scope, stopping the watch when the app reports its shutdown."""

        async def wrapped(message: Message) -> None:
            if str(message.get("type", "")).startswith("lifespan.shutdown") and self.watch is not None:
                self.watch.stop()
                self._loop = None
            await send(message)

        return wrapped
