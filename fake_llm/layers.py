"""Layered settings: preset < config file (TOML) < `AWAITBENCH_FAKE_LLM_*` env vars < explicit flags.

Names and types come from `fake_llm.settings.SETTINGS`, so the CLI, the config file and the environment can
never disagree about them. Flag and env values arrive as strings and are parsed here; every bad value raises
ConfigError with the setting's name, where it came from and the fix.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from fake_llm.config import FakeLLMConfig
from fake_llm.errors import ConfigError
from fake_llm.presets import preset_values
from fake_llm.settings import (
    DEFAULT_PRESET,
    ENV_PREFIX,
    SECTIONS,
    SETTINGS,
    Setting,
    SettingValue,
    config_from_settings,
)

__all__ = ["load_config"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _convert(setting: Setting, value: object, origin: str) -> SettingValue:
    """Coerce a flag/env string or a TOML value to the setting's type."""
    kind = setting.kind
    where = f"{setting.flag} ({origin})"
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise ConfigError(f"{where} must be true or false, not {value!r}")
    if kind is int:
        if isinstance(value, bool | float):
            raise ConfigError(f"{where} must be a whole number, not {value!r}")
        try:
            return int(str(value).strip())
        except ValueError:
            raise ConfigError(f"{where} must be a whole number, not {value!r}") from None
    if kind is float:
        if isinstance(value, bool):
            raise ConfigError(f"{where} must be a number, not {value!r}")
        try:
            return float(str(value).strip())
        except ValueError:
            raise ConfigError(f"{where} must be a number, not {value!r}") from None
    return str(value)


def _read_file(path: Path) -> dict[str, object]:
    """Flat keys (`ttft_ms = 50`) or section tables (`[latency]`); dashes or underscores."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"--config {path}: no such file; pass an existing TOML file") from None
    except OSError as exc:
        raise ConfigError(f"--config {path}: cannot read it ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"--config {path}: not valid TOML ({exc})") from None
    flat: dict[str, object] = {}
    for key, value in data.items():
        items = list(value.items()) if key in SECTIONS and isinstance(value, dict) else [(key, value)]
        for sub_key, sub_value in items:
            flat[sub_key.replace("-", "_")] = sub_value
    return flat


def _checked_name(name: str, origin: str) -> str:
    if name != "preset" and name not in SETTINGS:
        raise ConfigError(f"unknown setting {name!r} in {origin}; see 'awaitbench fake-llm --help' for names")
    return name


def _env_layer(env: Mapping[str, str]) -> tuple[dict[str, object], str | None]:
    """The `AWAITBENCH_FAKE_LLM_*` values by setting name, and the config file the env names (if any)."""
    values: dict[str, object] = {}
    config_file: str | None = None
    for key, value in env.items():
        if not key.startswith(ENV_PREFIX):
            continue
        name = key[len(ENV_PREFIX) :].lower()
        if name == "config":
            config_file = value
            continue
        values[_checked_name(name, f"env var {key}")] = value
    return values, config_file


def load_config(
    *,
    flags: Mapping[str, object] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> FakeLLMConfig:
    """Build the validated config from the layers (each optional).

    Args:
        flags: explicit values keyed by setting name (plus "preset"); strings are parsed.
        env: an environment mapping; only `AWAITBENCH_FAKE_LLM_*` keys are read (the config file may also
            be named by `AWAITBENCH_FAKE_LLM_CONFIG`).
        config_file: a TOML file with setting names as keys.

    Raises:
        ConfigError: an unknown name, a value of the wrong type, or a value out of range.
    """
    flags = dict(flags or {})
    env_values, env_file = _env_layer(env or {})
    if config_file is None and env_file:
        config_file = Path(env_file)
    file_values: dict[str, object] = {}
    if config_file is not None:
        for name, value in _read_file(config_file).items():
            file_values[_checked_name(name, f"config file {config_file}")] = value
    for name in flags:
        _checked_name(name, "flags")

    preset = flags.get("preset") or env_values.get("preset") or file_values.get("preset") or DEFAULT_PRESET
    layers: list[tuple[Mapping[str, object], str]] = [
        (preset_values(str(preset)), f"preset {preset}"),
        (file_values, f"config file {config_file}"),
        (env_values, "env"),
        (flags, "flag"),
    ]
    merged: dict[str, SettingValue] = {}
    for values, origin in layers:
        for name, value in values.items():
            if name != "preset":
                merged[name] = _convert(SETTINGS[name], value, origin)
    return config_from_settings(merged)
