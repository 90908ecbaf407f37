"""The demo's recording: every message the page got, one JSON object per line, after a versioned header.

`--record FILE` writes it as the demo runs (flushed line by line, so a demo ended by Ctrl-C or a closed
terminal leaves a readable file); `--replay FILE` plays it back. The header's `version` is checked: a file
of another version is refused by name rather than half-played.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bench.errors import UsageError

__all__ = ["FORMAT", "VERSION", "Recorder", "Recording", "read_recording"]

FORMAT = "awaitbench-demo-recording"
VERSION = 1
_KINDS = ("stage", "status", "frame")


@dataclass(frozen=True, kw_only=True)
class Recording:
    """A recording read back: its header and its messages in order."""

    header: Mapping[str, Any]
    messages: tuple[Mapping[str, Any], ...]

    @property
    def frames(self) -> tuple[Mapping[str, Any], ...]:
        return tuple(m for m in self.messages if m["kind"] == "frame")


class Recorder:
    """Appends messages to a recording file (the header is written on creation)."""

    def __init__(self, path: Path, header: Mapping[str, Any]) -> None:
        self.path = path
        self._file: IO[str] | None = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._write({"format": FORMAT, "version": VERSION, **header})

    def _write(self, data: Mapping[str, Any]) -> None:
        if self._file is not None:
            self._file.write(json.dumps(data, separators=(",", ":")) + "\n")
            self._file.flush()

    def write(self, message: Mapping[str, Any]) -> None:
        if message.get("kind") in _KINDS:
            self._write(message)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _header(first: str, path: Path) -> dict[str, Any]:
    try:
        header = json.loads(first)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise UsageError(f"--replay {path} is not an awaitbench demo recording (write one with --record)")
    if header.get("version") != VERSION:
        raise UsageError(
            f"--replay {path} is a version {header.get('version')!r} recording; this awaitbench plays "
            f"version {VERSION}: record it again"
        )
    return header


def read_recording(path: Path) -> Recording:
    """Read and check a recording.

    Raises:
        UsageError: the file cannot be read, is not a recording, is of another version, or has a line
            that is not a message (the line number is named; a cut last line is skipped).
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--replay {path} cannot be read ({exc})") from None
    if not lines:
        raise UsageError(f"--replay {path} is empty (write a recording with --record)")
    header = _header(lines[0], path)
    messages = []
    for number, line in enumerate(lines[1:], start=2):
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        if not isinstance(message, dict) or message.get("kind") not in _KINDS or "at" not in message:
            if number == len(lines):
                break  # the last line of a demo that was killed mid-write
            raise UsageError(f"--replay {path}: line {number} is not a recorded message")
        messages.append(message)
    if not any(m["kind"] == "frame" for m in messages):
        raise UsageError(f"--replay {path} holds no frame: record a demo for a few seconds")
    return Recording(header=header, messages=tuple(messages))
