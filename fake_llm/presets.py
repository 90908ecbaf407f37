"""Named latency profiles, so a scenario says "a hosted small chat model" instead of ten numbers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from fake_llm.errors import ConfigError
from fake_llm.settings import SettingValue, check_settings, config_from_settings

__all__ = ["PRESETS", "Preset", "describe_presets", "preset_values"]


@dataclass(frozen=True, kw_only=True)
class Preset:
    """A named profile: setting name -> typed value (validated in `__post_init__`).

    Raises:
        ConfigError: an unknown setting, a value of the wrong type or out of range.
    """

    name: str
    settings: Mapping[str, SettingValue]

    def __post_init__(self) -> None:
        checked = check_settings(self.settings, origin=f"preset {self.name}")
        config_from_settings(checked)  # ranges, e.g. a negative latency
        object.__setattr__(self, "settings", checked)


def _presets(*presets: Preset) -> Mapping[str, Preset]:
    return MappingProxyType({preset.name: preset for preset in presets})


PRESETS: Mapping[str, Preset] = _presets(
    # No latency at all: measures the server's own overhead.
    Preset(name="instant", settings={"ttft_ms": 0.0, "itl_ms": 0.0, "output_tokens": 16}),
    # A small, quick upstream (~50 ms for 16 tokens): the default.
    Preset(name="fast", settings={"ttft_ms": 20.0, "itl_ms": 2.0, "output_tokens": 16}),
    # Like a hosted small chat model: a few hundred ms to the first token, ~60 tokens/s, real network.
    Preset(
        name="chat",
        settings={
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
    ),
    # A provider that slows down as it fills (the load model): 1x latency alone, 3x at 64 requests in
    # service, and a queue beyond that.
    Preset(
        name="busy",
        settings={
            "ttft_ms": 200.0,
            "itl_ms": 10.0,
            "output_tokens": 64,
            "max_concurrency": 64,
            "load_factor": 3.0,
        },
    ),
    # A large reasoning-class model over a long network path.
    Preset(
        name="slow",
        settings={
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
    ),
)


def preset_values(name: str) -> Mapping[str, SettingValue]:
    """The settings of preset `name`; ConfigError listing the valid names otherwise."""
    try:
        return PRESETS[name].settings
    except KeyError:
        raise ConfigError(
            f"unknown preset {name!r} (presets: {', '.join(PRESETS)}; see --list-presets)"
        ) from None


def describe_presets() -> str:
    """One line per preset, for `--list-presets`."""
    lines = []
    for name, preset in PRESETS.items():
        knobs = " ".join(f"{key}={value}" for key, value in preset.settings.items())
        lines.append(f"{name:8} {knobs}")
    return "\n".join(lines)
