"""Connections that never finish a request, and clients that leave mid-request, on a real server.

- Connections that never send a byte, send half a head, stall in the body or in a later head are closed
  within one to two `--header-timeout-s`; 1,100 idle ones under a 1,024 open-file limit do not lock out
  a normal request.
- A client that leaves is noticed at once: an abandoned non-streaming request stops (499, its in-flight count
  and its capacity slot freed) instead of sleeping to its deadline, and a cut stream counts as a disconnect.
`/health` stays under its budget and RSS under its bound throughout (`tests/fake_llm/abuse.py`).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psutil
import pytest

from tests.fake_llm.abuse import CHAT, AbuseServer, abuse_server, stats
from tests.waiting import wait_until

HEAD_TIMEOUT_S = 0.5
_BODY = json.dumps(CHAT).encode()


def _head(path: str = "/v1/chat/completions", *, length: int = len(_BODY), extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n{extra}\r\n"
    ).encode()


@contextmanager
def _sockets(server: AbuseServer, count: int) -> Iterator[list[socket.socket]]:
    parts = urlsplit(server.base)
    with ExitStack() as stack:
        yield [
            stack.enter_context(socket.create_connection((parts.hostname, parts.port), timeout=30))
            for _ in range(count)
        ]


def _closed_by_server(sock: socket.socket) -> bool:
    """True once the server has closed `sock` (EOF or reset; anything it sent before is skipped)."""
    sock.setblocking(False)
    try:
        while True:
            if not sock.recv(65536):
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


def _wait_all_closed(socks: list[socket.socket], what: str) -> None:
    open_ = list(socks)

    def still_open() -> int:
        open_[:] = [s for s in open_ if not _closed_by_server(s)]
        return len(open_)

    # One to two head timeouts, plus generous room for a loaded machine to run the timers.
    wait_until(still_open, 10 * HEAD_TIMEOUT_S + 10, f"the server to close {what}", ready=lambda n: n == 0)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[AbuseServer]:
    with abuse_server(tmp_path, header_timeout_s=HEAD_TIMEOUT_S) as running:
        yield running


@pytest.fixture(params=["httptools", "h11"])
def either_parser(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AbuseServer]:
    """The head guards hook into uvicorn's protocol classes: both of them are checked."""
    with abuse_server(tmp_path, header_timeout_s=HEAD_TIMEOUT_S, http=request.param) as running:
        yield running


def test_1100_idle_connections_under_a_1024_file_limit_do_not_lock_out_a_request(
    either_parser: AbuseServer,
) -> None:
    server = either_parser
    psutil.Process(server.process.pid).rlimit(psutil.RLIMIT_NOFILE, (1024, 1024))

    def requests() -> None:
        with _sockets(server, 1100) as idle:
            _wait_all_closed(idle, "1,100 connections that never sent a byte")
        reply = httpx.post(f"{server.base}/v1/chat/completions", json=CHAT, timeout=30)
        assert reply.status_code == 200

    server.run_case("1,100 idle connections", requests)


@pytest.mark.parametrize(
    ("name", "sent"),
    [
        ("half a head", b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"),
        ("a head and 10 of 1,000 body bytes", _head(length=1000) + b'{"model":"'),
    ],
)
def test_a_connection_that_stops_mid_request_is_closed(
    either_parser: AbuseServer, name: str, sent: bytes
) -> None:
    server = either_parser

    def requests() -> None:
        with _sockets(server, 200) as stalled:
            for sock in stalled:
                sock.sendall(sent)
            _wait_all_closed(stalled, f"200 connections that sent {name}")
        wait_until(
            lambda: stats(server.base)["in_flight"], 10, "no request in flight", ready=lambda n: n == 0
        )

    server.run_case(name, requests)


def test_a_keep_alive_connection_that_stops_mid_head_is_closed(either_parser: AbuseServer) -> None:
    server = either_parser

    def requests() -> None:
        with _sockets(server, 200) as stalled:
            for sock in stalled:
                sock.sendall(_head() + _BODY)
            for sock in stalled:
                assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
                sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\n")
            _wait_all_closed(stalled, "200 connections that sent half of their second head")

    server.run_case("half of a second head", requests)


def test_abandoned_requests_stop_at_once_and_count_499(server: AbuseServer) -> None:
    def requests() -> None:
        httpx.post(f"{server.base}/stats/reset")
        with _sockets(server, 100) as waiting:
            for sock in waiting:
                sock.sendall(_head(extra="x-fake-ttft-ms: 60000\r\n") + _BODY)
            wait_until(
                lambda: stats(server.base)["in_flight"],
                30,
                "100 requests in flight",
                ready=lambda n: n == 100,
            )
        # Their deadline is a minute away: only noticing the disconnect frees them this soon.
        wait_until(
            lambda: stats(server.base)["in_flight"], 10, "no request in flight", ready=lambda n: n == 0
        )
        assert stats(server.base)["requests_by_status"] == {"499": 100}

    server.run_case("100 abandoned requests", requests)


def test_abandoned_requests_free_their_capacity_slot(tmp_path: Path) -> None:
    with abuse_server(tmp_path, max_concurrency=2, header_timeout_s=HEAD_TIMEOUT_S) as server:

        def requests() -> None:
            with _sockets(server, 5) as waiting:  # 2 served, 3 queued, all for a minute
                for sock in waiting:
                    sock.sendall(_head(extra="x-fake-ttft-ms: 60000\r\n") + _BODY)
                wait_until(
                    lambda: stats(server.base)["queued"], 30, "3 queued requests", ready=lambda n: n == 3
                )
            wait_until(
                lambda: stats(server.base)["in_flight"], 10, "no request in flight", ready=lambda n: n == 0
            )
            reply = httpx.post(f"{server.base}/v1/chat/completions", json=CHAT, timeout=30)
            assert reply.status_code == 200
            assert float(reply.headers["x-fake-queue-ms"]) == 0.0  # a free slot: no queueing

        server.run_case("abandoned requests holding the capacity", requests)


def test_300_cut_streams_count_as_disconnects(server: AbuseServer) -> None:
    body = json.dumps({**CHAT, "stream": True, "max_tokens": 1000}).encode()

    def requests() -> None:
        httpx.post(f"{server.base}/stats/reset")
        with _sockets(server, 300) as streams:
            for sock in streams:
                sock.sendall(_head(length=len(body), extra="x-fake-itl-ms: 50\r\n") + body)
            for sock in streams:
                assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")  # the stream has begun
        # 1,000 tokens 50 ms apart: the streams would run for 50 s if nobody noticed them cut.
        wait_until(lambda: stats(server.base)["in_flight"], 10, "no stream in flight", ready=lambda n: n == 0)
        after = stats(server.base)
        assert after["requests_by_status"] == {"499": 300}
        assert after["disconnects_total"] == 300
        assert after["tokens_out_total"] < 300 * 1000

    server.run_case("300 cut streams", requests)
