"""The side channel's documents: what the app-side agent reports and the bench reads back.

Plain JSON both ways, built and parsed here only, so the agent (inside the user's app) and the bench (in
the `awaitbench diagnose` process) cannot drift apart. Frames keep absolute paths; readers shorten them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from awaitbench.detect.watchdog.report import Block, Frame, NeverAwaited, ResourceLeak, ThreadpoolUsage

__all__ = [
    "AgentSnapshot",
    "InFlightReport",
    "RequestDeadlines",
    "WireError",
    "block_from_json",
    "block_to_json",
    "frame_from_json",
    "frame_to_json",
]


class WireError(ValueError):
    """A side-channel document that is not what this version writes (names the field)."""


def frame_to_json(frame: Frame) -> dict[str, Any]:
    return {
        "file": frame.file,
        "line": frame.line,
        "function": frame.function,
        "source": frame.source,
        "user_code": frame.user_code,
    }


def frame_from_json(data: Any) -> Frame:
    d = _object(data, "frame")
    return Frame(
        file=str(d.get("file", "")),
        line=int(d.get("line", 0)),
        function=str(d.get("function", "")),
        source=str(d.get("source", "")),
        user_code=bool(d.get("user_code", True)),
    )


def block_to_json(block: Block) -> dict[str, Any]:
    return {
        "duration_ms": block.duration_ms,
        "state": block.state,
        "running_fraction": block.running_fraction,
        "on_cpu_fraction": block.on_cpu_fraction,
        "location": frame_to_json(block.location),
        "stack": [frame_to_json(f) for f in block.stack],
        "route": block.route,
        "samples": block.samples,
        "location_share": block.location_share,
        "thread_name": block.thread_name,
        "started_at": block.started_at,
        "ongoing": block.ongoing,
    }


def block_from_json(data: Any) -> Block:
    d = _object(data, "block")
    state = d.get("state")
    if state not in ("running", "parked", "unknown"):
        raise WireError(f"block.state must be running, parked or unknown, got {state!r}")
    return Block(
        duration_ms=float(d["duration_ms"]),
        state=state,
        running_fraction=_maybe_float(d.get("running_fraction")),
        on_cpu_fraction=_maybe_float(d.get("on_cpu_fraction")),
        location=frame_from_json(d["location"]),
        stack=tuple(frame_from_json(f) for f in d.get("stack", ())),
        route=d.get("route"),
        samples=int(d.get("samples", 0)),
        location_share=float(d.get("location_share", 0.0)),
        thread_name=str(d.get("thread_name", "")),
        started_at=float(d.get("started_at", 0.0)),
        ongoing=bool(d.get("ongoing", False)),
    )


@dataclass(frozen=True, kw_only=True)
class AgentSnapshot:
    """What the agent saw since its last reset.

    Args:
        pid: the app process.
        loop_thread_id: the native id of the event loop's thread (its CPU time is read with psutil).
        since_reset_s: how long ago the last reset was.
        blocks: loop blocks at or over the threshold, in the order they ended.
        blocks_dropped: blocks beyond the agent's bound (counted, not kept).
        threadpool: anyio's default limiter, peaks since the reset.
        never_awaited: coroutines dropped without an await.
        resource_warnings: unclosed clients, sockets, transports.
        current_stall_ms: how long the loop has been unresponsive right now (0 when healthy).
        threshold_ms: the block threshold in use.
    """

    pid: int
    loop_thread_id: int | None
    since_reset_s: float
    blocks: tuple[Block, ...] = ()
    blocks_dropped: int = 0
    threadpool: ThreadpoolUsage = field(default_factory=ThreadpoolUsage)
    never_awaited: tuple[NeverAwaited, ...] = ()
    resource_warnings: tuple[ResourceLeak, ...] = ()
    current_stall_ms: float = 0.0
    threshold_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        pool = self.threadpool
        return {
            "pid": self.pid,
            "loop_thread_id": self.loop_thread_id,
            "since_reset_s": self.since_reset_s,
            "blocks": [block_to_json(b) for b in self.blocks],
            "blocks_dropped": self.blocks_dropped,
            "threadpool": {
                "peak_borrowed": pool.peak_borrowed,
                "total_tokens": pool.total_tokens,
                "peak_waiting": pool.peak_waiting,
                "saturated_ms": pool.saturated_ms,
            },
            "never_awaited": [
                {
                    "coroutine": n.coroutine,
                    "defined_at": frame_to_json(n.defined_at),
                    "created_at": [frame_to_json(f) for f in n.created_at],
                }
                for n in self.never_awaited
            ],
            "resource_warnings": [
                {"message": r.message, "source_type": r.source_type, "file": r.file, "line": r.line}
                for r in self.resource_warnings
            ],
            "current_stall_ms": self.current_stall_ms,
            "threshold_ms": self.threshold_ms,
        }

    @classmethod
    def from_json(cls, data: Any) -> AgentSnapshot:
        """Raises WireError naming what is missing or mistyped."""
        d = _object(data, "snapshot")
        try:
            pool = _object(d.get("threadpool", {}), "threadpool")
            return cls(
                pid=int(d["pid"]),
                loop_thread_id=None if d.get("loop_thread_id") is None else int(d["loop_thread_id"]),
                since_reset_s=float(d["since_reset_s"]),
                blocks=tuple(block_from_json(b) for b in d.get("blocks", ())),
                blocks_dropped=int(d.get("blocks_dropped", 0)),
                threadpool=ThreadpoolUsage(
                    peak_borrowed=int(pool.get("peak_borrowed", 0)),
                    total_tokens=None if pool.get("total_tokens") is None else int(pool["total_tokens"]),
                    peak_waiting=int(pool.get("peak_waiting", 0)),
                    saturated_ms=float(pool.get("saturated_ms", 0.0)),
                ),
                never_awaited=tuple(
                    NeverAwaited(
                        coroutine=str(n["coroutine"]),
                        defined_at=frame_from_json(n["defined_at"]),
                        created_at=tuple(frame_from_json(f) for f in n.get("created_at", ())),
                    )
                    for n in d.get("never_awaited", ())
                ),
                resource_warnings=tuple(
                    ResourceLeak(
                        message=str(r["message"]),
                        source_type=r.get("source_type"),
                        file=str(r.get("file", "")),
                        line=int(r.get("line", 0)),
                    )
                    for r in d.get("resource_warnings", ())
                ),
                current_stall_ms=float(d.get("current_stall_ms", 0.0)),
                threshold_ms=float(d.get("threshold_ms", 0.0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise WireError(f"agent snapshot: bad or missing field ({type(exc).__name__}: {exc})") from None


@dataclass(frozen=True, kw_only=True)
class RequestDeadlines:
    """One request in flight: how long it has run, when each timer it armed fires, and the app's line
    its task is suspended at (None when no frame of the app's code is on its await chain)."""

    method: str
    path: str
    probe: str
    age_s: float
    timers_s: tuple[float, ...]
    awaiting_at: Frame | None = None


@dataclass(frozen=True, kw_only=True)
class InFlightReport:
    """The requests in flight and the upstream sockets' timeouts (None in the list = no timeout)."""

    requests: tuple[RequestDeadlines, ...]
    upstream_socket_timeouts_s: tuple[float | None, ...] = ()
    current_stall_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": [
                {
                    "method": r.method,
                    "path": r.path,
                    "probe": r.probe,
                    "age_s": r.age_s,
                    "timers_s": r.timers_s,
                    "awaiting_at": None if r.awaiting_at is None else frame_to_json(r.awaiting_at),
                }
                for r in self.requests
            ],
            "upstream_socket_timeouts_s": list(self.upstream_socket_timeouts_s),
            "current_stall_ms": self.current_stall_ms,
        }

    @classmethod
    def from_json(cls, data: Any) -> InFlightReport:
        d = _object(data, "in-flight report")
        try:
            return cls(
                requests=tuple(
                    RequestDeadlines(
                        method=str(r["method"]),
                        path=str(r["path"]),
                        probe=str(r.get("probe", "")),
                        age_s=float(r["age_s"]),
                        timers_s=tuple(float(t) for t in r.get("timers_s", ())),
                        awaiting_at=None
                        if r.get("awaiting_at") is None
                        else frame_from_json(r["awaiting_at"]),
                    )
                    for r in d.get("requests", ())
                ),
                upstream_socket_timeouts_s=tuple(
                    None if t is None else float(t) for t in d.get("upstream_socket_timeouts_s", ())
                ),
                current_stall_ms=float(d.get("current_stall_ms", 0.0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise WireError(f"in-flight report: bad or missing field ({type(exc).__name__}: {exc})") from None

    def for_probe(self, probe: str) -> RequestDeadlines | None:
        return next((r for r in self.requests if r.probe == probe), None)


def _object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise WireError(f"{what} must be a JSON object, got {type(data).__name__}")
    return data


def _maybe_float(value: Any) -> float | None:
    return None if value is None else float(value)
