"""What the pytest plugin costs per test: `python scripts/plugin_overhead.py [--tests 2000] [--rounds 5]`.

Runs a file of empty tests (sync ones and `asyncio.run` ones) in fresh pytest processes, plain and with
`--loop-block-ms=100`, alternating to spread machine noise evenly, and reports the process CPU (user +
system, the monitor thread included) per test of each, and the per-round differences: the plugin's cost
per test, start-up included. Then the same in-process, where the noise is smaller: a window of the
session's watch alone, and an `asyncio.run` test with and without one. Results: docs/detect.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["main"]

TESTS = """
import asyncio

import pytest


@pytest.mark.parametrize("i", range({count}))
def test_sync(i):
    pass


@pytest.mark.parametrize("i", range({count}))
def test_async(i):
    asyncio.run(asyncio.sleep(0))
"""

PLAIN = ("-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:xdist", "-q")


def _cpu_s(argv: list[str], cwd: Path) -> tuple[float, float]:
    """(CPU seconds of the child, wall seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tests", type=int, default=2000, help="tests per run, half sync, half asyncio.run")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        cwd = Path(directory)
        (cwd / "test_empty.py").write_text(TESTS.format(count=args.tests // 2))
        pytest_argv = [sys.executable, "-m", "pytest", *PLAIN]
        differences_ms = []
        for round_ in range(1, args.rounds + 1):
            plain, plain_wall = _cpu_s(pytest_argv, cwd)
            watched, watched_wall = _cpu_s([*pytest_argv, "--loop-block-ms=100"], cwd)
            differences_ms.append((watched - plain) / args.tests * 1000.0)
            print(
                f"round {round_}: plain {plain:.2f} s CPU ({plain_wall:.1f} s wall), watched {watched:.2f} s "
                f"CPU ({watched_wall:.1f} s wall): {differences_ms[-1]:+.3f} ms CPU per test"
            )
    _in_process(args.tests)
    print(
        f"plugin cost per test: median {statistics.median(differences_ms):+.3f} ms CPU, "
        f"rounds {min(differences_ms):+.3f} to {max(differences_ms):+.3f} ({args.tests} tests, "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())})"
    )
    return 0


def _in_process(tests: int) -> None:
    import asyncio

    from awaitbench.detect.watchdog import watch_loop

    watch = watch_loop(threshold_ms=100, loops="all").start()
    try:
        started = time.process_time()
        for _ in range(tests):
            watch.start_window()
            watch.end_window()
        window = time.process_time() - started
        started = time.process_time()
        for _ in range(tests):
            watch.start_window()
            asyncio.run(asyncio.sleep(0))
            watch.end_window()
        watched = time.process_time() - started
    finally:
        watch.stop()
    started = time.process_time()
    for _ in range(tests):
        asyncio.run(asyncio.sleep(0))
    bare = time.process_time() - started
    per_test = 1000.0 / tests
    print(
        f"in-process, CPU per test: a window {window * per_test:.3f} ms; an asyncio.run test "
        f"{watched * per_test:.3f} ms watched vs {bare * per_test:.3f} ms bare"
    )


if __name__ == "__main__":
    raise SystemExit(main())
