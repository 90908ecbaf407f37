"""fake_llm's settings: every field of `FakeLLMConfig` as a flag, TOML key, env var and typed value.

Other code passes typed values by name (`fake_llm.launch.fake_llm_argv`, presets, scenario upstream
profiles); all of them are checked here against one table, so they can never disagree about names or types.
"""

from __future__ import annotations

from collections.abc import Mapping

from awaitbench.options import Options, Spec
from fake_llm.config import FakeLLMConfig
from fake_llm.errors import ConfigError

__all__ = [
    "DEFAULT_PRESET",
    "ENV_PREFIX",
    "OPTIONS",
    "SETTINGS",
    "SettingValue",
    "check_settings",
    "config_from_settings",
]

ENV_PREFIX = "AWAITBENCH_FAKE_LLM_"
DEFAULT_PRESET = "fast"
OPTIONS = Options(FakeLLMConfig, env_prefix=ENV_PREFIX, error=ConfigError, docs="docs/fake_llm.md", toml=True)
SETTINGS: Mapping[str, Spec] = OPTIONS.specs

SettingValue = bool | int | float | str
"""The type of one setting's value: the type of its default in the config dataclasses."""


def check_settings(values: Mapping[str, object], *, origin: str) -> Mapping[str, SettingValue]:
    """Typed values by setting name, checked against `SETTINGS`; a read-only copy (ints widened to float).

    Args:
        values: setting name -> value of the setting's type (e.g. `{"ttft_ms": 100.0, "hang_rate": 0.1}`).
        origin: where the values come from, for the error message (e.g. "scenario timeouts").

    Raises:
        ConfigError: an unknown name, a value of the wrong type or outside the setting's choices. Ranges
            are checked when a config is built (`config_from_settings`).
    """
    return OPTIONS.typed(values, origin=origin)


def config_from_settings(values: Mapping[str, SettingValue]) -> FakeLLMConfig:
    """The validated config: defaults, with `values` (already typed, see `check_settings`) on top.

    Raises:
        ConfigError: a value out of range (the message names the flag).
    """
    return OPTIONS.build(values)
