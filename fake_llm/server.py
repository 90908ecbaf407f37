"""Run the fake LLM under uvicorn (uvloop + httptools by default, no access log).

The HTTP protocol class is uvicorn's own, subclassed only to report connections (see connections.py).
Shutdown is bounded: requests still running `timeout_graceful_shutdown_s` after a stop signal (a hung
request, a long stream) are cancelled, so the process always exits.
"""

from __future__ import annotations

import asyncio
import gc

import uvicorn

from fake_llm.app import create_app
from fake_llm.config import FakeLLMConfig
from fake_llm.connections import protocol_class
from fake_llm.tls import TLSFiles, make_tls_files

__all__ = ["build_server", "serve"]


def _base_protocol(http: str) -> type[asyncio.Protocol]:
    if http == "h11":
        from uvicorn.protocols.http.h11_impl import H11Protocol

        return H11Protocol
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    return HttpToolsProtocol


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
        timeout_graceful_shutdown=srv.timeout_graceful_shutdown_s,
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
