"""Configuration layering and validation (pure logic, in-process)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TypedDict

import pytest

from fake_llm.cli import load_config
from fake_llm.config import FakeLLMConfig, LatencyConfig
from fake_llm.errors import ConfigError
from fake_llm.presets import PRESETS, Preset
from fake_llm.settings import SETTINGS, SettingValue, check_settings, config_from_settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "fake_llm.md"


def test_every_setting_has_help_and_a_unique_flag() -> None:
    assert len({s.flag for s in SETTINGS.values()}) == len(SETTINGS)
    assert all(s.help for s in SETTINGS.values())
    for name in ("ttft_ms", "itl_ms", "output_tokens", "seed", "max_concurrency", "queue_limit", "rpm", "tpm",
                 "error_rate_429", "error_rate_500", "error_rate_503", "hang_rate", "rtt_ms", "handshake_ms",
                 "tls"):  # fmt: skip
        assert name in SETTINGS, name


def test_presets_are_valid_and_include_the_required_ones() -> None:
    assert {"instant", "fast", "chat", "slow"} <= set(PRESETS)
    for name in PRESETS:
        load_config(flags={"preset": name})


def test_precedence_preset_file_env_flags(tmp_path: Path) -> None:
    config_file = tmp_path / "fake.toml"
    config_file.write_text('preset = "chat"\nttft_ms = 11\nitl_ms = 12\n[capacity]\nrpm = 13\n')
    env = {"AWAITBENCH_FAKE_LLM_ITL_MS": "22", "AWAITBENCH_FAKE_LLM_RPM": "23", "HOME": "/x"}
    config = load_config(flags={"rpm": "33"}, env=env, config_file=config_file)
    assert config.latency.ttft_ms == 11  # file over preset
    assert config.latency.itl_ms == 22  # env over file
    assert config.capacity.rpm == 33  # flag over env
    assert config.network.rtt_ms == PRESETS["chat"].settings["rtt_ms"]  # preset where nothing overrides
    assert load_config(flags={"preset": "instant"}, config_file=config_file).latency.itl_ms == 12


def test_config_file_named_by_env(tmp_path: Path) -> None:
    config_file = tmp_path / "fake.toml"
    config_file.write_text("[latency]\nttft-ms = 5.5\n")
    config = load_config(env={"AWAITBENCH_FAKE_LLM_CONFIG": str(config_file)})
    assert config.latency.ttft_ms == 5.5


class _Layers(TypedDict, total=False):
    """`load_config`'s keyword arguments."""

    flags: Mapping[str, object]
    env: Mapping[str, str]
    config_file: Path


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"flags": {"ttft_ms": "abc"}}, "--ttft-ms"),
        ({"flags": {"ttft_ms": "-1"}}, "--ttft-ms must be >= 0"),
        ({"flags": {"output_tokens": "2.5"}}, "--output-tokens"),
        ({"flags": {"ttft_dist": "gamma"}}, "constant, uniform, normal, lognormal"),
        ({"flags": {"preset": "turbo"}}, "unknown preset 'turbo'"),
        ({"flags": {"hang_rate": "1.5"}}, "--hang-rate must be a probability"),
        ({"flags": {"error_rate_500": "0.6", "error_rate_503": "0.6"}}, "must not exceed 1"),
        ({"flags": {"fault_window_s": "5"}}, "START-END"),
        ({"flags": {"fault_window_s": "9-3"}}, "START < END"),
        ({"env": {"AWAITBENCH_FAKE_LLM_TTFT": "3"}}, "unknown setting 'ttft'"),
        ({"env": {"AWAITBENCH_FAKE_LLM_TLS": "maybe"}}, "true or false"),
        ({"config_file": Path("/nonexistent/fake.toml")}, "no such file"),
    ],
)
def test_bad_settings_name_the_setting(kwargs: _Layers, needle: str) -> None:
    with pytest.raises(ConfigError, match=None) as info:
        load_config(**kwargs)
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


def test_bad_toml_and_unknown_keys(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("ttft_ms = = 3")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(config_file=bad)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("ttft = 3")
    with pytest.raises(ConfigError, match="unknown setting 'ttft' in config file"):
        load_config(config_file=unknown)
    wrong_type = tmp_path / "wrong.toml"
    wrong_type.write_text("output_tokens = 2.5")
    with pytest.raises(ConfigError, match="whole number"):
        load_config(config_file=wrong_type)


def test_direct_construction_validates() -> None:
    with pytest.raises(ConfigError, match="--output-tokens must be >= 1"):
        FakeLLMConfig(latency=LatencyConfig(output_tokens=0))


def test_docs_settings_table_has_a_row_per_setting() -> None:
    # The table is generated from SETTINGS (`python scripts/docs_tables.py`; tests/test_docs_tables.py
    # checks it is current); each setting's row names it, its env var and its meaning.
    docs = DOCS.read_text(encoding="utf-8")
    table = docs.split("<!-- generated: fake-llm-settings -->", 1)[1].split("<!-- /generated -->", 1)[0]
    for setting in SETTINGS.values():
        row = next(line for line in table.splitlines() if line.startswith(f"| `{setting.flag}`"))
        assert setting.env_var is not None
        for cell in (setting.name, setting.env_var, setting.help.split(" (")[0]):
            assert cell in row, (setting.name, cell)


def test_every_preset_value_is_a_setting_of_its_type() -> None:
    for preset in PRESETS.values():
        for name, value in preset.settings.items():
            assert name in SETTINGS, (preset.name, name)
            assert type(value) is SETTINGS[name].kind, (preset.name, name, value)


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ({"ttft": 3.0}, "unknown setting 'ttft' in preset broken"),
        ({"ttft_ms": "3"}, "setting ttft_ms (preset broken) must be a number, not '3'"),
        ({"output_tokens": 2.0}, "setting output_tokens (preset broken) must be a whole number"),
        ({"tls": 1}, "setting tls (preset broken) must be true or false"),
        ({"ttft_dist": "gamma"}, "must be one of constant, uniform, normal, lognormal"),
        ({"ttft_ms": -1.0}, "--ttft-ms must be >= 0"),
    ],
)
def test_a_preset_is_checked_when_defined(settings: dict[str, SettingValue], needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        Preset(name="broken", settings=settings)
    assert needle in str(info.value)


def test_typed_settings_widen_ints_for_floats_and_are_read_only() -> None:
    checked = check_settings({"ttft_ms": 5, "seed": 3}, origin="test")
    assert checked == {"ttft_ms": 5.0, "seed": 3} and isinstance(checked["ttft_ms"], float)
    assert isinstance(checked, MappingProxyType)  # read-only: a preset or profile cannot be changed later
    assert config_from_settings(checked).latency.ttft_ms == 5.0


FLOAT_SETTINGS = sorted(name for name, setting in SETTINGS.items() if setting.kind is float)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
@pytest.mark.parametrize("origin", ["flag", "env", "toml"])
def test_non_finite_numbers_are_refused_for_every_float_setting(
    tmp_path: Path, origin: str, value: str
) -> None:
    assert FLOAT_SETTINGS, "no float settings found"
    for name in FLOAT_SETTINGS:
        flag = SETTINGS[name].flag
        with pytest.raises(ConfigError, match=f"^{flag} .*finite"):
            if origin == "flag":
                load_config(flags={name: value})
            elif origin == "env":
                env_var = SETTINGS[name].env_var
                assert env_var is not None
                load_config(env={env_var: value})
            else:
                config_file = tmp_path / "fake.toml"
                config_file.write_text(f"{name} = {value}\n")  # TOML has nan and inf literals
                load_config(config_file=config_file)


def test_a_fault_window_must_be_finite() -> None:
    with pytest.raises(ConfigError, match="--fault-window-s needs finite"):
        load_config(flags={"fault_window_s": "1-inf"})


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        ({"max_output_tokens": "0"}, "--max-output-tokens must be >= 1"),
        (
            {"output_tokens": "500", "max_output_tokens": "100"},
            "--output-tokens must be <= --max-output-tokens",
        ),
        ({"max_embedding_inputs": "0"}, "--max-embedding-inputs must be >= 1"),
        ({"max_embedding_input_tokens": "-1"}, "--max-embedding-input-tokens must be >= 1"),
        ({"max_body_bytes": "10"}, "--max-body-bytes must be >= 1024"),
        ({"max_header_bytes": "10"}, "--max-header-bytes must be >= 1024"),
        ({"max_json_depth": "1"}, "--max-json-depth must be between 2 and 500"),
        ({"max_json_depth": "5000"}, "--max-json-depth must be between 2 and 500"),
        ({"parse_cache_bytes": "-1"}, "--parse-cache-bytes must be >= 0"),
        ({"header_timeout_s": "0"}, "--header-timeout-s must be > 0"),
        ({"allowed_origins": "evil.example"}, "--allowed-origins entries must look like"),
        ({"allowed_origins": "https://app.example/path"}, "--allowed-origins entries must look like"),
        ({"host": " "}, "--host must not be empty"),
    ],
)
def test_limits_are_validated(flags: dict[str, object], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        load_config(flags=flags)


def test_allowed_origins_are_normalised() -> None:
    config = load_config(flags={"allowed_origins": " HTTPS://App.Example/ , * "})
    assert config.limits.origins() == frozenset({"https://app.example", "*"})


def test_docs_explain_every_limit() -> None:
    section = DOCS.read_text().split("## Limits and security", 1)[1].split("\n## ", 1)[0]
    limits = [setting for setting in SETTINGS.values() if setting.section == "limits"]
    assert limits
    for setting in limits:
        assert f"`{setting.flag}" in section, (
            f"docs/fake_llm.md 'Limits and security' does not explain {setting.flag}"
        )
