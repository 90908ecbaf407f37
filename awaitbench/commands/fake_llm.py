"""`awaitbench fake-llm`: serve the fake OpenAI-compatible LLM.

Every flag is generated from `fake_llm.settings.SETTINGS` (itself generated from the config dataclasses),
so a new knob appears here, in the config file and in the env vars at once.
Precedence: preset < --config FILE < AWAITBENCH_FAKE_LLM_* env vars < explicit flags.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
from pathlib import Path

from bench.errors import AwaitbenchError
from fake_llm.settings import DEFAULT_PRESET, ENV_PREFIX, SETTINGS

__all__ = ["register"]

_DEST_PREFIX = "fake_llm__"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "fake-llm",
        help="Serve the fake OpenAI-compatible LLM",
        description=(
            "Serve an OpenAI-compatible LLM API with configurable latency, capacity and faults. "
            f"Every flag is also a config-file key and an env var ({ENV_PREFIX}<NAME>). "
            "Precedence: preset < --config < env < flags."
        ),
    )
    parser.add_argument(
        "--preset",
        dest=_DEST_PREFIX + "preset",
        default=argparse.SUPPRESS,
        help=f"named latency profile (default {DEFAULT_PRESET}; see --list-presets)",
    )
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help="TOML file of settings (flat or by section)"
    )
    parser.add_argument("--list-presets", action="store_true", help="print the presets and exit")
    for setting in SETTINGS.values():
        help_ = f"{setting.help} [default {setting.default!r}]"
        if setting.choices:
            help_ += f" {{{','.join(setting.choices)}}}"
        if isinstance(setting.default, bool):
            parser.add_argument(
                setting.flag,
                dest=_DEST_PREFIX + setting.name,
                default=argparse.SUPPRESS,
                action=argparse.BooleanOptionalAction,
                help=help_,
            )
        else:
            parser.add_argument(
                setting.flag,
                dest=_DEST_PREFIX + setting.name,
                default=argparse.SUPPRESS,
                metavar=setting.name.upper(),
                help=help_,
            )
    parser.set_defaults(handler=_handle)


def _check_port_free(host: str, port: int) -> None:
    """uvicorn would sys.exit(1) on a busy port; say what is wrong in one line instead."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise AwaitbenchError(
                f"cannot listen on {host}:{port} ({exc.strerror}); pick a free --port or stop what holds it"
            ) from None


def _handle(args: argparse.Namespace) -> int:
    from fake_llm.presets import describe_presets
    from fake_llm.settings import load_config

    if args.list_presets:
        print(describe_presets())
        return 0
    flags = {
        key.removeprefix(_DEST_PREFIX): value
        for key, value in vars(args).items()
        if key.startswith(_DEST_PREFIX)
    }
    config = load_config(flags=flags, env=os.environ, config_file=args.config)

    from fake_llm.server import serve
    from fake_llm.tls import make_tls_files

    srv = config.server
    _check_port_free(srv.host, srv.port)
    tls = make_tls_files(config.network.tls_dir) if config.network.tls else None
    scheme = "https" if tls else "http"
    print(f"fake-llm: serving on {scheme}://{srv.host}:{srv.port}/v1", file=sys.stderr, flush=True)
    if tls:
        print(
            f"fake-llm: TLS CA certificate: {tls.ca_path} (e.g. SSL_CERT_FILE={tls.ca_path})",
            file=sys.stderr,
            flush=True,
        )
    # uvicorn re-raises the stop signal after its graceful shutdown; that is a clean exit.
    with contextlib.suppress(KeyboardInterrupt):
        serve(config, tls=tls)
    print("fake-llm: stopped", file=sys.stderr, flush=True)
    return 0
