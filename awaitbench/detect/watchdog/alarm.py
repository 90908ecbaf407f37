"""A kernel timer the loop's heartbeat pushes forward, so the monitor sleeps until a loop is late.

A Linux `timerfd` (`os.timerfd_*` on Python 3.13+, libc through ctypes before); elsewhere `open_alarm()`
returns None and the monitor polls. Why: docs/detect.md, *How it works*.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from typing import Any, Protocol

__all__ = ["StallAlarm", "open_alarm"]

_CLOCK_MONOTONIC = 1
_TFD_CLOEXEC = 0o2000000
_TFD_NONBLOCK = 0o4000


class StallAlarm(Protocol):
    def fileno(self) -> int: ...

    def arm(self, after_s: float) -> None:
        """Fire `after_s` from now (replacing any earlier deadline); 0 disarms."""

    def clear(self) -> None:
        """Consume an expiry so the descriptor stops reading ready."""

    def close(self) -> None: ...


class _NativeTimerFd:
    """Python 3.13+: `os.timerfd_*`."""

    def __init__(self) -> None:
        self._fd: int = os.timerfd_create(  # type: ignore[attr-defined,unused-ignore]
            _CLOCK_MONOTONIC, flags=_TFD_CLOEXEC | _TFD_NONBLOCK
        )

    def fileno(self) -> int:
        return self._fd

    def arm(self, after_s: float) -> None:
        os.timerfd_settime(self._fd, initial=after_s)  # type: ignore[attr-defined,unused-ignore]

    def clear(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            os.read(self._fd, 8)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)


class _LibcTimerFd:
    """Linux before Python 3.13: `timerfd_create`/`timerfd_settime` from libc through ctypes."""

    def __init__(self) -> None:
        libc, ctypes, itimerspec = _libc()
        self._settime = libc.timerfd_settime
        self._spec = itimerspec()
        self._spec_ref = ctypes.byref(self._spec)
        self._fd: int = libc.timerfd_create(_CLOCK_MONOTONIC, _TFD_CLOEXEC | _TFD_NONBLOCK)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "timerfd_create failed")

    def fileno(self) -> int:
        return self._fd

    def arm(self, after_s: float) -> None:
        value = self._spec.it_value
        whole = int(after_s)
        value.tv_sec, value.tv_nsec = whole, int((after_s - whole) * 1e9)
        if after_s > 0 and not (whole or value.tv_nsec):
            value.tv_nsec = 1  # 0 would disarm
        self._settime(self._fd, 0, self._spec_ref, None)

    def clear(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            os.read(self._fd, 8)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)


@functools.cache
def _libc() -> tuple[Any, Any, Any]:
    """(libc, the ctypes module, the `struct itimerspec` type), built once per process."""
    import ctypes

    class Timespec(ctypes.Structure):
        _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]

    class Itimerspec(ctypes.Structure):
        _fields_ = [("it_interval", Timespec), ("it_value", Timespec)]

    libc = ctypes.CDLL(None, use_errno=True)
    libc.timerfd_settime.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.POINTER(Itimerspec), ctypes.c_void_p]
    libc.timerfd_settime.restype = ctypes.c_int
    return libc, ctypes, Itimerspec


def open_alarm() -> StallAlarm | None:
    """A timer on the monotonic clock, or None where the platform has none (then the monitor polls)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        if hasattr(os, "timerfd_create"):
            return _NativeTimerFd()
        return _LibcTimerFd()
    except (OSError, AttributeError):
        return None
