"""Typed settings of a perf run, validated once; `PerfConfig` is the single source of the CLI's flags.

Each step's load, a step of the rate search or a closed-loop point, is an `OpenLoopConfig` (`load_config`),
the one generator's own typed settings, which travel to the generator process as JSON.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from awaitbench.options import Options, above, at_least, check_fields, option
from bench.errors import UsageError
from bench.loadgen.open_loop_config import ExpectedLatency, OpenLoopConfig

__all__ = [
    "MODES",
    "OPTIONS",
    "SCHEDS",
    "SERVERS",
    "Mode",
    "PerfConfig",
    "Sched",
    "ServerKind",
    "StepTiming",
    "quick_timing",
    "standard_timing",
]

Mode = Literal["non-streaming", "streaming"]
Sched = Literal["auto", "fifo", "nice", "normal"]
SCHEDS: tuple[Sched, ...] = get_args(Sched)
ServerKind = Literal["ceiling", "fake_llm"]
MODES: tuple[Mode, ...] = get_args(Mode)
SERVERS: tuple[ServerKind, ...] = get_args(ServerKind)


@dataclass(frozen=True, kw_only=True)
class StepTiming:
    """How long one measured step lasts and how finely the search resolves the maximum.

    Args:
        warmup_s: load before the window (connections opened, caches warm); its requests are not counted.
        measure_s: the window whose requests are counted.
        max_steps: measured steps per (server, mode) search; bounds the run time.
        resolution: the search stops once the bracket [sustained, failed] is narrower than this ratio.
        retries: a step that is invalid or a near miss is measured again up to this many times and the
            best attempt counts. Noise on a shared machine only ever adds latency, never removes it, so the
            best of a few attempts is the fairest estimate of what the server itself can do.
    """

    warmup_s: float
    measure_s: float
    max_steps: int
    resolution: float
    retries: int = 1


def standard_timing() -> StepTiming:
    return StepTiming(warmup_s=1.0, measure_s=3.0, max_steps=10, resolution=1.15, retries=1)


def quick_timing() -> StepTiming:
    return StepTiming(warmup_s=0.5, measure_s=1.0, max_steps=3, resolution=1.5, retries=0)


def _choice_list(allowed: tuple[str, ...], flag: str) -> Callable[[str], tuple[str, ...]]:
    """Parser of a comma-separated subset of `allowed` (order kept, duplicates dropped)."""

    def parse(text: str) -> tuple[str, ...]:
        items = tuple(item.strip() for item in text.split(",") if item.strip())
        unknown = [item for item in items if item not in allowed]
        if not items or unknown:
            raise UsageError(f"{flag} takes a comma-separated list of {', '.join(allowed)}; got {text!r}")
        return tuple(dict.fromkeys(items))

    return parse


# Requests in flight at most per step: far beyond what a server that keeps its latency needs (rate x
# latency), so a step only drops requests when the server is far past its limit.
_MAX_OUTSTANDING = 4000
_STANDARD = standard_timing()
_QUICK = quick_timing()


@dataclass(frozen=True, kw_only=True)
class PerfConfig:
    """A whole `awaitbench perf fake-llm` run; each `option` field is also a flag and an env var.

    Args:
        quick: a ~30 s smoke run (short steps, 3 per search).
        ttft_ms: configured time to first token (and the whole latency when not streaming).
        itl_ms: inter-token latency in streaming mode (non-streaming uses 0, so its latency is `ttft_ms`).
        output_tokens: tokens per response.
        error_budget_ms: a step sustains its rate only if p99 latency error stays within this.
        min_success_ratio: ... and if completed requests/s reach this share of the target rate.
        start_rps, max_rps: the search ramps geometrically from `start_rps` and never goes above `max_rps`.
        warmup_s, measure_s, max_steps, resolution, retries: step length and search (see `StepTiming`).
        modes, servers: what to measure.
        little_connections, little_repeats: the Little-bound point (`bench.selfperf.points`): its
            connections, and attempts per server.
        saturation_connections, rounds: the paired saturation rounds (`bench.selfperf.rounds`): their
            connections, and rounds per mode.
        server_cpu, loadgen_cpu: the cores the servers and the generator are pinned to.
        sched: how the servers and the generator are scheduled. On a shared machine other processes
            preempt them for milliseconds at a time, which alone exceeds a 5 ms budget: "fifo" runs them
            under SCHED_FIFO (`chrt -f`, needs root or RLIMIT_RTPRIO; the kernel still keeps 5% of each core
            for everything else), "nice" at niceness -10, "normal" as is; "auto" picks fifo when allowed,
            else nice.
        json_out: also write the results (with machine info) there.
        logs: keep every step's logs and raw figures in this directory.
    """

    quick: bool = option(False, help="a ~30 s smoke run: short steps, 3 per search")
    ttft_ms: float = option(50.0, help="configured latency, ms", check=above(0))
    itl_ms: float = option(20.0, help="inter-token latency when streaming, ms", check=at_least(0))
    output_tokens: int = option(16, help="tokens per response", check=above(0))
    error_budget_ms: float = option(5.0, help="allowed p99 latency error, ms", check=above(0))
    min_success_ratio: float = 0.98
    start_rps: float = option(400.0, help="first rate of each search", check=above(0))
    max_rps: float = option(20000.0, help="never try above this rate")
    warmup_s: float = option(
        _STANDARD.warmup_s, quick=_QUICK.warmup_s, help="excluded warm-up per step, s", check=at_least(0)
    )
    measure_s: float = option(
        _STANDARD.measure_s, quick=_QUICK.measure_s, help="measured window per step, s", check=above(0)
    )
    max_steps: int = option(
        _STANDARD.max_steps, quick=_QUICK.max_steps, help="rates tried per search", check=above(0)
    )
    resolution: float = option(
        _STANDARD.resolution,
        quick=_QUICK.resolution,
        help="stop once the bracket is narrower than this ratio",
        check=above(1),
    )
    retries: int = option(
        _STANDARD.retries, quick=_QUICK.retries, help="re-measure a near miss this often", check=at_least(0)
    )
    modes: tuple[Mode, ...] = option(
        MODES, parse=_choice_list(MODES, "--modes"), help="comma-separated modes"
    )
    servers: tuple[ServerKind, ...] = option(
        SERVERS, parse=_choice_list(SERVERS, "--servers"), help="comma-separated servers"
    )
    little_connections: int = option(
        400, help="closed-loop connections at the Little bound point", check=above(0)
    )
    saturation_connections: int = option(
        1500, help="closed-loop connections at the saturation point", check=above(0)
    )
    little_repeats: int = option(
        1,
        help="closed-loop attempts per server at the Little bound, best counts (0 = skip)",
        check=at_least(0),
    )
    rounds: int = option(
        3,
        quick=1,
        help="paired rounds (ceiling, then fake_llm) per mode at saturation (0 = skip)",
        check=at_least(0),
    )
    server_cpu: int = option(0, help="core the servers are pinned to")
    loadgen_cpu: int = option(1, help="core the generator is pinned to")
    sched: Sched = option(
        "auto",
        help="scheduling: fifo = real-time (root), nice = niceness -10, auto = fifo if allowed, else nice",
    )
    json_out: Path | None = option(None, flag="--json", metavar="FILE", help="also write the results as JSON")
    logs: Path | None = option(None, metavar="DIR", help="keep every step's logs and raw figures here")

    @property
    def timing(self) -> StepTiming:
        return StepTiming(
            warmup_s=self.warmup_s,
            measure_s=self.measure_s,
            max_steps=self.max_steps,
            resolution=self.resolution,
            retries=self.retries,
        )

    def __post_init__(self) -> None:
        check_fields(self, UsageError)
        if self.max_rps < self.start_rps:
            raise UsageError(f"--max-rps ({self.max_rps:g}) must be >= --start-rps ({self.start_rps:g})")
        if not 0 < self.min_success_ratio <= 1:
            raise UsageError("the success ratio must be in (0, 1]")
        if self.json_out is not None and self.json_out.is_dir():
            raise UsageError(f"--json {self.json_out} is a directory; give a file name")
        self._check_cpus()

    def _check_cpus(self) -> None:
        if self.server_cpu == self.loadgen_cpu:
            raise UsageError("--server-cpu and --loadgen-cpu must differ: the generator needs its own core")
        available = sorted(os.sched_getaffinity(0))
        for name, cpu in (("--server-cpu", self.server_cpu), ("--loadgen-cpu", self.loadgen_cpu)):
            if cpu not in available:
                raise UsageError(f"{name} {cpu} is not a CPU this process may use (available: {available})")

    def load_config(
        self,
        *,
        url: str,
        mode: Mode,
        rate_rps: float = 0.0,
        connections: int = 0,
        server_pid: int | None = None,
    ) -> OpenLoopConfig:
        """One step's load: a chat completion judged against the configured latency, either at `rate_rps`
        (constant arrivals, the rate search; up to 4,000 requests in flight, beyond which the step drops
        and fails) or, with `connections` > 0, a closed loop over that many connections (the points)."""
        streaming = mode == "streaming"
        return OpenLoopConfig(
            url=url,
            rate_rps=rate_rps,
            connections=connections,
            warmup_s=self.timing.warmup_s,
            measure_s=self.timing.measure_s,
            json_body={
                "model": "fake-chat",
                "messages": [{"role": "user", "content": "Say something."}],
                "max_tokens": self.output_tokens,
                "stream": streaming,
            },
            headers={"Authorization": "Bearer perf"},
            count_tokens=streaming,
            expected=ExpectedLatency(
                ttft_ms=self.ttft_ms, itl_ms=self.itl_ms_for(mode), output_tokens=self.output_tokens
            ),
            max_outstanding=max(_MAX_OUTSTANDING, connections),
            server_pid=server_pid,
        )

    def itl_ms_for(self, mode: Mode) -> float:
        """Non-streaming uses no inter-token delay, so its whole configured latency is `ttft_ms`."""
        return self.itl_ms if mode == "streaming" else 0.0


OPTIONS = Options(PerfConfig, env_prefix="AWAITBENCH_PERF_", error=UsageError, docs="docs/perf.md")
