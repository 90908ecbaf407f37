"""The diagnosis agent: the harness `awaitbench.detect.serve` puts around the user's app, code unchanged.

Its recorder keeps what the watchdog sees per phase (blocks, threadpool, never-awaited coroutines, leaks),
the outbound calls the capture noted and the app's SQLAlchemy pools (`dbpool`); each request is marked
for `deadlines`, with the bench's `x-awaitbench-probe` header. Nothing is logged.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field

from pydantic import TypeAdapter

from awaitbench.detect.diagnose.dbpool import PoolWatch
from awaitbench.detect.diagnose.deadlines import InFlight, serving
from awaitbench.detect.diagnose.evidence import DbPoolFigures
from awaitbench.detect.diagnose.outbound import OutboundHost, OutboundLog
from awaitbench.detect.harness import Harness, Recorder
from awaitbench.detect.watchdog.app_watch import ASGIApp, Scope
from awaitbench.detect.watchdog.config import WatchConfig
from awaitbench.detect.watchdog.report import Block, NeverAwaited, ResourceLeak, ThreadpoolUsage

__all__ = ["AGENT_SNAPSHOT", "PROBE_HEADER", "AgentSnapshot", "PhaseRecorder", "diagnosis_agent"]

PROBE_HEADER = b"x-awaitbench-probe"
_MAX_KEPT = 2000  # blocks, warnings: per phase; more are counted, not kept


@dataclass(frozen=True, kw_only=True)
class AgentSnapshot:
    """What the agent saw since its last reset (`GET /snapshot` of the side channel).

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
        outbound: the hosts the app called or resolved, and what happened (`capture`).
        watching: the loop watch's monitor runs (False: it died, see the app's log; nothing is measured).
        db_pool: the app's SQLAlchemy pools: connections lent and how long they were held.
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
    outbound: tuple[OutboundHost, ...] = ()
    watching: bool = True
    db_pool: DbPoolFigures = field(default_factory=DbPoolFigures)


AGENT_SNAPSHOT = TypeAdapter(AgentSnapshot)


class PhaseRecorder(Recorder[AgentSnapshot]):
    """The watchdog's events since the last `reset()` (the bench resets it before each phase), and the
    capture's `outbound` log and the `pools` watch, reset with them."""

    def __init__(self, outbound: OutboundLog | None = None) -> None:
        self.outbound = outbound or OutboundLog()
        self.pools = PoolWatch()
        super().__init__()

    def _clear(self) -> None:
        self.outbound.reset()
        self.pools.reset()
        self._blocks: list[Block] = []
        self._dropped = 0
        self._never_awaited: list[NeverAwaited] = []
        self._resources: list[ResourceLeak] = []

    def on_block(self, block: Block) -> None:
        with self._lock:
            if len(self._blocks) < _MAX_KEPT:
                self._blocks.append(block)
            else:
                self._dropped += 1

    def on_never_awaited(self, item: NeverAwaited) -> None:
        with self._lock:
            if len(self._never_awaited) < _MAX_KEPT:
                self._never_awaited.append(item)

    def on_resource_warning(self, item: ResourceLeak) -> None:
        with self._lock:
            if len(self._resources) < _MAX_KEPT:
                self._resources.append(item)

    def snapshot(
        self, *, stall_ms: float, loop_thread_id: int | None, threshold_ms: float, watching: bool = True
    ) -> AgentSnapshot:
        with self._lock:
            return AgentSnapshot(
                pid=os.getpid(),
                loop_thread_id=loop_thread_id,
                since_reset_s=self.since_reset_s,
                blocks=tuple(self._blocks),
                blocks_dropped=self._dropped,
                threadpool=self._threadpool.usage(),
                never_awaited=tuple(self._never_awaited),
                resource_warnings=tuple(self._resources),
                current_stall_ms=round(stall_ms, 3),
                threshold_ms=threshold_ms,
                outbound=self.outbound.hosts(),
                watching=watching,
                db_pool=self.pools.usage(),
            )


def _mark(scope: Scope) -> contextlib.AbstractContextManager[InFlight]:
    probe = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == PROBE_HEADER), "")
    return serving(str(scope.get("method", "")), str(scope.get("path", "")), probe)


def diagnosis_agent(
    app: ASGIApp, *, watch: WatchConfig, outbound: OutboundLog | None = None
) -> Harness[AgentSnapshot]:
    """`app` under the agent: watchdog on its loop (`watch.loops` "current"), requests tagged and marked;
    `outbound` is the capture's log, reset and served with the rest; SQLAlchemy's pools are watched."""
    recorder = PhaseRecorder(outbound)
    recorder.pools.install()
    return Harness(app, watch=watch, recorder=recorder, document=AGENT_SNAPSHOT, around_request=_mark)
