"""The pytest plugin's results as plain data, for pytest-xdist's worker output."""

from __future__ import annotations

import dataclasses
from typing import Any

from awaitbench.detect.watchdog.groups import BlockLog
from awaitbench.detect.watchdog.report import (
    Block,
    BlockingCall,
    Frame,
    LagSummary,
    LeakedTask,
    LeakedThread,
    NeverAwaited,
    ResourceLeak,
    ThreadpoolUsage,
    WatchReport,
)

__all__ = ["WORKER_OUTPUT_KEY", "from_worker_output", "to_worker_output"]

WORKER_OUTPUT_KEY = "awaitbench_loop_watch"
_VERSION = 1


def to_worker_output(
    results: list[tuple[str, WatchReport]], unwatched: list[tuple[str, str]]
) -> dict[str, Any]:
    """Each test's report, without its groups (rebuilt from the blocks on the other side)."""
    return {
        "version": _VERSION,
        "results": [[nodeid, _report_data(report)] for nodeid, report in results],
        "unwatched": [list(entry) for entry in unwatched],
    }


def from_worker_output(data: object) -> tuple[list[tuple[str, WatchReport]], list[tuple[str, str]]]:
    """The reports and unwatched tests of one worker; nothing when the data is not this version's."""
    if not isinstance(data, dict) or data.get("version") != _VERSION:
        return [], []
    results = [(str(nodeid), _report(report)) for nodeid, report in data["results"]]
    unwatched = [(str(nodeid), str(reason)) for nodeid, reason in data["unwatched"]]
    return results, unwatched


def _report_data(report: WatchReport) -> dict[str, Any]:
    data = dataclasses.asdict(report)
    del data["groups"]
    return data


def _frame(data: dict[str, Any]) -> Frame:
    return Frame(**data)


def _frames(data: list[dict[str, Any]]) -> tuple[Frame, ...]:
    return tuple(_frame(f) for f in data)


def _maybe_frame(data: dict[str, Any] | None) -> Frame | None:
    return None if data is None else _frame(data)


def _block(data: dict[str, Any]) -> Block:
    return Block(
        **{**data, "location": _frame(data["location"]), "stack": tuple(_frame(f) for f in data["stack"])}
    )


def _report(data: dict[str, Any]) -> WatchReport:
    blocks = tuple(_block(b) for b in data["blocks"])
    log = BlockLog(max_blocks=0)
    for block in blocks:
        log.add(block)
    never_awaited = tuple(
        NeverAwaited(
            coroutine=item["coroutine"],
            defined_at=_frame(item["defined_at"]),
            created_at=tuple(_frame(f) for f in item["created_at"]),
        )
        for item in data["never_awaited"]
    )
    return WatchReport(
        threshold_ms=data["threshold_ms"],
        watched_ms=data["watched_ms"],
        loops_watched=data["loops_watched"],
        blocks=blocks,
        blocks_dropped=data["blocks_dropped"],
        groups=log.groups(),
        threadpool=ThreadpoolUsage(**data["threadpool"]),
        never_awaited=never_awaited,
        resource_warnings=tuple(ResourceLeak(**leak) for leak in data["resource_warnings"]),
        lag=LagSummary(**data["lag"]),
        leaked_tasks=tuple(
            LeakedTask(
                **{**t, "created_at": _frames(t["created_at"]), "waiting_at": _maybe_frame(t["waiting_at"])}
            )
            for t in data["leaked_tasks"]
        ),
        leaked_threads=tuple(
            LeakedThread(
                **{**t, "started_at": _frames(t["started_at"]), "running_at": _maybe_frame(t["running_at"])}
            )
            for t in data["leaked_threads"]
        ),
        blocking_calls=tuple(
            BlockingCall(**{**c, "location": _frame(c["location"]), "stack": _frames(c["stack"])})
            for c in data["blocking_calls"]
        ),
    )
