"""Anthropic's `/v1/messages` under the request limits and admission rules (docs/fake_llm.md).

The route shares the engine, so it must share the guards: content type (415), origin (403), body size (413,
checked while reading), JSON depth and `--max-output-tokens` (400), header size (431), and a client that
leaves is a 499 (a disconnect if the answer had begun). Every refusal is in Anthropic's error shape
(`{"type": "error", "error": {"type", "message"}}`), never OpenAI's, and large replies (over
`WHOLE_REPLY_TOKENS`, generated while sent) are whole, valid Messages.

In-process (httpx's ASGI transport) for the rules; a real server for what needs a socket (a header line too
large, a cut stream, an abandoned request).
"""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anthropic
import httpx
import pytest

from fake_llm.textgen import WHOLE_REPLY_TOKENS
from tests.fake_llm.abuse import AbuseServer, abuse_server, stats
from tests.fake_llm.in_process import run_in_app
from tests.waiting import wait_until

MESSAGE: dict[str, Any] = {
    "model": "claude-fake",
    "max_tokens": 16,
    "messages": [{"role": "user", "content": "hi"}],
}
HEADERS = {"content-type": "application/json", "anthropic-version": "2023-06-01"}


def _post(flags: dict[str, object], content: bytes | AsyncIterator[bytes], headers: dict[str, str]) -> Any:
    return run_in_app(flags, lambda c: c.post("/v1/messages", content=content, headers=headers))


def assert_anthropic_error(response: httpx.Response, status: int, error_type: str, text: str = "") -> None:
    """`response` is Anthropic's error shape with `status`, `error.type` and a message containing `text`."""
    assert response.status_code == status, (response.status_code, response.text[:300])
    document = json.loads(response.content)
    assert document["type"] == "error" and set(document["error"]) == {"type", "message"}, document
    assert document["error"]["type"] == error_type, document
    assert text in document["error"]["message"], document


def _sized(size: int) -> bytes:
    """A valid Messages body of exactly `size` bytes."""
    empty = json.dumps({**MESSAGE, "messages": [{"role": "user", "content": ""}]}).encode()
    body = json.dumps({**MESSAGE, "messages": [{"role": "user", "content": "p" * (size - len(empty))}]})
    assert len(body) == size
    return body.encode()


@pytest.mark.parametrize(("size", "status"), [(2048, 200), (2049, 413)])
@pytest.mark.parametrize("chunked", [False, True])
def test_an_oversized_body_is_a_413_in_anthropic_shape(size: int, status: int, chunked: bool) -> None:
    body = _sized(size)

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 500):
            yield body[start : start + 500]

    response = _post({"max_body_bytes": "2048"}, pieces() if chunked else body, HEADERS)
    if status == 200:
        assert response.status_code == 200 and response.json()["type"] == "message", response.text
    else:
        assert_anthropic_error(response, 413, "request_too_large", "--max-body-bytes")


@pytest.mark.parametrize(
    ("change", "status"),
    [({"max_tokens": 100}, 200), ({"max_tokens": 101}, 400), ({"max_tokens": 10**30}, 400)],
)
def test_max_tokens_beyond_the_output_limit_is_a_400_in_anthropic_shape(
    change: dict[str, object], status: int
) -> None:
    response = _post({"max_output_tokens": "100"}, json.dumps({**MESSAGE, **change}).encode(), HEADERS)
    if status == 200:
        assert response.json()["usage"]["output_tokens"] == 100
    else:
        assert_anthropic_error(response, 400, "invalid_request_error", "max_tokens: Input should be less")


def test_the_output_pin_is_held_to_the_same_limit() -> None:
    headers = {**HEADERS, "x-fake-output-tokens": "101"}
    response = _post({"max_output_tokens": "100"}, json.dumps(MESSAGE).encode(), headers)
    assert_anthropic_error(response, 400, "invalid_request_error", "x-fake-output-tokens")


@pytest.mark.parametrize(("levels", "status"), [(64, 200), (65, 400)])
def test_json_depth_limit(levels: int, status: int) -> None:
    inner = "[" * (levels - 1) + "]" * (levels - 1)  # the top-level object is level 1
    body = json.dumps(MESSAGE)[:-1] + ',"metadata_x":' + inner + "}"
    response = _post({}, body.encode(), HEADERS)
    if status == 200:
        assert response.status_code == 200, response.text
    else:
        assert_anthropic_error(response, 400, "invalid_request_error", "--max-json-depth")


VERSION = {"anthropic-version": "2023-06-01"}


@pytest.mark.parametrize(
    ("headers", "status", "error_type", "text"),
    [
        ({**VERSION, "content-type": "text/plain"}, 415, "invalid_request_error", "only 'application/json'"),
        (VERSION, 415, "invalid_request_error", "Content-Type is none"),
        ({**HEADERS, "origin": "https://evil.example"}, 403, "permission_error", "--allowed-origins"),
        ({**HEADERS, "origin": "null"}, 403, "permission_error", "--allowed-origins"),
    ],
)
def test_what_a_web_page_could_send_is_refused_in_anthropic_shape(
    headers: dict[str, str], status: int, error_type: str, text: str
) -> None:
    response = _post({}, json.dumps(MESSAGE).encode(), headers)
    assert_anthropic_error(response, status, error_type, text)


def test_the_admission_rules_come_before_the_version_header() -> None:
    """A browser's text/plain POST is a 415 whatever else it lacks; a JSON one without the version a 400."""
    body = json.dumps(MESSAGE).encode()
    plain = _post({}, body, {"content-type": "text/plain"})
    unversioned = _post({}, body, {"content-type": "application/json"})
    assert_anthropic_error(plain, 415, "invalid_request_error")
    assert_anthropic_error(unversioned, 400, "invalid_request_error", "anthropic-version: header is required")


@pytest.mark.parametrize("stream", [False, True])
def test_large_messages_are_whole_and_the_same_text_streamed_or_not(stream: bool) -> None:
    n_tokens = 3 * WHOLE_REPLY_TOKENS  # generated while sent
    document = {**MESSAGE, "max_tokens": n_tokens}

    async def both(client: httpx.AsyncClient) -> tuple[Any, str]:
        whole = await client.post("/v1/messages", json=document, headers=HEADERS)
        streamed = await client.post("/v1/messages", json={**document, "stream": True}, headers=HEADERS)
        return whole.json(), streamed.text

    whole, streamed = run_in_app({}, both)
    assert whole["usage"]["output_tokens"] == n_tokens and whole["stop_reason"] == "max_tokens"
    text = whole["content"][0]["text"]
    assert len(text.split()) == n_tokens
    events = [json.loads(line[6:]) for line in streamed.splitlines() if line.startswith("data: ")]
    deltas = [e["delta"]["text"] for e in events if e["type"] == "content_block_delta"]
    assert "".join(deltas) == text
    assert events[-2]["usage"]["output_tokens"] == n_tokens and events[-1]["type"] == "message_stop"


# A real server: what needs a socket.

ANTHROPIC_HEAD = "anthropic-version: 2023-06-01\r\n"


def _request(body: bytes, extra: str = "") -> bytes:
    return (
        f"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{ANTHROPIC_HEAD}{extra}\r\n"
    ).encode() + body


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AbuseServer]:
    with abuse_server(tmp_path_factory.mktemp("anthropic")) as running:
        yield running


def _sockets(server: AbuseServer, count: int) -> list[socket.socket]:
    parts = urlsplit(server.base)
    return [socket.create_connection((parts.hostname, parts.port), timeout=30) for _ in range(count)]


def test_a_header_line_too_large_is_a_431_in_anthropic_shape(server: AbuseServer) -> None:
    def requests() -> None:
        [sock] = _sockets(server, 1)
        with sock:
            sock.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000)
            sock.shutdown(socket.SHUT_WR)
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 431 "), reply[:200]
        document = json.loads(reply.partition(b"\r\n\r\n")[2])
        assert document["type"] == "error" and "--max-header-bytes" in document["error"]["message"]

    server.run_case("431 on /v1/messages", requests)


def test_cut_anthropic_streams_count_as_disconnects(server: AbuseServer) -> None:
    body = json.dumps({**MESSAGE, "stream": True, "max_tokens": 1000}).encode()

    def requests() -> None:
        httpx.post(f"{server.base}/stats/reset")
        streams = _sockets(server, 50)
        try:
            for sock in streams:
                sock.sendall(_request(body, "x-fake-itl-ms: 50\r\n"))
            for sock in streams:
                assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")  # the stream has begun
        finally:
            for sock in streams:
                sock.close()
        # 1,000 tokens 50 ms apart: the streams would run for 50 s if nobody noticed them cut.
        wait_until(lambda: stats(server.base)["in_flight"], 10, "no stream in flight", ready=lambda n: n == 0)
        after = stats(server.base)
        assert after["requests_by_status"] == {"499": 50}
        assert after["disconnects_total"] == 50
        assert after["tokens_out_total"] < 50 * 1000

    server.run_case("50 cut Anthropic streams", requests)


def test_abandoned_anthropic_requests_stop_at_once_and_count_499(server: AbuseServer) -> None:
    body = json.dumps(MESSAGE).encode()

    def requests() -> None:
        httpx.post(f"{server.base}/stats/reset")
        waiting = _sockets(server, 20)
        try:
            for sock in waiting:
                sock.sendall(_request(body, "x-fake-ttft-ms: 60000\r\n"))
            wait_until(
                lambda: stats(server.base)["in_flight"], 30, "20 requests in flight", ready=lambda n: n == 20
            )
        finally:
            for sock in waiting:
                sock.close()
        # Their deadline is a minute away: only noticing the disconnect frees them this soon.
        wait_until(
            lambda: stats(server.base)["in_flight"], 10, "no request in flight", ready=lambda n: n == 0
        )
        after = stats(server.base)
        assert after["requests_by_status"] == {"499": 20}
        assert after["disconnects_total"] == 0  # nothing of an answer had been sent

    server.run_case("20 abandoned Anthropic requests", requests)


def test_the_limits_leave_the_sdk_path_unchanged(tmp_path: Path) -> None:
    """The official SDK (JSON, no Origin, its own headers) passes every admission rule."""
    with abuse_server(tmp_path, max_body_bytes=4096, max_output_tokens=64) as running:
        client = anthropic.Anthropic(base_url=running.base, api_key="k", max_retries=0)
        with client:
            reply = client.messages.create(model="claude-fake", max_tokens=64, messages=MESSAGE["messages"])
            with pytest.raises(anthropic.BadRequestError) as too_many:
                client.messages.create(model="claude-fake", max_tokens=65, messages=MESSAGE["messages"])
            with pytest.raises(anthropic.APIStatusError) as too_large:
                client.messages.create(
                    model="claude-fake", max_tokens=8, messages=[{"role": "user", "content": "x" * 5000}]
                )
    assert reply.usage.output_tokens == 64
    assert isinstance(body := too_many.value.body, dict) and body["error"]["type"] == "invalid_request_error"
    assert too_large.value.status_code == 413
    assert isinstance(body := too_large.value.body, dict) and body["error"]["type"] == "request_too_large"
