"""`DemoConfig`: the one typed configuration of `awaitbench demo`, validated once before anything starts.

Every field marked `option` is also a flag and an env var (`AWAITBENCH_DEMO_<NAME>`; `awaitbench.options`).
Live (`SCENARIO [PITFALL FIX]`) or a replay of a recording (`--replay FILE`), never both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from awaitbench.options import Options, option
from bench.errors import UsageError
from bench.loadgen.live_loop import MAX_LIVE_USERS
from bench.results import Loop

__all__ = ["DEFAULT_PORT", "ENV_PREFIX", "OPTIONS", "DemoConfig", "ThemeChoice", "default_max_users"]

ENV_PREFIX = "AWAITBENCH_DEMO_"
DEFAULT_PORT = 8765
ThemeChoice = Literal["talk", "paper"]
# Users per core the slider offers by default: enough to push the fix of sync_client past one app
# process's CPU (~300 req/s at L = 100 ms) on any laptop, not so many that the drivers swamp a small one.
_USERS_PER_CORE = 50


def default_max_users() -> int:
    """The slider's top on this machine: 50 users per core, within what one driver keeps busy."""
    return min(_USERS_PER_CORE * (os.cpu_count() or 1), MAX_LIVE_USERS)


@dataclass(frozen=True, kw_only=True)
class DemoConfig:
    """Everything one `awaitbench demo` does.

    Args:
        selection: `SCENARIO` or `SCENARIO PITFALL FIX` (two variant ids of it); empty with `replay`.
        users: the users each variant gets at the start (None: the scenario's headline load).
        max_users: the slider's top (None: `default_max_users()`).
        latency_ms: the upstream latency L at the start (None: the scenario's own).
        port: the page's port on 127.0.0.1 (0: any free port).
        theme: "talk" (16:9, large type) or "paper".
        record: write every frame the page gets to this file (replayable).
        replay: play a recording back instead of starting anything.
        snapshot: where the page's snapshot button writes its PNG (None: a timestamped file here).
        open: open the page in the default browser.
        loop: the event loop of the variant apps.
    """

    selection: tuple[str, ...] = option(
        (), positional=True, metavar="SCENARIO [PITFALL FIX]", help="what to show (see 'awaitbench list')"
    )
    users: int | None = option(
        None, doc_default="the scenario's headline load", help="users per variant at the start"
    )
    max_users: int | None = option(None, doc_default="50 per core", help="the top of the users slider")
    latency_ms: float | None = option(
        None, metavar="MS", doc_default="the scenario's", help="upstream latency L at the start, ms"
    )
    port: int = option(DEFAULT_PORT, help="the page's port on 127.0.0.1 (0: any free port)")
    theme: ThemeChoice = option("talk", help="talk (16:9, large type) or paper")
    record: Path | None = option(None, metavar="FILE", help="record the figures to FILE (for --replay)")
    replay: Path | None = option(None, metavar="FILE", help="play a recording back; starts no process")
    snapshot: Path | None = option(
        None,
        metavar="FILE",
        doc_default="awaitbench-demo-<scenario>-<time>.png",
        help="where the page's snapshot button (key S) writes the charts as PNG",
    )
    open: bool = option(False, help="open the page in the default browser")
    loop: Loop = option("uvloop", help="event loop of the variant apps")

    def __post_init__(self) -> None:
        if self.replay is not None:
            if self.selection or self.record is not None:
                raise UsageError(
                    "--replay plays a recording back: drop the SCENARIO and --record, or drop --replay"
                )
        elif len(self.selection) not in (1, 3):
            raise UsageError(
                "name what to show: awaitbench demo SCENARIO [PITFALL FIX] (see 'awaitbench list'), "
                "or --replay FILE"
            )
        top = self.top_users
        if not 1 <= top <= MAX_LIVE_USERS:
            raise UsageError(f"--max-users {top} must be in 1..{MAX_LIVE_USERS}")
        if self.users is not None and not 1 <= self.users <= top:
            raise UsageError(f"--users {self.users} must be in 1..{top} (the slider's top: --max-users)")
        if self.latency_ms is not None and not 1.0 <= self.latency_ms <= 10_000.0:
            raise UsageError(f"--latency-ms {self.latency_ms:g} must be in 1..10000 ms")
        if not 0 <= self.port <= 65535:
            raise UsageError(f"--port {self.port} must be in 0..65535 (0: any free port)")

    @property
    def top_users(self) -> int:
        return self.max_users if self.max_users is not None else default_max_users()

    @property
    def scenario_id(self) -> str:
        return self.selection[0] if self.selection else ""


OPTIONS = Options(DemoConfig, env_prefix=ENV_PREFIX, error=UsageError, docs="docs/demo.md")
