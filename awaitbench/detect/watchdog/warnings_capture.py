"""Never-awaited coroutines (with where they were created) and ResourceWarnings, while a watch runs."""

from __future__ import annotations

import contextlib
import dis
import linecache
import sys
import traceback
import warnings
from collections.abc import Callable
from types import FrameType
from typing import Any, cast

from awaitbench.detect.watchdog.report import Frame, NeverAwaited, ResourceLeak
from awaitbench.detect.watchdog.stacks import FrameClassifier, innermost_first

__all__ = ["WarningsCapture"]

_SHOW_RESOURCE_WARNINGS = ("always", None, ResourceWarning, None, 0)
_POP_TOP = dis.opmap["POP_TOP"]


def _effective_action(category: type[Warning]) -> str:
    """The action of the first filter that applies to every warning of `category` (default filters
    included); "default" when none does."""
    for action, message, filter_category, module, lineno in warnings.filters:
        if issubclass(category, filter_category) and message is None and module is None and not lineno:
            return str(action)
    return "default"


class WarningsCapture:
    """Install with `start()`, remove with `stop()` (LIFO with other users of the same hooks)."""

    def __init__(
        self,
        classifier: FrameClassifier,
        *,
        on_never_awaited: Callable[[NeverAwaited], None],
        on_resource_warning: Callable[[ResourceLeak], None],
    ) -> None:
        self._classifier = classifier
        self._on_never_awaited = on_never_awaited
        self._on_resource_warning = on_resource_warning
        self._active = False
        self._swallow_resource_warnings = False
        self._original_unawaited: Any = None
        self._original_show: Any = None

    def start(self) -> None:
        self._active = True
        self._original_unawaited = getattr(warnings, "_warn_unawaited_coroutine", None)
        if self._original_unawaited is not None:
            warnings._warn_unawaited_coroutine = self._unawaited  # type: ignore[attr-defined]
        self._swallow_resource_warnings = _effective_action(ResourceWarning) == "ignore"
        if self._swallow_resource_warnings:
            cast(list[Any], warnings.filters).insert(0, _SHOW_RESOURCE_WARNINGS)
            warnings._filters_mutated()  # type: ignore[attr-defined]
        self._original_show = warnings._showwarnmsg  # type: ignore[attr-defined]
        warnings._showwarnmsg = self._show  # type: ignore[attr-defined]

    def stop(self) -> None:
        """Restore each hook if it is still ours; a hook someone wrapped since becomes a pass-through."""
        self._active = False
        if getattr(warnings, "_warn_unawaited_coroutine", None) == self._unawaited:
            warnings._warn_unawaited_coroutine = self._original_unawaited  # type: ignore[attr-defined]
        if getattr(warnings, "_showwarnmsg", None) == self._show:
            warnings._showwarnmsg = self._original_show  # type: ignore[attr-defined]
        if self._swallow_resource_warnings:
            # ValueError: a catch_warnings() block restored the list under us.
            with contextlib.suppress(ValueError):
                cast(list[Any], warnings.filters).remove(_SHOW_RESOURCE_WARNINGS)
            warnings._filters_mutated()  # type: ignore[attr-defined]

    def _unawaited(self, coro: Any) -> None:
        # CPython calls this in place of `warnings._warn_unawaited_coroutine`, so it must warn itself with
        # the same stacklevel: calling the original from here would attribute the warning to this file.
        if self._active:
            with contextlib.suppress(Exception):  # recording must never hide the user's warning
                self._on_never_awaited(self._describe(coro, sys._getframe(1)))
        warnings.warn(_unawaited_message(coro), category=RuntimeWarning, stacklevel=2, source=coro)

    def _show(self, message: warnings.WarningMessage) -> None:
        if self._active and issubclass(message.category, ResourceWarning):
            with contextlib.suppress(Exception):
                self._on_resource_warning(
                    ResourceLeak(
                        message=str(message.message).splitlines()[0],
                        source_type=type(message.source).__qualname__ if message.source is not None else None,
                        file=message.filename,
                        line=message.lineno,
                    )
                )
            if self._swallow_resource_warnings:
                return
        self._original_show(message)

    def _describe(self, coro: Any, dropped_by: FrameType) -> NeverAwaited:
        code = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
        name = getattr(coro, "__qualname__", None) or type(coro).__qualname__
        defined = Frame(
            file=code.co_filename if code is not None else "<unknown>",
            line=code.co_firstlineno if code is not None else 0,
            function=name,
            user_code=code is not None and self._classifier.is_user(code.co_filename, ""),
        )
        origin = getattr(coro, "cr_origin", None) or ()
        created = tuple(
            Frame(file=file, line=line, function=function, user_code=self._classifier.is_user(file, ""))
            for file, line, function in origin
        )
        if created:
            return NeverAwaited(coroutine=name, defined_at=defined, created_at=_with_source(created))
        dropped = innermost_first(dropped_by, self._classifier)
        if _discards_a_value(dropped_by):
            return NeverAwaited(coroutine=name, defined_at=defined, created_at=dropped)
        return NeverAwaited(coroutine=name, defined_at=defined, dropped_at=dropped)


def _discards_a_value(frame: FrameType) -> bool:
    """The frame is executing `POP_TOP`: an expression statement dropping its value, here the
    coroutine its call just created."""
    code, offset = frame.f_code.co_code, frame.f_lasti
    return 0 <= offset < len(code) and code[offset] == _POP_TOP


def _unawaited_message(coro: Any) -> str:
    """The message CPython's own `_warn_unawaited_coroutine` builds (unchanged since 3.8)."""
    lines = [f"coroutine '{coro.__qualname__}' was never awaited\n"]
    origin = getattr(coro, "cr_origin", None)
    if origin is not None:
        lines.append("Coroutine created at (most recent call last)\n")
        lines += traceback.format_list(
            [(file, line, func, linecache.getline(file, line)) for file, line, func in reversed(origin)]
        )
    return "".join(lines).rstrip("\n")


def _with_source(frames: tuple[Frame, ...]) -> tuple[Frame, ...]:
    return tuple(
        Frame(
            file=f.file,
            line=f.line,
            function=f.function,
            source=linecache.getline(f.file, f.line).strip(),
            user_code=f.user_code,
        )
        for f in frames
    )
