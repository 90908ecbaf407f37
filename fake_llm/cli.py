"""The fake LLM's command line: `python -m fake_llm`, mounted as `awaitbench fake-llm` by the awaitbench CLI.

Flags, config file and env vars come from `fake_llm.settings.OPTIONS`; `add_arguments` and `run` are what
a host CLI mounts, `main` is the standalone host."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from awaitbench.options import OneLineParser, interrupt_on_sigterm
from fake_llm.config import FakeLLMConfig
from fake_llm.errors import ConfigError, ServeError
from fake_llm.presets import describe_presets, preset_values
from fake_llm.settings import DEFAULT_PRESET, ENV_PREFIX, OPTIONS

__all__ = [
    "DESCRIPTION",
    "HELP",
    "PROG",
    "add_arguments",
    "build_parser",
    "flag_settings",
    "load_config",
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
_LOG_PREFIX = "fake-llm"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Every flag of the fake LLM: --preset, --config, --list-presets and one per setting."""
    parser.add_argument(
        "--preset",
        metavar="NAME",
        help=f"named latency profile (default {DEFAULT_PRESET}; see --list-presets)",
    )
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help="TOML file of settings (flat or by section)"
    )
    parser.add_argument("--list-presets", action="store_true", help="print the presets and exit")
    OPTIONS.add_arguments(parser)


def flag_settings(args: argparse.Namespace) -> dict[str, object]:
    """The flags given on the command line by setting name (plus "preset"), for `load_config(flags=...)`."""
    preset = getattr(args, "preset", None)
    return {**OPTIONS.from_args(args), **({"preset": preset} if preset else {})}


def load_config(
    *,
    flags: Mapping[str, object] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> FakeLLMConfig:
    """The validated config from its layers: preset < config file < env < flags (each optional).

    Args:
        flags: values by setting name (plus "preset"); strings are parsed.
        env: an environment; its `AWAITBENCH_FAKE_LLM_*` keys are read (`..._CONFIG` may name the file).
        config_file: a TOML file with setting names as keys (flat or by section).

    Raises:
        ConfigError: an unknown name, a value of the wrong type, or a value out of range.
    """
    flags = dict(flags or {})
    env_values = OPTIONS.from_env(env or {}, extras=("config", "preset"))
    env_file = env_values.pop("config", None)
    config_file = Path(env_file) if config_file is None and env_file else config_file
    file_values = OPTIONS.from_toml(config_file, extras=("preset",)) if config_file is not None else {}
    named = [layer.pop("preset", None) for layer in (flags, env_values, file_values)]
    preset = str(next((name for name in named if name), DEFAULT_PRESET))
    layers = [
        (preset_values(preset), f"preset {preset}"),
        (file_values, f"config file {config_file}"),
        (env_values, "env"),
        (flags, "flag"),
    ]
    return OPTIONS.build(OPTIONS.merge(layers))


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


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The standalone parser: `add_arguments` on a parser whose errors are one line (exit 2)."""
    parser = OneLineParser(prog=prog, description=DESCRIPTION, tag=_LOG_PREFIX)
    add_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m fake_llm`: exit 0 after a clean stop, 2 for a usage or environment error (a bad setting, a
    taken port, a foreign host, an unwritable TLS directory), 130 on Ctrl-C before serving; errors are one
    line on stderr."""
    args = build_parser().parse_args(argv)
    interrupt_on_sigterm()
    try:
        return run(args)
    except (ConfigError, ServeError) as exc:
        print(f"{_LOG_PREFIX}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{_LOG_PREFIX}: interrupted", file=sys.stderr)
        return 130
