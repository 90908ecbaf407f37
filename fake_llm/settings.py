"""The flat list of fake_llm's settings, generated from the `FakeLLMConfig` dataclasses, and typed values.

Every setting is a CLI flag, a TOML key and an env var (`fake_llm.cli`, `fake_llm.layers`) and a typed
value other code can pass (`fake_llm.launch.fake_llm_argv`, presets, scenario upstream profiles); all of
them are checked here against one table, so they can never disagree about names or types.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from fake_llm.config import FakeLLMConfig
from fake_llm.errors import ConfigError

__all__ = [
    "DEFAULT_PRESET",
    "ENV_PREFIX",
    "SECTIONS",
    "SETTINGS",
    "Setting",
    "SettingValue",
    "check_settings",
    "config_from_settings",
]

ENV_PREFIX = "AWAITBENCH_FAKE_LLM_"
DEFAULT_PRESET = "fast"
SECTIONS: tuple[str, ...] = ("server", "latency", "network", "capacity", "faults", "limits")

SettingValue = bool | int | float | str
"""The type of one setting's value: the type of its default in the config dataclasses."""


@dataclass(frozen=True, kw_only=True)
class Setting:
    """One knob: its config section, flat name, default (which also fixes its type) and help."""

    section: str
    name: str
    default: SettingValue
    help: str
    choices: tuple[str, ...] | None

    @property
    def kind(self) -> type[SettingValue]:
        """bool, int, float or str."""
        return type(self.default)

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.name.upper()


def _collect() -> Mapping[str, Setting]:
    defaults = FakeLLMConfig()
    found: dict[str, Setting] = {}
    for section in SECTIONS:
        for f in dataclasses.fields(getattr(defaults, section)):
            found[f.name] = Setting(
                section=section,
                name=f.name,
                default=getattr(getattr(defaults, section), f.name),
                help=f.metadata["help"],
                choices=f.metadata.get("choices"),
            )
    return MappingProxyType(found)


SETTINGS: Mapping[str, Setting] = _collect()

_KIND_NAMES: Mapping[type, str] = {
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    str: "a string",
}


def _typed(setting: Setting, value: object, origin: str) -> SettingValue:
    """`value` as the setting's type: an int is widened for a float setting; a bool is never a number."""
    kind = setting.kind
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, bool | int | float | str) or type(value) is not kind:
        raise ConfigError(
            f"setting {setting.name} ({origin}) must be {_KIND_NAMES[kind]}, not {value!r} "
            f"({type(value).__name__}); see '{setting.flag}' in docs/fake_llm.md"
        )
    if setting.choices is not None and value not in setting.choices:
        raise ConfigError(
            f"setting {setting.name} ({origin}) must be one of {', '.join(setting.choices)}, not {value!r}"
        )
    return value


def check_settings(values: Mapping[str, object], *, origin: str) -> Mapping[str, SettingValue]:
    """Typed values by setting name, checked against `SETTINGS`; a read-only copy (ints widened to float).

    Args:
        values: setting name -> value of the setting's type (e.g. `{"ttft_ms": 100.0, "hang_rate": 0.1}`).
        origin: where the values come from, for the error message (e.g. "scenario timeouts").

    Raises:
        ConfigError: an unknown name (the message lists how to find the names), a value of the wrong type
            or outside the setting's choices. Ranges are checked when a config is built
            (`config_from_settings`).
    """
    checked: dict[str, SettingValue] = {}
    for name, value in values.items():
        setting = SETTINGS.get(name)
        if setting is None:
            raise ConfigError(
                f"unknown setting {name!r} in {origin}; settings are the flags of "
                "'python -m fake_llm --help' with underscores (e.g. ttft_ms)"
            )
        checked[name] = _typed(setting, value, origin)
    return MappingProxyType(checked)


def config_from_settings(values: Mapping[str, SettingValue]) -> FakeLLMConfig:
    """The validated config: defaults, with `values` (already typed, see `check_settings`) on top.

    Raises:
        ConfigError: a value out of range (the message names the flag).
    """
    sections: dict[str, dict[str, SettingValue]] = {section: {} for section in SECTIONS}
    for name, value in values.items():
        sections[SETTINGS[name].section][name] = value
    defaults = FakeLLMConfig()
    return FakeLLMConfig(
        **{
            section: dataclasses.replace(getattr(defaults, section), **section_values)
            for section, section_values in sections.items()
        }
    )
