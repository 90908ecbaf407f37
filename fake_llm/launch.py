"""The one way other code starts fake_llm: typed settings in, the `python -m fake_llm` argv out.

The bench, its self-benchmark and the test fixtures all start fake_llm as a process; building the argv
here from typed values (checked against `fake_llm.settings.SETTINGS`) means no caller spells a flag, and a
misspelt setting fails where it is written instead of in a child process's log.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from fake_llm.errors import ConfigError
from fake_llm.presets import preset_values
from fake_llm.settings import SETTINGS, SettingValue, check_settings

__all__ = ["fake_llm_argv", "setting_args"]

_PLACE = ("host", "port")


def _text(value: SettingValue) -> str:
    # repr of a float round-trips exactly (str(0.1) == repr(0.1) in Python 3; `:g` would round).
    return repr(value) if isinstance(value, float) else str(value)


def setting_args(settings: Mapping[str, object], *, origin: str = "fake_llm settings") -> list[str]:
    """The flags that set `settings` (setting name -> typed value), e.g. `["--ttft-ms=100.0"]`.

    Values are joined to their flag with `=`, so a value starting with "-" (a negative number, an empty
    string) can never be read as a flag. Booleans become `--name` / `--no-name`.

    Raises:
        ConfigError: an unknown setting or a value of the wrong type (names the setting and `origin`).
    """
    args: list[str] = []
    for name, value in check_settings(settings, origin=origin).items():
        flag = SETTINGS[name].flag
        if isinstance(value, bool):
            args.append(flag if value else "--no-" + flag.removeprefix("--"))
        else:
            args.append(f"{flag}={_text(value)}")
    return args


def fake_llm_argv(
    *,
    port: int,
    host: str = "127.0.0.1",
    preset: str | None = None,
    settings: Mapping[str, object] | None = None,
    origin: str = "fake_llm settings",
) -> list[str]:
    """`[sys.executable, "-m", "fake_llm", "--host", host, "--port", port, ...]` serving `settings` on top
    of `preset` (fake_llm's default preset when None).

    Args:
        port: TCP port (0 lets the OS choose, but then nobody knows it: callers pick a free port).
        host: interface to bind.
        preset: a name from `fake_llm.presets.PRESETS`.
        settings: setting name -> typed value (`{"ttft_ms": 100.0, "hang_rate": 0.1}`); not host/port.
        origin: who asks, for error messages (e.g. "scenario timeouts").

    Raises:
        ConfigError: an unknown preset or setting, a value of the wrong type, or host/port in `settings`.
    """
    settings = settings or {}
    placed = [name for name in _PLACE if name in settings]
    if placed:
        names = " and ".join(placed)
        raise ConfigError(f"{origin}: pass {names} as arguments of fake_llm_argv, not as settings")
    argv = [sys.executable, "-m", "fake_llm", "--host", host, "--port", str(port)]
    if preset is not None:
        preset_values(preset)  # an unknown preset fails here, with the valid names
        argv += ["--preset", preset]
    return argv + setting_args(settings, origin=origin)
