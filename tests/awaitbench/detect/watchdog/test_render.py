"""Text for people: the user's frames with source, library runs folded with their package names."""

from __future__ import annotations

from awaitbench.detect.watchdog import render_block
from awaitbench.detect.watchdog.render import render_stack
from awaitbench.detect.watchdog.report import Frame
from tests.awaitbench.detect.builders import LIBRARY_FRAME, make_block


def test_block_text_has_duration_state_location_route_and_stack() -> None:
    text = render_block(make_block(duration_ms=212.4), threshold_ms=50)
    lines = text.splitlines()
    assert (
        lines[0]
        == "event loop blocked for 212 ms (threshold 50 ms): parked (loop thread running 1% of the time)"
    )
    assert lines[1] == "  at app/services.py:42 in parse_document: time.sleep(0.05)"
    assert "during POST /extract" in lines[2]
    assert "    … 1 library frame: httpx" in lines
    assert "        time.sleep(0.05)" in lines


def test_the_innermost_frame_is_shown_after_a_folded_library_run() -> None:
    user = Frame(file="app/routes.py", line=7, function="ask", source="client.chat.completions.create()")
    ssl = Frame(file="/usr/lib/python3.11/ssl.py", line=1134, function="read", user_code=False)
    lines = render_stack((user, LIBRARY_FRAME, LIBRARY_FRAME, ssl))
    assert lines[-2:] == ["    … 2 library frames: httpx", "    /usr/lib/python3.11/ssl.py:1134 in read"]
