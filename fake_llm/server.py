"""Run the fake LLM under uvicorn (uvloop + httptools by default, no access log).

The HTTP protocol class is uvicorn's own, subclassed only to report connections (see connections.py).
Shutdown is bounded: requests still running `timeout_graceful_shutdown_s` after a stop signal (a hung
request, a long stream) are cancelled, so the process always exits.
"""

from __future__ import annotations

import asyncio
import gc
import socket
from typing import cast

import uvicorn

from fake_llm.app import create_app
from fake_llm.config import FakeLLMConfig
from fake_llm.connections import protocol_class
from fake_llm.errors import ServeError
from fake_llm.tls import TLSFiles, make_tls_files

__all__ = ["build_server", "ensure_bindable", "serve"]


def _base_protocol(http: str) -> type[asyncio.Protocol]:
    if http == "h11":
        from uvicorn.protocols.http.h11_impl import H11Protocol

        return H11Protocol
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    return HttpToolsProtocol


def ensure_bindable(host: str, port: int) -> None:
    """Fail early, in one line, if `host:port` cannot be bound (uvicorn would log and sys.exit(1) instead).

    Another process may still take the port between this check and uvicorn's bind; port 0 is never busy.

    Raises:
        ServeError: the port is taken or the host is not an address of this machine.
    """
    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ServeError(
                f"cannot listen on {host}:{port} ({exc.strerror}); pick a free --port or stop what holds it"
            ) from None


def build_server(config: FakeLLMConfig, *, tls: TLSFiles | None = None) -> uvicorn.Server:
    """A ready-to-run uvicorn.Server for `config` (TLS files are generated if `--tls` and none given)."""
    app = create_app(config)
    srv = config.server
    if config.network.tls and tls is None:
        tls = make_tls_files(config.network.tls_dir)
    uv_config = uvicorn.Config(
        app,
        host=srv.host,
        port=srv.port,
        loop=srv.loop,
        http=protocol_class(_base_protocol(srv.http), app.engine.tracker),
        lifespan="off",
        log_level="warning",
        access_log=False,
        # No X-Forwarded-For rewriting of the client address: connection accounting looks connections up
        # by that address, and the middleware would be one more layer on every request.
        proxy_headers=False,
        # A hosted LLM API does not announce "server: uvicorn", and uvicorn validates every header it sends.
        server_header=False,
        timeout_keep_alive=srv.keep_alive_s,
        # uvicorn annotates this as int but waits with asyncio.wait_for, which takes any float.
        timeout_graceful_shutdown=cast(int, srv.timeout_graceful_shutdown_s),
        ssl_certfile=str(tls.cert_path) if tls else None,
        ssl_keyfile=str(tls.key_path) if tls else None,
    )
    return uvicorn.Server(uv_config)


def serve(config: FakeLLMConfig, *, tls: TLSFiles | None = None) -> None:
    """Serve until SIGINT/SIGTERM, then shut down within the graceful timeout."""
    server = build_server(config, tls=tls)
    server.config.load()
    # Everything imported so far (FastAPI, pydantic, uvicorn) lives for the whole process: move it out of
    # the collector's reach so the garbage collections that request traffic triggers stay cheap.
    gc.collect()
    gc.freeze()
    server.run()
