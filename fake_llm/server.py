"""Run the fake LLM under uvicorn (uvloop + httptools, no access log), with a bounded graceful shutdown."""

from __future__ import annotations

import asyncio
import errno
import gc
import socket
from typing import cast

import uvicorn

from fake_llm.app import FakeLLMApp, create_app
from fake_llm.config import FakeLLMConfig
from fake_llm.connections import HeadLimits, protocol_class
from fake_llm.errors import ServeError
from fake_llm.hot_path import with_hot_path
from fake_llm.tls import TLSFiles, make_tls_files

__all__ = ["build_server", "ensure_bindable", "serve"]


def _base_protocol(http: str) -> type[asyncio.Protocol]:
    if http == "h11":
        from uvicorn.protocols.http.h11_impl import H11Protocol

        return H11Protocol
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    return HttpToolsProtocol


def _bind_problem(host: str, port: int, exc: OSError | ValueError) -> str:
    where = f"cannot listen on {host}:{port}"
    if isinstance(exc, ValueError):  # a NUL byte, a label over 63 characters
        return f"{where}: --host is not a valid host name or address; use e.g. 127.0.0.1"
    reason = exc.strerror or str(exc)
    if exc.errno == errno.EADDRINUSE:
        return f"{where} ({reason}): the port is taken; pick a free --port or stop what holds it"
    if exc.errno == errno.EACCES:
        return f"{where} ({reason}): ports below 1024 need privileges; pick a --port above 1024"
    return f"{where} ({reason}): --host must be an address of this machine, e.g. 127.0.0.1"


def ensure_bindable(host: str, port: int) -> None:
    """Fail early, in one line, if `host:port` cannot be bound (uvicorn would log and sys.exit(1) instead).

    Another process may still take the port between this check and uvicorn's bind; port 0 is never busy,
    but the host is checked with it too.

    Raises:
        ServeError: the port is taken or privileged, or the host is not an address of this machine.
    """
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except (OSError, ValueError) as exc:  # ValueError includes UnicodeError (IDNA)
            raise ServeError(_bind_problem(host, port, exc)) from None


def build_server(config: FakeLLMConfig, *, tls: TLSFiles | None = None) -> uvicorn.Server:
    """A ready-to-run uvicorn.Server for `config` (TLS files are generated if `--tls` and none given)."""
    app = create_app(config)
    srv, limits = config.server, config.limits
    head = HeadLimits(timeout_s=limits.header_timeout_s, max_header_bytes=limits.max_header_bytes)
    if config.network.tls and tls is None:
        tls = make_tls_files(config.network.tls_dir)
    protocol = protocol_class(_base_protocol(srv.http), app.engine.tracker, head)
    if srv.http == "httptools":
        protocol = with_hot_path(protocol, app.engine)
    uv_config = uvicorn.Config(
        app,
        host=srv.host,
        port=srv.port,
        loop=srv.loop,
        http=protocol,
        h11_max_incomplete_event_size=limits.max_header_bytes,  # h11's own head limit (httptools: ours)
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
    try:
        server.run()
    finally:
        app = server.config.app
        if isinstance(app, FakeLLMApp):
            app.close()
