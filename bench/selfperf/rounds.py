"""The paired saturation rounds of a perf run: per mode, `rounds` rounds of the ceiling then fake_llm over
`saturation_connections` closed-loop connections, each step a fresh server; `round_report` judges them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.selfperf.config import Mode, PerfConfig, ServerKind
from bench.selfperf.step import run_step

__all__ = ["ROUND_ORDER", "RoundCallback", "RoundRecord", "run_rounds"]

ROUND_ORDER: tuple[ServerKind, ServerKind] = ("ceiling", "fake_llm")
RoundCallback = Callable[[ServerKind, Mode, int, dict[str, Any]], None]


@dataclass(frozen=True, kw_only=True)
class RoundRecord:
    """One round: the two servers' figures at saturation, measured back to back."""

    mode: Mode
    index: int
    connections: int
    ceiling: dict[str, Any]
    fake_llm: dict[str, Any]


def run_rounds(
    config: PerfConfig, *, work_dir: Path, on_step: RoundCallback | None = None
) -> list[RoundRecord]:
    """`config.rounds` paired rounds per mode (none unless both servers are measured)."""
    records: list[RoundRecord] = []
    if set(config.servers) != set(ROUND_ORDER):
        return records
    connections = config.saturation_connections
    for mode in config.modes:
        for index in range(1, config.rounds + 1):
            figures: dict[ServerKind, dict[str, Any]] = {}
            for kind in ROUND_ORDER:
                figures[kind] = run_step(
                    kind, mode, config=config, work_dir=work_dir, connections=connections
                )
                if on_step is not None:
                    on_step(kind, mode, index, figures[kind])
            records.append(
                RoundRecord(
                    mode=mode,
                    index=index,
                    connections=connections,
                    ceiling=figures["ceiling"],
                    fake_llm=figures["fake_llm"],
                )
            )
    return records
