"""The demo's recording: written line by line, read back whole, refused by name when it is not one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.demo.recording import FORMAT, VERSION, Recorder, read_recording
from bench.errors import UsageError

FRAME = {"kind": "frame", "at": 1.0, "t": 0.4, "users": 10, "sides": {}}


def _record(path: Path) -> None:
    recorder = Recorder(path, {"max_users": 100})
    recorder.write({"kind": "hello", "mode": "live"})  # the page's greeting is not part of a recording
    recorder.write({"kind": "stage", "at": 0.0, "scenario": "sync_client"})
    recorder.write(FRAME)
    recorder.close()


def test_a_recording_reads_back_as_written(tmp_path: Path) -> None:
    path = tmp_path / "demo.jsonl"
    _record(path)
    recording = read_recording(path)
    assert recording.header["format"] == FORMAT and recording.header["version"] == VERSION
    assert recording.header["max_users"] == 100
    assert [m["kind"] for m in recording.messages] == ["stage", "frame"]
    assert recording.frames == (FRAME,)


def test_a_cut_last_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "demo.jsonl"
    _record(path)
    with path.open("a") as handle:
        handle.write('{"kind": "frame", "at": 2.')
    assert len(read_recording(path).frames) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ('{"hello": 1}\n', "is not an awaitbench demo recording"),
        (json.dumps({"format": FORMAT, "version": 99}) + "\n", "version 99 recording"),
        (json.dumps({"format": FORMAT, "version": VERSION}) + "\n[]\n" + json.dumps(FRAME) + "\n", "line 2"),
        (json.dumps({"format": FORMAT, "version": VERSION}) + "\n", "holds no frame"),
    ],
)
def test_what_is_not_a_recording_is_a_usage_error_naming_it(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "demo.jsonl"
    path.write_text(content)
    with pytest.raises(UsageError, match=message):
        read_recording(path)


def test_an_unreadable_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot be read"):
        read_recording(tmp_path / "missing.jsonl")
