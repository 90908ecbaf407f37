"""Which fault, if any, a request gets: a header override, then the exact schedules, then the rates.

Schedules count API requests in arrival order from server start (1-based), so a retry test can say
"the first 2 calls fail with 503" and get exactly that.
"""

from __future__ import annotations

import random
import time

from fake_llm.config import FAULT_KINDS, FaultConfig, FaultKind

__all__ = ["FaultPicker", "parse_fault"]


def parse_fault(value: str) -> FaultKind | None:
    """A fault name from the `x-fake-fault` header; None for "none"/empty; ValueError if unknown."""
    value = value.strip().lower()
    if value in ("", "none"):
        return None
    for kind in FAULT_KINDS:
        if kind == value:
            return kind
    raise ValueError(f"x-fake-fault must be one of {', '.join(FAULT_KINDS)} or none, not {value!r}")


class FaultPicker:
    """Decides faults for a stream of requests; seeded, so a run can be repeated exactly."""

    def __init__(self, config: FaultConfig, *, seed: int) -> None:
        self._config = config
        self._rng = random.Random(seed ^ 0x5EED_FA17)
        self._started = time.monotonic()
        self._sequence = 0
        self._window = config.window()
        rates: tuple[tuple[float, FaultKind], ...] = (
            (config.error_rate_429, "429"),
            (config.error_rate_500, "500"),
            (config.error_rate_503, "503"),
            (config.error_rate_529, "529"),
            (config.hang_rate, "hang"),
            (config.disconnect_rate, "disconnect"),
            (config.trickle_rate, "trickle"),
        )
        self._rates = [(rate, kind) for rate, kind in rates if rate > 0]
        # False when no schedule or rate is set (the usual case): callers skip `pick` altogether.
        self.enabled = bool(config.fault_first_n or config.fault_every_k or self._window or self._rates)

    def pick(self) -> FaultKind | None:
        """The fault for the next API request (call once per request, in arrival order)."""
        self._sequence += 1
        cfg = self._config
        if cfg.fault_first_n and self._sequence <= cfg.fault_first_n:
            return cfg.fault_kind
        if cfg.fault_every_k and self._sequence % cfg.fault_every_k == 0:
            return cfg.fault_kind
        if self._window is not None:
            elapsed = time.monotonic() - self._started
            if self._window[0] <= elapsed < self._window[1]:
                return cfg.fault_kind
        if self._rates:
            draw = self._rng.random()
            for rate, kind in self._rates:
                if draw < rate:
                    return kind
                draw -= rate
        return None
