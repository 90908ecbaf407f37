"""The saturation rounds judged: each round valid or not (and why), and per mode the headline, the ratio of
CPU per request (the ceiling's over fake_llm's) with its spread, conclusive only when every round is valid."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.selfperf.config import Mode, PerfConfig
from bench.selfperf.points import closed_loop_notes
from bench.selfperf.rounds import ROUND_ORDER, RoundRecord

__all__ = [
    "LOAD_AVERAGE_LIMIT",
    "MAX_OTHER_WORK",
    "MIN_CORE_SHARE",
    "SATURATION_TARGET",
    "RoundVerdict",
    "SaturationSummary",
    "judge_round",
    "render_rounds",
    "rounds_json",
    "summarise",
]

SATURATION_TARGET = 0.9
"""fake_llm's CPU per request may be at most 1 / 0.9 times the ceiling's."""
MIN_CORE_SHARE = 0.9
"""A server that used less of its core than this was not the bottleneck: its round says nothing."""
MAX_OTHER_WORK = 0.1
"""Other processes may take at most this share of the server's or the generator's core during a window."""
LOAD_AVERAGE_LIMIT = 3.0
"""A round keeps two processes runnable (the server and the generator); a 1-minute load average above
this means other work ran on the machine too."""

_CORE_NAMES = {"server_core": "server's", "loadgen_core": "generator's"}


@dataclass(frozen=True, kw_only=True)
class RoundVerdict:
    """One round judged: `cost_ratio` is the ceiling's CPU per request over fake_llm's (higher is better
    for fake_llm, as a throughput ratio); `problems` are why the round is invalid (none when valid)."""

    mode: Mode
    index: int
    ceiling_us_per_request: float | None
    fake_llm_us_per_request: float | None
    cost_ratio: float | None
    throughput_ratio: float | None
    core_share: dict[str, float | None]
    load_average_1m: float
    problems: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return not self.problems and self.cost_ratio is not None


@dataclass(frozen=True, kw_only=True)
class SaturationSummary:
    """A mode's rounds: the median cost ratio over the valid ones and its range; `conclusive` only when
    every round was valid; `meets_target` None when inconclusive."""

    mode: Mode
    rounds: int
    valid_rounds: int
    median_ratio: float | None
    min_ratio: float | None
    max_ratio: float | None
    conclusive: bool
    meets_target: bool | None


def _step_problems(server: str, figures: dict[str, Any]) -> list[str]:
    """What makes one server's step of a round untrustworthy, each reason in a few words."""
    problems = closed_loop_notes(figures)
    share = figures.get("server_cpu_util")
    if share is None or share < MIN_CORE_SHARE:
        problems.append(f"used {'?' if share is None else f'{share:.0%}'} of its core")
    other = figures.get("other_cpu_util") or {}
    taken = [f"{used:.0%} of the {_CORE_NAMES[core]} core" for core, used in sorted(other.items())
             if used > MAX_OTHER_WORK]  # fmt: skip
    if taken:
        problems.append("other work took " + " and ".join(taken))
    load = figures.get("load_average_1m", 0.0)
    if load > LOAD_AVERAGE_LIMIT:
        problems.append(f"load average {load:.1f}")
    return [f"{server} {'; '.join(problems)}"] if problems else []


def judge_round(record: RoundRecord) -> RoundVerdict:
    """Valid when both servers used at least `MIN_CORE_SHARE` of their core with no failed requests, the
    generator kept up, and nothing else ran (other work on the pinned cores, the load average)."""
    c, f = record.ceiling, record.fake_llm
    problems = [p for server in ROUND_ORDER for p in _step_problems(server, getattr(record, server))]
    c_us, f_us = c.get("server_cpu_us_per_request"), f.get("server_cpu_us_per_request")
    cost = round(c_us / f_us, 3) if c_us and f_us else None
    rps = round(f["achieved_rps"] / c["achieved_rps"], 3) if c["achieved_rps"] else None
    return RoundVerdict(
        mode=record.mode,
        index=record.index,
        ceiling_us_per_request=c_us,
        fake_llm_us_per_request=f_us,
        cost_ratio=cost,
        throughput_ratio=rps,
        core_share={"ceiling": c.get("server_cpu_util"), "fake_llm": f.get("server_cpu_util")},
        load_average_1m=max(c.get("load_average_1m", 0.0), f.get("load_average_1m", 0.0)),
        problems=tuple(problems),
    )


def summarise(verdicts: list[RoundVerdict], mode: Mode) -> SaturationSummary:
    """The headline of `mode`'s rounds."""
    mine = [v for v in verdicts if v.mode == mode]
    ratios = [v.cost_ratio for v in mine if v.valid and v.cost_ratio is not None]
    conclusive = bool(mine) and len(ratios) == len(mine)
    median = round(statistics.median(ratios), 3) if ratios else None
    return SaturationSummary(
        mode=mode,
        rounds=len(mine),
        valid_rounds=len(ratios),
        median_ratio=median,
        min_ratio=min(ratios) if ratios else None,
        max_ratio=max(ratios) if ratios else None,
        conclusive=conclusive,
        meets_target=None if not conclusive or median is None else median >= SATURATION_TARGET,
    )


def rounds_json(records: list[RoundRecord], config: PerfConfig) -> dict[str, Any]:
    """The `saturation` part of the perf document: thresholds, summaries, verdicts and raw figures."""
    verdicts = [judge_round(r) for r in records]
    return {
        "target_ratio": SATURATION_TARGET,
        "min_core_share": MIN_CORE_SHARE,
        "max_other_work": MAX_OTHER_WORK,
        "load_average_limit": LOAD_AVERAGE_LIMIT,
        "summaries": [asdict(summarise(verdicts, mode)) for mode in config.modes if records],
        "verdicts": [{**asdict(v), "valid": v.valid} for v in verdicts],
        "records": [asdict(r) for r in records],
    }


def _ratio_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def _us(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def render_rounds(console: Console, *, records: list[RoundRecord], config: PerfConfig) -> None:
    """Print every round, then each mode's headline with its spread and verdict."""
    if not records:
        return
    verdicts = [judge_round(r) for r in records]
    table = Table(title=f"Saturation, {config.saturation_connections} closed-loop connections: "
                  "server CPU µs per request, rounds taken in turn")  # fmt: skip
    for column in ("mode", "round", "ceiling", "fake_llm", "cost ratio", "req/s ratio", "core use", "load"):
        table.add_column(column, justify="left" if column == "mode" else "right")
    table.add_column("validity")
    for v in verdicts:
        shares = " / ".join("?" if s is None else f"{s:.0%}" for s in v.core_share.values())
        validity = "[green]valid[/]" if v.valid else "[red]invalid[/]: " + "; ".join(v.problems)
        table.add_row(v.mode, str(v.index), _us(v.ceiling_us_per_request), _us(v.fake_llm_us_per_request),
                      _ratio_text(v.cost_ratio), _ratio_text(v.throughput_ratio), shares,
                      f"{v.load_average_1m:.1f}", validity)  # fmt: skip
    console.print(table)
    summary = Table(
        title=f"fake_llm / raw-ASGI ceiling at saturation: CPU-cost ratio (target ≥ {SATURATION_TARGET:g}x)"
    )
    for column in ("mode", "median", "range", "valid rounds", "verdict"):
        summary.add_column(column, justify="left" if column in ("mode", "verdict") else "right")
    for mode in config.modes:
        s = summarise(verdicts, mode)
        if not s.rounds:
            continue
        spread = "—" if s.min_ratio is None else f"{s.min_ratio:.2f}–{s.max_ratio:.2f}x"
        verdict = {True: "[green]met[/]", False: "[red]NOT met[/]", None: "[yellow]inconclusive[/]"}
        summary.add_row(mode, _ratio_text(s.median_ratio), spread, f"{s.valid_rounds} of {s.rounds}",
                        verdict[s.meets_target])  # fmt: skip
    console.print(summary)
