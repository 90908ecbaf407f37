"""Strict mode: every known blocking call made on a loop thread, whatever its duration (a 5 ms sleep never
reaches a threshold, so only this makes such a test fail on any machine). A call reported by `audit`
counts when reached from the user's code (or the scope's packages) and no frame on its stack is allowed.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Callable, Sequence
from types import FrameType

from awaitbench.detect.watchdog.report import BlockingCall
from awaitbench.detect.watchdog.stacks import FrameClassifier, RawFrame, innermost_user_index, to_frames, walk

__all__ = ["ALWAYS_ALLOWED", "StrictRecorder"]

ALWAYS_ALLOWED = ("importlib.*", "linecache.*")
"""Frames in which blocking is expected: an import reads its module's files, a traceback (or this
package's report) reads source lines."""


class StrictRecorder:
    """Records the blocking calls it is told of (`__call__`) that pass the allow-list and the scope."""

    def __init__(
        self,
        classifier: FrameClassifier,
        *,
        allow: Sequence[str],
        scope: Sequence[str],
        on_call: Callable[[BlockingCall], None],
    ) -> None:
        self._classifier = classifier
        self._allow = (*ALWAYS_ALLOWED, *allow)
        self._scope = tuple(scope)
        self._on_call = on_call

    def __call__(self, call: str, frame: FrameType) -> None:
        stack = walk(frame)
        if self._allowed(stack) or not self._in_scope(stack):
            return
        frames = to_frames(stack, self._classifier)
        self._on_call(
            BlockingCall(
                call=call,
                location=frames[innermost_user_index(stack, self._classifier)],
                stack=frames,
                thread_name=threading.current_thread().name,
            )
        )

    def _allowed(self, stack: Sequence[RawFrame]) -> bool:
        for _, _, function, module in stack:
            name = f"{module}.{function}"
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in self._allow):
                return True
        return False

    def _in_scope(self, stack: Sequence[RawFrame]) -> bool:
        if not self._scope:
            return any(self._classifier.is_user(file, module) for file, _, _, module in stack)
        return any(
            module == package or module.startswith(package + ".")
            for _, _, _, module in stack
            for package in self._scope
        )
