"""The argv builder: typed settings -> `python -m fake_llm` argv -> fake_llm's own parser -> the same config.

Pure logic (no process): the argv is parsed by the very parser `python -m fake_llm` uses, which is what the
bench's child process does with it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

import pytest

from fake_llm.cli import build_parser, flag_settings, load_config
from fake_llm.config import FakeLLMConfig
from fake_llm.errors import ConfigError
from fake_llm.launch import fake_llm_argv, setting_args
from fake_llm.presets import PRESETS
from fake_llm.settings import SETTINGS, SettingValue, check_settings, config_from_settings

# A value other than the default for every setting (a new setting must be added here), chosen to be
# awkward on a command line: negative numbers, a float that `:g` would round, a string starting with "-",
# a boolean switched off.
EVERY_SETTING: Mapping[str, SettingValue] = {
    "loop": "asyncio",
    "http": "h11",
    "seed": 42,
    "models": "-odd-name,fake-chat",
    "timeout_graceful_shutdown_s": 0.25,
    "keep_alive_s": 5,
    "ttft_ms": 0.1 + 0.2,
    "ttft_dist": "lognormal",
    "ttft_spread_ms": 1e-05,
    "itl_ms": 3.5,
    "itl_dist": "uniform",
    "itl_spread_ms": 0.5,
    "output_tokens": 7,
    "output_tokens_dist": "normal",
    "output_tokens_spread": 2.0,
    "honour_max_tokens": False,
    "prefill_ms_per_input_token": 0.02,
    "rtt_ms": 4.0,
    "handshake_ms": 9.0,
    "tls": True,
    "tls_dir": "/tmp/fake llm tls",
    "max_concurrency": 3,
    "queue_limit": 0,
    "rpm": 600,
    "tpm": 90000,
    "load_factor": 2.5,
    "load_capacity": 8,
    "error_rate_429": 0.1,
    "error_rate_500": 0.05,
    "error_rate_503": 0.05,
    "error_rate_529": 0.05,
    "hang_rate": 0.1,
    "disconnect_rate": 0.1,
    "trickle_rate": 0.1,
    "trickle_ms": 15.0,
    "retry_after_ms": 50,
    "fault_kind": "hang",
    "fault_first_n": 2,
    "fault_every_k": 4,
    "fault_window_s": "1.5-3",
    "max_output_tokens": 4096,
    "max_embedding_inputs": 16,
    "max_embedding_input_tokens": 512,
    "max_body_bytes": 65536,
    "max_header_bytes": 8192,
    "max_json_depth": 9,
    "parse_cache_bytes": 0,
    "header_timeout_s": 0.75,
    "allowed_origins": "https://app.example,http://dev.example:3000",
}


def _parsed(argv: list[str]) -> FakeLLMConfig:
    assert argv[:3] == [sys.executable, "-m", "fake_llm"]
    return load_config(flags=flag_settings(build_parser().parse_args(argv[3:])))


def test_every_setting_round_trips_exactly() -> None:
    assert set(EVERY_SETTING) == set(SETTINGS) - {"host", "port"}, "give the new setting a value above"
    argv = fake_llm_argv(host="127.0.0.1", port=8123, settings=EVERY_SETTING)
    expected = config_from_settings(
        check_settings({**EVERY_SETTING, "host": "127.0.0.1", "port": 8123}, origin="test")
    )
    assert _parsed(argv) == expected


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_settings_override_the_preset_as_flags_do(preset: str) -> None:
    argv = fake_llm_argv(port=8000, preset=preset, settings={"itl_ms": 9, "queue_limit": -1})
    assert "--preset" in argv and "--itl-ms=9.0" in argv and "--queue-limit=-1" in argv
    config = _parsed(argv)
    assert config == load_config(flags={"preset": preset, "itl_ms": "9", "queue_limit": "-1", "port": "8000"})
    assert config.latency.itl_ms == 9.0


def test_booleans_become_switches() -> None:
    assert setting_args({"tls": True, "honour_max_tokens": False}) == ["--tls", "--no-honour-max-tokens"]


@pytest.mark.parametrize(
    ("preset", "settings", "needle"),
    [
        (None, {"ttft": 1.0}, "unknown setting 'ttft' in scenario x"),
        (None, {"hang_rate": "0.1"}, "setting hang_rate (scenario x) must be a number, not '0.1'"),
        (None, {"max_concurrency": 2.5}, "setting max_concurrency (scenario x) must be a whole number"),
        (None, {"tls": "yes"}, "setting tls (scenario x) must be true or false"),
        (None, {"fault_kind": "teapot"}, "must be one of 429, 500, 503, 529, hang, disconnect, trickle"),
        (None, {"port": 1}, "pass port as arguments of fake_llm_argv"),
        ("warp", {}, "unknown preset 'warp'"),
    ],
)
def test_mistakes_fail_where_they_are_written(
    preset: str | None, settings: dict[str, object], needle: str
) -> None:
    with pytest.raises(ConfigError) as info:
        fake_llm_argv(port=8000, preset=preset, settings=settings, origin="scenario x")
    assert needle in str(info.value)
