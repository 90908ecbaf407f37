"""The fake LLM's command line: `python -m fake_llm`, mounted as `awaitbench fake-llm` by the awaitbench CLI.

Every flag is generated from `fake_llm.settings.SETTINGS` (itself generated from the config dataclasses), so
a new knob appears here, in the config file and in the env vars at once.
Precedence: preset < --config FILE < AWAITBENCH_FAKE_LLM_* env vars < explicit flags.

`add_arguments` and `run` are what a host CLI mounts; `run` raises ConfigError (a usage error) or ServeError
(an environment error: port, host, TLS directory), both exit 2, and leaves the message and exit code to the
host. `main` is the standalone host.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import NoReturn

from fake_llm.errors import ConfigError, ServeError
from fake_llm.layers import load_config
from fake_llm.presets import describe_presets
from fake_llm.settings import DEFAULT_PRESET, ENV_PREFIX, SETTINGS, Setting

__all__ = [
    "DESCRIPTION",
    "HELP",
    "PROG",
    "add_arguments",
    "add_setting_arguments",
    "build_parser",
    "flag_settings",
    "main",
    "run",
]

PROG = "python -m fake_llm"
HELP = "Serve the fake LLM (OpenAI, Azure OpenAI, Anthropic, Gemini and Bedrock APIs)"
DESCRIPTION = (
    "Serve a fake LLM API (OpenAI's, Azure OpenAI's, Anthropic's, Gemini's and Bedrock Runtime's routes) "
    "with configurable latency, "
    "capacity and faults. "
    f"Every flag is also a config-file key and an env var ({ENV_PREFIX}<NAME>). "
    "Precedence: preset < --config < env < flags."
)
_DEST_PREFIX = "fake_llm__"
_LOG_PREFIX = "fake-llm"


def _setting_help(setting: Setting) -> str:
    help_ = f"{setting.help} [default {setting.default!r}]"
    if setting.choices:
        help_ += f" {{{','.join(setting.choices)}}}"
    return help_


def add_setting_arguments(parser: argparse.ArgumentParser, names: Iterable[str] | None = None) -> None:
    """One flag per setting (all of them, or those in `names`); an unset flag leaves no attribute.

    Values stay strings here: `flag_settings` collects them and `fake_llm.layers.load_config` parses them,
    so a flag, an env var and a TOML key are checked by the same code.
    """
    chosen = SETTINGS.values() if names is None else [SETTINGS[name] for name in names]
    for setting in chosen:
        if setting.kind is bool:
            parser.add_argument(
                setting.flag,
                dest=_DEST_PREFIX + setting.name,
                default=argparse.SUPPRESS,
                action=argparse.BooleanOptionalAction,
                help=_setting_help(setting),
            )
        else:
            parser.add_argument(
                setting.flag,
                dest=_DEST_PREFIX + setting.name,
                default=argparse.SUPPRESS,
                metavar=setting.name.upper(),
                help=_setting_help(setting),
            )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Every flag of the fake LLM: --preset, --config, --list-presets and one per setting."""
    parser.add_argument(
        "--preset",
        dest=_DEST_PREFIX + "preset",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help=f"named latency profile (default {DEFAULT_PRESET}; see --list-presets)",
    )
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help="TOML file of settings (flat or by section)"
    )
    parser.add_argument("--list-presets", action="store_true", help="print the presets and exit")
    add_setting_arguments(parser)


def flag_settings(args: argparse.Namespace) -> dict[str, object]:
    """The flags given on the command line by setting name (plus "preset"), for `load_config(flags=...)`."""
    return {
        key.removeprefix(_DEST_PREFIX): value
        for key, value in vars(args).items()
        if key.startswith(_DEST_PREFIX)
    }


def _say(message: str) -> None:
    print(f"{_LOG_PREFIX}: {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace, *, env: Mapping[str, str] | None = None) -> int:
    """Serve with the parsed `args` (from `add_arguments`) until SIGINT/SIGTERM; returns the exit code 0.

    Args:
        args: the namespace of a parser that `add_arguments` filled.
        env: where `AWAITBENCH_FAKE_LLM_*` settings are read (default: this process's environment).

    Raises:
        ConfigError: a bad flag, env var, config file or preset.
        ServeError: the port is taken, the host cannot be bound or the TLS directory cannot be written.
    """
    if args.list_presets:
        print(describe_presets())
        return 0
    config = load_config(
        flags=flag_settings(args), env=os.environ if env is None else env, config_file=args.config
    )

    # uvicorn and FastAPI load only to serve: --help, a usage error and the awaitbench CLI stay fast.
    from fake_llm.server import ensure_bindable, serve
    from fake_llm.tls import make_tls_files

    srv = config.server
    ensure_bindable(srv.host, srv.port)
    tls = make_tls_files(config.network.tls_dir) if config.network.tls else None
    origin = f"{'https' if tls else 'http'}://{srv.host}:{srv.port}"
    _say(f"serving on {origin}/v1 (OpenAI SDK base_url; Anthropic's, Gemini's and Bedrock's take {origin})")
    if tls:
        _say(f"TLS CA certificate: {tls.ca_path} (e.g. SSL_CERT_FILE={tls.ca_path})")
    # uvicorn re-raises the stop signal after its graceful shutdown; that is a clean exit.
    with contextlib.suppress(KeyboardInterrupt):
        serve(config, tls=tls)
    _say("stopped")
    return 0


class _OneLineParser(argparse.ArgumentParser):
    """argparse prints the whole usage block on error; one line is what a user (or a log) can read."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{_LOG_PREFIX}: error: {message} (see '{self.prog} --help')\n")


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The standalone parser: `add_arguments` on a parser whose errors are one line (exit 2)."""
    parser = _OneLineParser(prog=prog, description=DESCRIPTION)
    add_arguments(parser)
    return parser


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM (a parent process, `timeout`) must stop the server exactly like Ctrl-C does.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m fake_llm`: exit 0 after a clean stop, 2 for a usage or environment error (a bad setting, a
    taken port, a foreign host, an unwritable TLS directory), 130 on Ctrl-C before serving; errors are one
    line on stderr."""
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        return run(args)
    except (ConfigError, ServeError) as exc:
        print(f"{_LOG_PREFIX}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{_LOG_PREFIX}: interrupted", file=sys.stderr)
        return 130
