"""Named latency profiles, so a scenario says "a hosted small chat model" instead of ten numbers.

A preset is a flat mapping of setting names to values; it is the lowest layer of configuration
(preset < config file < env vars < explicit flags), so any single knob can still be overridden.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from fake_llm.errors import ConfigError

__all__ = ["PRESETS", "describe_presets", "preset_values"]

PRESETS: Mapping[str, Mapping[str, object]] = MappingProxyType(
    {
        # No latency at all: measures the server's own overhead.
        "instant": {"ttft_ms": 0.0, "itl_ms": 0.0, "output_tokens": 16},
        # A small, quick upstream (~50 ms for 16 tokens): the default.
        "fast": {"ttft_ms": 20.0, "itl_ms": 2.0, "output_tokens": 16},
        # Like a hosted small chat model: a few hundred ms to the first token, ~60 tokens/s, real network.
        "chat": {
            "ttft_ms": 350.0,
            "ttft_dist": "lognormal",
            "ttft_spread_ms": 100.0,
            "itl_ms": 15.0,
            "itl_dist": "normal",
            "itl_spread_ms": 3.0,
            "output_tokens": 120,
            "output_tokens_dist": "normal",
            "output_tokens_spread": 40.0,
            "prefill_ms_per_input_token": 0.02,
            "rtt_ms": 20.0,
            "handshake_ms": 60.0,
        },
        # A large reasoning-class model over a long network path.
        "slow": {
            "ttft_ms": 1500.0,
            "ttft_dist": "lognormal",
            "ttft_spread_ms": 500.0,
            "itl_ms": 40.0,
            "itl_dist": "normal",
            "itl_spread_ms": 8.0,
            "output_tokens": 300,
            "output_tokens_dist": "normal",
            "output_tokens_spread": 100.0,
            "prefill_ms_per_input_token": 0.1,
            "rtt_ms": 40.0,
            "handshake_ms": 120.0,
        },
    }
)


def preset_values(name: str) -> Mapping[str, object]:
    """The settings of preset `name`; ConfigError listing the valid names otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(
            f"unknown preset {name!r} (presets: {', '.join(PRESETS)}; see --list-presets)"
        ) from None


def describe_presets() -> str:
    """One line per preset, for `awaitbench fake-llm --list-presets`."""
    lines = []
    for name, values in PRESETS.items():
        knobs = " ".join(f"{key}={value}" for key, value in values.items())
        lines.append(f"{name:8} {knobs}")
    return "\n".join(lines)
