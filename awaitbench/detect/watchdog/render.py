"""Text for people: a block with its stack (the pytest failure), and a report summary.

Stacks show the user's frames with their source line and fold runs of library frames into one line
naming the packages ("… 38 library frames: _pytest, pluggy, asyncio"); the innermost frame is always
shown, so a sync SDK call reads as the route's line, then "… openai, httpx, httpcore …", then `ssl.py`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from awaitbench.detect.watchdog.report import (
    Block,
    BlockingCall,
    Frame,
    LeakedTask,
    LeakedThread,
    NeverAwaited,
    WatchReport,
)

__all__ = [
    "describe_blocking_call",
    "describe_leaked_task",
    "describe_leaked_thread",
    "describe_never_awaited",
    "render_block",
    "render_report",
    "render_stack",
]

_SITE = re.compile(r"[/\\](?:site-packages|dist-packages)[/\\]([^/\\]+)")
_STDLIB = re.compile(r"[/\\](?:python\d+\.\d+|lib-dynload)[/\\]([^/\\]+)")


def _package(file: str) -> str:
    match = _SITE.search(file) or _STDLIB.search(file)
    name = match.group(1) if match else file.replace("\\", "/").rsplit("/", 1)[-1]
    return name.removesuffix(".py")


def _frame_lines(frame: Frame, indent: str) -> list[str]:
    lines = [f"{indent}{frame.where} in {frame.function}"]
    if frame.source:
        lines.append(f"{indent}    {frame.source}")
    return lines


def _fold(frames: Sequence[Frame], indent: str) -> str:
    packages: list[str] = []
    for frame in frames:
        name = _package(frame.file)
        if name not in packages:
            packages.append(name)
    noun = "frame" if len(frames) == 1 else "frames"
    return f"{indent}… {len(frames)} library {noun}: {', '.join(packages)}"


def render_stack(stack: Sequence[Frame], *, indent: str = "    ") -> list[str]:
    """Most recent call last; library runs folded; the innermost frame always shown."""
    if not stack:
        return [f"{indent}(no sample)"]
    if not any(frame.user_code for frame in stack):  # nothing of the user's: the innermost few
        innermost = [_fold(stack[:-8], indent)] if len(stack) > 8 else []
        for frame in stack[-8:]:
            innermost += _frame_lines(frame, indent)
        return innermost
    lines: list[str] = []
    run: list[Frame] = []
    for frame in stack[:-1]:
        if frame.user_code:
            if run:
                lines.append(_fold(run, indent))
                run = []
            lines += _frame_lines(frame, indent)
        else:
            run.append(frame)
    if run:
        lines.append(_fold(run, indent))
    return lines + _frame_lines(stack[-1], indent)


def render_block(block: Block, *, threshold_ms: float | None = None) -> str:
    """Several lines: duration, state, location with its source line, route, then the stack."""
    limit = f" (threshold {threshold_ms:g} ms)" if threshold_ms is not None else ""
    ongoing = ", still blocked when the watch ended" if block.ongoing else ""
    cpu = ""
    if block.running_fraction is not None:
        cpu = f" (loop thread running {block.running_fraction:.0%} of the time"
        on_cpu = block.on_cpu_fraction
        if block.state == "running" and on_cpu is not None and on_cpu < 0.6 * block.running_fraction:
            cpu += f", on a CPU only {on_cpu:.0%}: the machine is short of CPU"
        cpu += ")"
    loc = block.location
    lines = [
        f"event loop blocked for {block.duration_ms:.0f} ms{limit}{ongoing}: {block.state}{cpu}",
        f"  at {loc.where} in {loc.function}" + (f": {loc.source}" if loc.source else ""),
    ]
    context = [f"thread {block.thread_name}"]
    if block.route:
        context.insert(0, f"during {block.route}")
    if block.samples:
        context.append(f"{block.samples} samples, {block.location_share:.0%} of the time at this line")
    lines.append("  " + ", ".join(context))
    if block.leaf != loc and block.stack:
        lines.append(f"  innermost: {block.leaf.where} in {block.leaf.function}")
    lines.append("  stack (most recent call last):")
    lines += render_stack(block.stack)
    return "\n".join(lines)


def _at(frame: Frame) -> str:
    return f"{frame.where} in {frame.function}" + (f": {frame.source}" if frame.source else "")


def describe_never_awaited(item: NeverAwaited) -> str:
    """`coroutine 'notify' (app/jobs.py:12) was never awaited; created at app/routes.py:40 in ask`."""
    text = f"coroutine '{item.coroutine}' ({item.defined_at.where}) was never awaited"
    origin = item.origin
    if origin is not None:
        text += f"; created at {_at(origin)}"
    elif item.dropped_at:
        dropped = next((f for f in item.dropped_at if f.user_code), item.dropped_at[0])
        text += f"; dropped at {_at(dropped)} (coroutine_origin_depth names where it was created)"
    return text


def describe_leaked_task(item: LeakedTask) -> str:
    """`task Task-3 running worker() still pending; created at tests/test_jobs.py:9 in test_x: ...`."""
    text = f"task {item.name} running {item.coroutine}() still pending"
    origin = item.origin
    text += f"; created at {_at(origin)}" if origin is not None else "; created before the watch saw its loop"
    if item.waiting_at is not None:
        text += f"; waiting at {item.waiting_at.where}"
    return text


def describe_leaked_thread(item: LeakedThread) -> str:
    """`thread poller (app.jobs.poll) still running; started at tests/test_jobs.py:20 in test_x: ...`."""
    target = f" ({item.target})" if item.target else ""
    text = f"thread {item.name}{target} still running"
    origin = item.origin
    if origin is not None:
        text += f"; started at {_at(origin)}"
    if item.running_at is not None:
        text += f"; now at {item.running_at.where}"
    return text


def describe_blocking_call(item: BlockingCall) -> str:
    """`time.sleep(0.005) on the loop thread MainThread at tests/helpers.py:5 in load: time.sleep(0.005)`."""
    return f"{item.call} on the loop thread {item.thread_name} at {_at(item.location)}"


def render_report(report: WatchReport) -> str:
    """A summary: one line per block group, then threadpool, never-awaited and unclosed resources."""
    lines = [
        f"{sum(g.count for g in report.groups)} loop blocks ≥ {report.threshold_ms:g} ms "
        f"in {report.watched_ms / 1000:.1f} s ({report.loops_watched} loop(s) watched)"
    ]
    lines += [f"  {group.describe()}" for group in report.groups]
    pool = report.threadpool
    if pool.total_tokens is not None:
        full = f", full for {pool.saturated_ms:.0f} ms, {pool.peak_waiting} waiting" if pool.saturated else ""
        lines.append(f"threadpool: peak {pool.peak_borrowed}/{pool.total_tokens} tokens{full}")
    repeated = Counter(describe_never_awaited(item) for item in report.never_awaited)
    lines += [text + (f" ({count}×)" if count > 1 else "") for text, count in repeated.items()]
    lines += [f"unclosed: {leak.message}" for leak in report.resource_warnings]
    lines += [describe_leaked_task(task) for task in report.leaked_tasks]
    lines += [describe_leaked_thread(thread) for thread in report.leaked_threads]
    calls = Counter(describe_blocking_call(call) for call in report.blocking_calls)
    lines += [text + (f" ({count}×)" if count > 1 else "") for text, count in calls.items()]
    return "\n".join(lines)
