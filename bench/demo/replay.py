"""A recording played back: the same messages the live page got, paced as they came, starting nothing.

Each page opened gets the whole recording from its start; pause holds every page where it is. Gaps longer
than `MAX_GAP_S` (a paused demo, a restart) are shortened to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

from bench.demo.recording import Recording
from bench.errors import UsageError

__all__ = ["MAX_GAP_S", "ReplayShow"]

MAX_GAP_S = 2.0


class ReplayShow:
    """Plays `recording` to every page that opens; the only control is pause."""

    def __init__(self, recording: Recording, hello: Mapping[str, Any]) -> None:
        self.recording = recording
        self.hello = hello
        self._playing = asyncio.Event()
        self._playing.set()
        self.paused = False

    async def control(self, data: Mapping[str, Any]) -> None:
        """Raises UsageError for anything but `{"paused": bool}` (a replay shows what was recorded)."""
        if set(data) != {"paused"} or not isinstance(data["paused"], bool):
            raise UsageError("a replay shows what was recorded: only pause and resume work")
        self.paused = data["paused"]
        if self.paused:
            self._playing.clear()
        else:
            self._playing.set()

    async def stream(self) -> AsyncIterator[Mapping[str, Any]]:
        yield self.hello
        previous: float | None = None
        last: Mapping[str, Any] = {}
        for message in self.recording.messages:
            at = float(message["at"])
            if previous is not None:
                await asyncio.sleep(min(max(at - previous, 0.0), MAX_GAP_S))
            await self._playing.wait()
            previous, last = at, message
            yield message
        yield {
            "kind": "status",
            "at": last.get("at", 0.0),
            "state": "ended",
            "message": "end of the recording",
        }
