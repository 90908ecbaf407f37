"""Whether the toolkit's dependencies (the `awaitbench[bench]` extra) are installed.

`pip install awaitbench` is the detection runtime alone (the watchdog, the pytest plugin, the middleware,
`awaitbench lint`); every other command needs the extra. The extra's list is read from awaitbench's own
installed metadata, so pyproject.toml stays its single source.
"""

from __future__ import annotations

import functools
import re
from importlib import metadata

from bench.errors import UsageError

__all__ = ["TOOLKIT_EXTRA", "ToolkitMissingError", "missing_toolkit", "require_toolkit"]

TOOLKIT_EXTRA = "bench"
_NAME = re.compile(r"[A-Za-z0-9._-]+")
_IN_EXTRA = re.compile(rf"""extra\s*==\s*["']{TOOLKIT_EXTRA}["']""")


class ToolkitMissingError(UsageError):
    """A toolkit command was run where the `bench` extra is not installed (exit code 2)."""


@functools.cache
def missing_toolkit() -> tuple[str, ...]:
    """The distributions of the `bench` extra that are not installed (empty when all are, or when
    awaitbench runs from a source tree without being installed)."""
    try:
        requirements = metadata.requires("awaitbench") or []
    except metadata.PackageNotFoundError:
        return ()
    missing = []
    for requirement in requirements:
        name = _NAME.match(requirement)
        if name is None or not _IN_EXTRA.search(requirement):
            continue
        try:
            metadata.distribution(name.group(0))
        except metadata.PackageNotFoundError:
            missing.append(name.group(0))
    return tuple(missing)


def require_toolkit(command: str) -> None:
    """Raises:
    ToolkitMissingError: the `bench` extra is not installed; the message names the install command.
    """
    missing = missing_toolkit()
    if missing:
        shown = ", ".join(missing[:4]) + (", …" if len(missing) > 4 else "")
        raise ToolkitMissingError(
            f"'awaitbench {command}' needs the toolkit, which is not installed here (missing: {shown}): "
            f"pip install 'awaitbench[{TOOLKIT_EXTRA}]'"
        )
