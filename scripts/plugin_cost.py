"""What the pytest plugin costs a test suite, next to its peers: `python scripts/plugin_cost.py`.

Runs the same coroutine-heavy clean test (50,000 `await asyncio.sleep(0)`, three copies in one file) in a
fresh pytest process per variant: bare, this plugin (`--loop-block-ms=100`; then with leaks and strict
mode too), pyleak (`@pytest.mark.no_leaks`), blockbuster (`blockbuster_ctx()` around each test) and
asyncio debug mode (`PYTHONASYNCIODEBUG=1`, and pytest-asyncio's `asyncio_debug=true`). Peers not
importable by `--python` are skipped: install them in a scratch venv with the same interpreter and
awaitbench (`pip install -e . pyleak blockbuster`). Figures are CPU time, which other jobs on the machine
cannot inflate the way they inflate wall time: each test's call phase (read in the test process; the
first test also pays one-time set-up, the later ones are the steady state) and the whole pytest process.
Rounds interleave the variants (the order rotates each round); results are medians of per-round ratios to
bare, with their spread and the load average. Results: docs/detect.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["VARIANTS", "Variant", "VariantCost", "measure_plugin_cost"]

COPIES = 3
HEAVY_TEST = """
import asyncio

import pytest


@pytest.mark.asyncio
async def test_many_awaits_{index}():
    for _ in range({awaits}):
        await asyncio.sleep(0)
"""
CONFTEST = """
import json
import os
import time

import pytest

VARIANT = os.environ["PLUGIN_COST_VARIANT"]


def pytest_collection_modifyitems(items):
    if VARIANT == "pyleak":
        for item in items:
            item.add_marker(pytest.mark.no_leaks)


@pytest.fixture(autouse=True)
def blockbuster_around():
    if VARIANT != "blockbuster":
        yield
        return
    from blockbuster import blockbuster_ctx

    with blockbuster_ctx():
        yield


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_call(item):
    started = time.process_time()
    try:
        return (yield)
    finally:
        with open(os.environ["PLUGIN_COST_OUT"], "a") as out:
            out.write(json.dumps(time.process_time() - started) + "\\n")
"""


@dataclass(frozen=True, kw_only=True)
class Variant:
    name: str
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    needs: str | None = None  # a module that must be importable


VARIANTS = (
    Variant(name="bare"),
    Variant(name="plugin", args=("--loop-block-ms=100",)),
    Variant(
        name="plugin+leaks+strict",
        args=("--loop-block-ms=100", "--loop-leaks=tasks,threads", "--loop-block-strict"),
    ),
    Variant(name="pyleak", needs="pyleak"),
    Variant(name="blockbuster", needs="blockbuster"),
    # pytest-asyncio sets each loop's debug flag from its own `asyncio_debug` option, not the variable.
    Variant(name="asyncio debug", args=("-o", "asyncio_debug=true"), env=(("PYTHONASYNCIODEBUG", "1"),)),
)


@dataclass(frozen=True, kw_only=True)
class VariantCost:
    """CPU seconds per round: the first test's call phase, the later tests' (median), the process."""

    name: str
    first_call_s: tuple[float, ...]
    steady_call_s: tuple[float, ...]
    process_s: tuple[float, ...]


def _project(directory: Path, awaits: int) -> None:
    tests = "\n".join(HEAVY_TEST.format(index=i, awaits=awaits) for i in range(COPIES))
    (directory / "test_heavy.py").write_text(tests)
    (directory / "conftest.py").write_text(CONFTEST)
    (directory / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = function\n")


def _importable(python: str, module: str) -> bool:
    return subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode == 0


def _run(python: str, directory: Path, variant: Variant) -> tuple[list[float], float]:
    out = directory / "calls.jsonl"
    out.unlink(missing_ok=True)
    env = {
        **os.environ,
        **dict(variant.env),
        "PLUGIN_COST_VARIANT": variant.name,
        "PLUGIN_COST_OUT": str(out),
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:locust", *variant.args],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    calls = [float(json.loads(line)) for line in out.read_text().splitlines()] if out.exists() else []
    if len(calls) != COPIES:  # a failed test still counts (a stall of a starved machine): a crash does not
        raise RuntimeError(f"{variant.name}: pytest exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    process = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return calls, process


def measure_plugin_cost(
    *,
    python: str = sys.executable,
    rounds: int = 7,
    awaits: int = 50_000,
    variants: tuple[Variant, ...] = VARIANTS,
) -> tuple[list[VariantCost], list[float]]:
    """Per-variant CPU over interleaved rounds, and the 1-minute load average at each round's start."""
    chosen = [v for v in variants if v.needs is None or _importable(python, v.needs)]
    seen: dict[str, tuple[list[float], list[float], list[float]]] = {v.name: ([], [], []) for v in chosen}
    loads: list[float] = []
    with tempfile.TemporaryDirectory(prefix="plugin-cost-") as tmp:
        directory = Path(tmp)
        _project(directory, awaits)
        for index in range(rounds):
            loads.append(round(os.getloadavg()[0], 2))
            order = chosen[index % len(chosen) :] + chosen[: index % len(chosen)]
            for variant in order:
                calls, process = _run(python, directory, variant)
                first, steady, whole = seen[variant.name]
                first.append(calls[0])
                steady.append(statistics.median(calls[1:]))
                whole.append(process)
    costs = [
        VariantCost(name=n, first_call_s=tuple(f), steady_call_s=tuple(s), process_s=tuple(p))
        for n, (f, s, p) in seen.items()
    ]
    return costs, loads


def _ratios(values: tuple[float, ...], bare: tuple[float, ...]) -> str:
    ratios = sorted(v / b for v, b in zip(values, bare, strict=True))
    return f"{statistics.median(ratios):.3f}× ({ratios[0]:.2f}–{ratios[-1]:.2f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python scripts/plugin_cost.py", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--python", default=sys.executable, help="the interpreter whose pytest runs the tests"
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--awaits", type=int, default=50_000)
    parser.add_argument(
        "--variants", default=",".join(v.name for v in VARIANTS), help="comma-separated, of: %(default)s"
    )
    args = parser.parse_args(argv)
    names = {"bare", *args.variants.split(",")}
    chosen = tuple(v for v in VARIANTS if v.name in names)
    costs, loads = measure_plugin_cost(
        python=args.python, rounds=args.rounds, awaits=args.awaits, variants=chosen
    )
    bare = next(c for c in costs if c.name == "bare")
    print(
        f"{args.rounds} rounds, load average {min(loads):.1f}–{max(loads):.1f} (1 min, {os.cpu_count()} CPUs)"
    )
    print("variant | steady-state test CPU | first test CPU | whole pytest process CPU")
    for cost in costs:
        print(
            f"{cost.name} | {_ratios(cost.steady_call_s, bare.steady_call_s)} | "
            f"{_ratios(cost.first_call_s, bare.first_call_s)} | {_ratios(cost.process_s, bare.process_s)}"
        )
    steady, first = statistics.median(bare.steady_call_s), statistics.median(bare.first_call_s)
    print(
        f"bare: steady {steady * 1000:.0f} ms, first {first * 1000:.0f} ms, "
        f"process {statistics.median(bare.process_s):.2f} s CPU"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
