"""Attribution: every frame classified on its own, so a block entered through a helper in another file is
named at the helper's line (pyleak's issue #12 is the counter-example)."""

from __future__ import annotations

import asyncio
import threading

import fastapi

import awaitbench.detect.watchdog.monitor
from awaitbench.detect.watchdog.config import FrameFilter
from awaitbench.detect.watchdog.stacks import FrameClassifier, innermost_user_index, sample_thread, to_frames
from tests.awaitbench.detect.watch_app import THIS_FILE, blocking_sleep, line_of


def test_stdlib_site_packages_and_detect_are_library_code() -> None:
    classifier = FrameClassifier(FrameFilter())
    assert not classifier.is_user(asyncio.__file__, "asyncio")
    assert not classifier.is_user(fastapi.__file__, "fastapi")
    assert not classifier.is_user(
        awaitbench.detect.watchdog.monitor.__file__, "awaitbench.detect.watchdog.monitor"
    )
    assert not classifier.is_user("<frozen runpy>", "runpy")
    assert classifier.is_user(__file__, __name__)
    assert classifier.is_user(THIS_FILE, "tests.awaitbench.detect.watch_app")


def test_overrides_move_code_between_user_and_library() -> None:
    classifier = FrameClassifier(
        FrameFilter(user_modules=("fastapi",), library_paths=(str(__file__).rsplit("/", 2)[0],))
    )
    assert classifier.is_user(fastapi.__file__, "fastapi.applications")
    assert not classifier.is_user(__file__, __name__)  # under a library path


def test_innermost_user_frame_or_innermost_of_all() -> None:
    classifier = FrameClassifier(FrameFilter())
    user = ("/srv/app/routes.py", 3, "ask", "app.routes")
    helper = ("/srv/app/helpers.py", 9, "slow", "app.helpers")
    lib = (asyncio.__file__, 1, "run", "asyncio")
    assert innermost_user_index([lib, user, helper, lib], classifier) == 2
    assert innermost_user_index([lib, lib], classifier) == 1


def test_a_thread_blocked_in_a_helper_of_another_file_is_named_there() -> None:
    started = threading.Event()

    def work() -> None:
        started.set()
        blocking_sleep(0.5)

    thread = threading.Thread(target=work)
    thread.start()
    started.wait(5)
    classifier = FrameClassifier(FrameFilter())
    stack = None
    while thread.is_alive():  # poll until the thread is inside the helper's sleep
        stack = sample_thread(thread.ident or 0)
        if stack and stack[-1][2] == "blocking_sleep":
            break
    thread.join()
    assert stack is not None
    frames = to_frames(stack, classifier)
    located = frames[innermost_user_index(stack, classifier)]
    assert (located.file, located.line, located.function) == (THIS_FILE, line_of("SLEEP"), "blocking_sleep")
    assert located.source.startswith("time.sleep(seconds)")
    assert frames[0].user_code is False  # threading's bootstrap
