"""CPU per request of a perf server's real HTTP protocol and app, fed through in-memory transports.

No sockets, no generator process: the process's own CPU time over a fixed number of requests, which other
work on the machine barely moves. The regression guard and `scripts/fake_llm_cpu.py` use it (docs/perf.md).
"""

from __future__ import annotations

import asyncio
import gc
import time
from dataclasses import dataclass
from typing import Any

import httptools
import uvicorn
import uvloop
from uvicorn.server import ServerState

from bench.loadgen.http1 import encode_request
from bench.selfperf.ceiling_app import CeilingConfig
from bench.selfperf.ceiling_app import create_app as create_ceiling
from bench.selfperf.config import Mode, PerfConfig, ServerKind
from bench.selfperf.step import CHAT_PATH
from fake_llm.cli import load_config
from fake_llm.server import build_server

__all__ = ["InProcessLoad", "InProcessResult", "measure", "server_config"]


@dataclass(frozen=True, kw_only=True)
class InProcessLoad:
    """How much to send: `connections` keep-alive connections, each sending its next request as its last
    reply ends; `warmup` replies before the counted `requests`."""

    connections: int = 2000
    warmup: int = 2000
    requests: int = 10000


@dataclass(frozen=True, kw_only=True)
class InProcessResult:
    """CPU µs per request of this process (server and in-memory clients) and the wall time it took."""

    server: ServerKind
    mode: Mode
    requests: int
    cpu_us_per_request: float
    wall_s: float


def server_config(kind: ServerKind, mode: Mode, perf: PerfConfig) -> uvicorn.Config:
    """The uvicorn configuration `awaitbench perf` starts for `kind` (loaded: app and protocol class)."""
    latency = {"ttft_ms": perf.ttft_ms, "itl_ms": perf.itl_ms_for(mode), "output_tokens": perf.output_tokens}
    if kind == "fake_llm":
        config = build_server(load_config(flags={**latency, "seed": 1})).config
    else:
        app = create_ceiling(CeilingConfig(**latency))  # type: ignore[arg-type]
        config = uvicorn.Config(
            app, http="httptools", lifespan="off", access_log=False, log_level="warning",
            proxy_headers=False, server_header=False,
        )  # fmt: skip
    config.load()
    return config


class _Transport(asyncio.Transport):
    """The server's side of one in-memory connection: what the protocol writes goes to the client."""

    def __init__(self, client: _Client, port: int) -> None:
        super().__init__()
        self._client = client
        self._extra = {"peername": ("127.0.0.1", port), "sockname": ("127.0.0.1", 8000)}
        self._closing = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._extra.get(name, default)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._client.parser.feed_data(bytes(data))

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        self._closing = True

    def abort(self) -> None:
        self._closing = True

    def pause_reading(self) -> None:
        return None

    def resume_reading(self) -> None:
        return None

    def can_write_eof(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return 0


class _Client:
    """One keep-alive connection's client: parses each reply (httptools) and sends the next request."""

    def __init__(self, driver: _Driver, protocol: asyncio.Protocol, port: int) -> None:
        self.driver = driver
        self.protocol = protocol
        self.parser = httptools.HttpResponseParser(self)
        protocol.connection_made(_Transport(self, port))

    def on_message_complete(self) -> None:
        self.driver.answered(self)


class _Driver:
    """Sends `total` requests in all, then lets the last ones finish; times the window between two marks."""

    def __init__(self, loop: asyncio.AbstractEventLoop, request: bytes, total: int, window: range) -> None:
        self.loop = loop
        self.request = request
        self.total = total
        self.sent = 0
        self.answers = 0
        self.marks = {window.start: (0.0, 0.0), window.stop: (0.0, 0.0)}
        self.done = loop.create_future()

    def send(self, client: _Client) -> None:
        if self.sent < self.total:
            self.sent += 1
            # Next loop iteration, as a socket's bytes would arrive (never inside the reply's own write).
            self.loop.call_soon(client.protocol.data_received, self.request)

    def answered(self, client: _Client) -> None:
        self.answers += 1
        if self.answers in self.marks:
            self.marks[self.answers] = (time.process_time(), time.perf_counter())
        if self.answers == self.total:
            self.done.set_result(None)
        self.send(client)


def measure(kind: ServerKind, mode: Mode, perf: PerfConfig, load: InProcessLoad) -> InProcessResult:
    """Serve `load` with `kind`'s real protocol and app as `awaitbench perf` configures them."""
    loop = uvloop.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        config = server_config(kind, mode, perf)
        body = perf.load_config(url="http://127.0.0.1:8000" + CHAT_PATH, mode=mode, connections=1)
        request = encode_request(method="POST", host="127.0.0.1", port=8000, path=CHAT_PATH,
                                 json_body=body.json_body, headers=body.headers)  # fmt: skip
        window = range(load.warmup, load.warmup + load.requests)
        # Every connection stays busy through the window: the last requests are sent after it.
        driver = _Driver(loop, request, window.stop + load.connections, window)
        state = ServerState()
        protocol_class: Any = config.http_protocol_class
        for index in range(load.connections):
            protocol = protocol_class(config=config, server_state=state, app_state={}, _loop=loop)
            driver.send(_Client(driver, protocol, 10000 + index))
        gc.collect()
        gc.freeze()  # as fake_llm's server does before serving
        loop.run_until_complete(driver.done)
        (cpu0, wall0), (cpu1, wall1) = driver.marks.values()
        for protocol in list(state.connections):
            protocol.connection_lost(None)
        loop.run_until_complete(asyncio.sleep(0))
    finally:
        gc.unfreeze()
        asyncio.set_event_loop(None)
        loop.close()
    return InProcessResult(
        server=kind,
        mode=mode,
        requests=load.requests,
        cpu_us_per_request=round((cpu1 - cpu0) / load.requests * 1e6, 2),
        wall_s=round(wall1 - wall0, 3),
    )
