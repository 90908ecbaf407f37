"""The regression guard: fake_llm's CPU per request against the raw-ASGI ceiling's, each server's real
protocol and app as `awaitbench perf` configures them, fed through in-memory connections at saturation.

In-process, so a busy machine barely moves it (no sockets, no generator to share a core with; process CPU
time, not wall time); the servers take turns, and each one's lowest figure counts, since other work only
ever adds to it (caches it evicts). The margin is generous (`GUARD_MARGIN`): the real target, measured over
real sockets on a quiet machine, is `make perf`'s. The guard is there so that a feature that quietly adds
a sizeable share to every request is seen in the suite.
"""

from __future__ import annotations

import pytest

from bench.selfperf.config import MODES, Mode, PerfConfig, ServerKind
from bench.selfperf.in_process import InProcessLoad, measure

GUARD_MARGIN = 1.6
"""fake_llm may cost at most this many times the ceiling's CPU per request (`make perf` asks for 1.11)."""

_ROUNDS = 3
_ORDER: tuple[ServerKind, ServerKind] = ("ceiling", "fake_llm")


@pytest.mark.perf
@pytest.mark.parametrize("mode", MODES)
def test_fake_llm_costs_at_most_a_margin_over_the_ceiling(mode: Mode) -> None:
    perf = PerfConfig(sched="normal")
    load = InProcessLoad(connections=2000, warmup=2000, requests=6000 if mode == "non-streaming" else 3000)
    rounds = [
        tuple(measure(kind, mode, perf, load).cpu_us_per_request for kind in _ORDER) for _ in range(_ROUNDS)
    ]
    ceiling_us = min(c for c, _ in rounds)
    fake_llm_us = min(f for _, f in rounds)
    assert fake_llm_us <= GUARD_MARGIN * ceiling_us, (
        f"fake_llm costs {fake_llm_us:.0f} µs of CPU per request in-process at saturation ({mode}), the "
        f"ceiling {ceiling_us:.0f} µs: {fake_llm_us / ceiling_us:.2f}x, over the {GUARD_MARGIN}x guard "
        f"(rounds, ceiling / fake_llm µs: {rounds}); profile the hot path (docs/perf.md) before merging"
    )
