"""Blocking calls and thread starts as they happen: one process-wide audit hook, and patches only where
Python raises no audit event (`time.sleep` before 3.13, `Thread.start` before 3.12, blocking socket and
TLS reads and writes). The hook is added once, when first needed, and returns at its first line while no
watch listens; a blocking call counts only on a thread running an asyncio loop. docs/detect.md.
"""

from __future__ import annotations

import asyncio.events
import functools
import socket
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

__all__ = ["BlockingCallback", "ThreadStartCallback", "listen_blocking_calls", "listen_thread_starts"]

BlockingCallback = Callable[[str, FrameType], None]
"""(what was called, the frame that called it), on the loop thread that made the call."""
ThreadStartCallback = Callable[[threading.Thread, FrameType], None]
"""(the thread being started, the frame that called `Thread.start`)."""

_blocking: tuple[BlockingCallback, ...] = ()
_thread_starts: tuple[ThreadStartCallback, ...] = ()
_lock = threading.Lock()
_hook_added = False
_local = threading.local()
_get_running_loop = asyncio.events._get_running_loop

_FILE_SYSTEM = ("os.listdir", "os.scandir", "os.remove", "os.rename", "os.mkdir", "os.rmdir", "os.truncate")
_SOCKET_WITH_SOCK = ("socket.connect", "socket.sendto", "socket.sendmsg")
_NAME_LOOKUPS = ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "socket.getnameinfo")
_THREAD_EVENTS = ("_thread.start_new_thread", "_thread.start_joinable_thread")


def _describe(event: str, args: tuple[Any, ...]) -> str | None:
    """The call behind a blocking audit event, or None when it does not block (or is not one)."""
    if event == "open":
        path = args[0] if args else None
        return None if path is None or isinstance(path, int) else f"open({str(path)!r})"
    if event in _SOCKET_WITH_SOCK:
        sock = args[0]
        return None if _non_blocking(sock) else f"{event}({args[1]!r})"
    if event in _NAME_LOOKUPS:
        return f"{event}({args[0]!r})"
    if event == "time.sleep":
        return f"time.sleep({args[0]!r})" if args and args[0] > 0 else None
    if event in ("subprocess.Popen", "os.system", "os.posix_spawn"):
        shown = args[1] if event == "subprocess.Popen" else args[0]
        return f"{event}({shown!r})"
    if event in _FILE_SYSTEM:
        return f"{event}({args[0]!r})"
    return None


def _non_blocking(sock: Any) -> bool:
    try:
        return bool(sock.gettimeout() == 0.0)
    except (OSError, AttributeError):
        return True


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not (_blocking or _thread_starts) or getattr(_local, "busy", False):
        return
    if event in _THREAD_EVENTS:
        thread = getattr(args[0], "__self__", None) if args else None
        if isinstance(thread, threading.Thread):
            _thread_started(thread, sys._getframe(1))
        return
    if _blocking and _get_running_loop() is not None:
        call = _describe(event, args)
        if call is not None:
            _report(call, sys._getframe(1))


def _report(call: str, frame: FrameType) -> None:
    _local.busy = True  # the callbacks read source files: their own `open`s are not the user's
    try:
        for callback in _blocking:
            callback(call, frame)
    finally:
        _local.busy = False


def _thread_started(thread: threading.Thread, frame: FrameType) -> None:
    _local.busy = True
    try:
        for callback in _thread_starts:
            callback(thread, frame)
    finally:
        _local.busy = False


# -- patches for what raises no audit event ------------------------------------------------------------
_SOCKET_METHODS = ("recv", "recv_into", "recvfrom", "recvfrom_into", "send", "sendall", "accept")
_SSL_METHODS = ("read", "write", "recv", "recv_into", "send", "sendall")
Patch = tuple[Any, str, Any, bool]  # (owner, name, original, was it in the owner's __dict__)
_blocking_patches: list[Patch] = []
_thread_patches: list[Patch] = []


def _blocking_method(owner: type, name: str) -> Callable[..., Any]:
    original = getattr(owner, name)

    @functools.wraps(original)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        if (
            _blocking
            and not getattr(_local, "busy", False)
            and _get_running_loop() is not None
            and not _non_blocking(self)
        ):
            _report(f"{owner.__name__.lower()}.{name}", sys._getframe(1))
            _local.busy = True  # sendall calls send: one call, one report
            try:
                return original(self, *args, **kwargs)
            finally:
                _local.busy = False
        return original(self, *args, **kwargs)

    return method


def _sleep(original: Callable[[float], None]) -> Callable[[float], None]:
    @functools.wraps(original)
    def sleep(secs: float) -> None:
        if _blocking and secs > 0 and not getattr(_local, "busy", False) and _get_running_loop() is not None:
            _report(f"time.sleep({secs!r})", sys._getframe(1))
        original(secs)

    return sleep


def _thread_start(original: Callable[[threading.Thread], None]) -> Callable[[threading.Thread], None]:
    @functools.wraps(original)
    def start(self: threading.Thread) -> None:
        if _thread_starts and not getattr(_local, "busy", False):
            _thread_started(self, sys._getframe(1))
        original(self)

    return start


def _patch(patches: list[Patch], owner: Any, name: str, replacement: Any) -> None:
    patches.append((owner, name, getattr(owner, name), name in vars(owner)))
    setattr(owner, name, replacement)


def _unpatch(patches: list[Patch]) -> None:
    while patches:
        owner, name, original, owned = patches.pop()
        if owned:
            setattr(owner, name, original)
        else:
            delattr(owner, name)


def _patch_blocking_calls() -> None:
    if sys.version_info < (3, 13):
        _patch(_blocking_patches, time, "sleep", _sleep(time.sleep))
    for name in _SOCKET_METHODS:
        _patch(_blocking_patches, socket.socket, name, _blocking_method(socket.socket, name))
    ssl = sys.modules.get("ssl")
    if ssl is not None:
        for name in _SSL_METHODS:
            _patch(_blocking_patches, ssl.SSLSocket, name, _blocking_method(ssl.SSLSocket, name))


def _ensure_hook() -> None:
    global _hook_added
    if not _hook_added:
        sys.addaudithook(_hook)
        _hook_added = True


def listen_blocking_calls(callback: BlockingCallback) -> Callable[[], None]:
    """Call `callback` for each known blocking call made on a loop thread until the returned function is
    called."""
    global _blocking
    with _lock:
        _ensure_hook()
        if not _blocking:
            _patch_blocking_calls()
        _blocking = (*_blocking, callback)

    def stop() -> None:
        global _blocking
        with _lock:
            if callback in _blocking:
                _blocking = tuple(c for c in _blocking if c is not callback)
                if not _blocking:
                    _unpatch(_blocking_patches)

    return stop


def listen_thread_starts(callback: ThreadStartCallback) -> Callable[[], None]:
    """Call `callback` for each thread started in the process until the returned function is called."""
    global _thread_starts
    with _lock:
        _ensure_hook()
        if not _thread_starts and sys.version_info < (3, 12):
            _patch(_thread_patches, threading.Thread, "start", _thread_start(threading.Thread.start))
        _thread_starts = (*_thread_starts, callback)

    def stop() -> None:
        global _thread_starts
        with _lock:
            if callback in _thread_starts:
                _thread_starts = tuple(c for c in _thread_starts if c is not callback)
                if not _thread_starts:
                    _unpatch(_thread_patches)

    return stop
