"""build_block's attribution from samples, as pure logic: stacks built by hand, a real (idle) loop.

The patterns come from real suites (docs/detect.md): httpx's test server, a uvicorn loop in a thread, was
reported blocked "at selectors.py:468 in EpollSelector.select" while the test's own thread held the GIL.
"""

from __future__ import annotations

import asyncio
import threading
import time

from awaitbench.detect.watchdog.config import FrameFilter
from awaitbench.detect.watchdog.loops import WatchedLoop
from awaitbench.detect.watchdog.monitor import build_block
from awaitbench.detect.watchdog.stacks import FrameClassifier

SELECT = ("/usr/lib/python3.11/selectors.py", 468, "EpollSelector.select", "selectors")
RUN_ONCE = (
    "/usr/lib/python3.11/asyncio/base_events.py",
    1898,
    "BaseEventLoop._run_once",
    "asyncio.base_events",
)
HANDLER = ("/srv/app/routes.py", 12, "handler", "app.routes")


def _target(*stacks: tuple[tuple[str, int, str, str], ...]) -> WatchedLoop:
    loop = asyncio.new_event_loop()
    target = WatchedLoop(loop, threading.get_ident())
    loop.close()
    target.posted_at = time.perf_counter() - 0.2
    target.samples = [(target.posted_at + 0.05 * (i + 1), stack, None) for i, stack in enumerate(stacks)]
    return target


def test_a_loop_sampled_only_in_its_selector_was_kept_waiting_not_blocked_there() -> None:
    block = build_block(
        _target((RUN_ONCE, SELECT), (RUN_ONCE, SELECT)), 0.2, FrameClassifier(FrameFilter()), ongoing=False
    )
    assert block.location.file == "<idle loop kept waiting>"
    assert block.cause is not None and "another thread held the GIL" in block.cause


def test_a_sample_in_the_users_code_keeps_its_line() -> None:
    block = build_block(
        _target((RUN_ONCE, SELECT), (RUN_ONCE, HANDLER), (RUN_ONCE, HANDLER)),
        0.2,
        FrameClassifier(FrameFilter()),
        ongoing=False,
    )
    assert (block.location.file, block.location.line, block.cause) == ("/srv/app/routes.py", 12, None)


def test_time_the_monitor_was_held_off_gives_the_next_sample_no_weight() -> None:
    """httpx's `b"*" * 100 MB` then a `@property`: the sample after the hold shows the property line."""
    prop = ("/srv/app/routes.py", 30, "Server.url", "app.routes")
    target = _target((RUN_ONCE, HANDLER))
    posted = target.posted_at
    assert posted is not None
    target.samples.append((posted + 0.15, (RUN_ONCE, prop), None))  # 100 ms after the first sample ...
    held_off = ((posted + 0.051, posted + 0.149),)  # ... all of which the monitor could not run
    classifier = FrameClassifier(FrameFilter())
    assert build_block(target, 0.2, classifier, ongoing=False).location.line == 30  # weighted by time alone
    block = build_block(target, 0.2, classifier, ongoing=False, held_off=held_off)
    assert block.location.line == 12 and block.unsampled_ms >= 95
