"""Sample a thread's stack from another thread and attribute it to the user's code."""

from __future__ import annotations

import functools
import linecache
import os
import site
import sys
import sysconfig
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from awaitbench.detect.watchdog.config import FrameFilter
from awaitbench.detect.watchdog.report import Frame

__all__ = [
    "FrameClassifier",
    "RawFrame",
    "innermost_first",
    "innermost_user_index",
    "outside_detect",
    "sample_thread",
    "to_frames",
    "walk",
]

RawFrame = tuple[str, int, str, str]
"""(file, line, function, module) of one frame."""

_DETECT_DIR = str(Path(__file__).resolve().parents[1]) + os.sep


def walk(frame: FrameType | None, limit: int | None = None) -> tuple[RawFrame, ...]:
    """The stack from `frame` outwards (at most `limit` frames), returned outermost first."""
    frames: list[RawFrame] = []
    while frame is not None and (limit is None or len(frames) < limit):
        code = frame.f_code
        frames.append(
            (code.co_filename, frame.f_lineno or 0, code.co_qualname, frame.f_globals.get("__name__", ""))
        )
        frame = frame.f_back
    frames.reverse()
    return tuple(frames)


def sample_thread(thread_id: int) -> tuple[RawFrame, ...] | None:
    """The current stack of another thread (None if the thread is gone), without the innermost frames of
    this package (strict mode's wrappers around `time.sleep` and socket calls)."""
    frame = sys._current_frames().get(thread_id)
    return walk(outside_detect(frame)) if frame is not None else None


def outside_detect(frame: FrameType | None) -> FrameType | None:
    """`frame`, or its first caller outside this package when it is one of strict mode's wrappers."""
    while frame is not None and frame.f_code.co_filename.startswith(_DETECT_DIR) and frame.f_back is not None:
        frame = frame.f_back
    return frame


@functools.cache  # once per process: sysconfig and realpath cost ~0.1 ms; a suite starts many watches
def _library_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    dirs = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    dirs.update(getattr(site, "getsitepackages", list)())
    if site.ENABLE_USER_SITE and isinstance(site.USER_SITE, str):
        dirs.add(site.USER_SITE)
    resolved = {os.path.realpath(d) for d in dirs} | dirs
    return tuple(sorted(d.rstrip(os.sep) + os.sep for d in resolved if d))


class FrameClassifier:
    """Decides, per file and module, whether a frame is the user's code (cached per file)."""

    def __init__(self, frame_filter: FrameFilter) -> None:
        self._filter = frame_filter
        self._library_dirs = _library_dirs()
        self._user_paths = tuple(os.path.abspath(p) for p in frame_filter.user_paths)
        self._library_paths = tuple(os.path.abspath(p) for p in frame_filter.library_paths)
        self._cache: dict[tuple[str, str], bool] = {}

    def is_user(self, file: str, module: str) -> bool:
        key = (file, module)
        known = self._cache.get(key)
        if known is None:
            known = self._cache[key] = self._classify(file, module)
        return known

    def _classify(self, file: str, module: str) -> bool:
        top = module.partition(".")[0]
        if _in_packages(module, self._filter.library_modules) or file.startswith(self._library_paths):
            return False
        if top and _in_packages(module, self._filter.user_modules):
            return True
        if self._user_paths and file.startswith(self._user_paths):
            return True
        if file.startswith("<"):  # <frozen importlib._bootstrap>, <string>: not a place to fix
            return False
        if file.startswith(_DETECT_DIR) or "site-packages" in file or "dist-packages" in file:
            return False
        return not file.startswith(self._library_dirs)


def _in_packages(module: str, packages: Sequence[str]) -> bool:
    return any(module == name or module.startswith(name + ".") for name in packages)


def innermost_user_index(stack: Sequence[RawFrame], classifier: FrameClassifier) -> int:
    """Index of the innermost frame of the user's code; the innermost frame when none is the user's."""
    for index in range(len(stack) - 1, -1, -1):
        file, _, _, module = stack[index]
        if classifier.is_user(file, module):
            return index
    return len(stack) - 1


def to_frames(stack: Sequence[RawFrame], classifier: FrameClassifier) -> tuple[Frame, ...]:
    """Report frames with their source lines (read through linecache, so once per file)."""
    return tuple(
        Frame(
            file=file,
            line=line,
            function=function,
            source=linecache.getline(file, line).strip() if line else "",
            user_code=classifier.is_user(file, module),
        )
        for file, line, function, module in stack
    )


def innermost_first(
    frame: FrameType | None, classifier: FrameClassifier, limit: int = 8
) -> tuple[Frame, ...]:
    """The `limit` innermost frames from `frame` outwards, innermost first, with their source lines
    (how creation sites are reported: `NeverAwaited.created_at`, `LeakedTask.created_at`)."""
    return tuple(reversed(to_frames(walk(frame, limit), classifier)))
