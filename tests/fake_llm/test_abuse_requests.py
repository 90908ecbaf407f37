"""Hostile and oversized requests against a real fake_llm: each gets its documented 4xx, or, when
large but allowed, its full answer; `/health` stays under 100 ms during and after each, RSS under the bound.

Every case of the issue is here: `max_tokens` of 1e7 to 10**30, JSON nested 100,000 deep, 10,000
embeddings inputs, a 200 MB body, ten different 20 MB bodies, `text/plain`, a foreign `Origin`; plus the
largest requests the default limits allow (32,768-token replies on every route, Anthropic's included, 2,048
embeddings, a 4 MiB body of tiny JSON values) and a 1 MB header line. One server for the module (cases
leave nothing running behind them).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.fake_llm.abuse import CHAT, AbuseServer, abuse_server, assert_error

MiB = 1024 * 1024
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AbuseServer]:
    with abuse_server(tmp_path_factory.mktemp("abuse")) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: AbuseServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base, timeout=120) as http:
        yield http


def _chunks(total: int, piece: int = MiB, fill: bytes = b"x") -> Iterator[bytes]:
    """A body streamed with chunked encoding: never held whole by the test either."""
    sent = 0
    while sent < total:
        size = min(piece, total - sent)
        yield fill * size
        sent += size


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_tokens", 10**7),
        ("max_tokens", 10**8),
        ("max_tokens", 10**9),
        ("max_tokens", 2**63),
        ("max_tokens", 10**30),
        ("max_completion_tokens", 32769),
    ],
)
def test_output_tokens_beyond_the_limit_are_a_400(
    server: AbuseServer, client: httpx.Client, field: str, value: int
) -> None:
    def requests() -> None:
        response = client.post("/v1/chat/completions", json={**CHAT, field: value})
        assert_error(response, 400, param=field, code="invalid_value")

    server.run_case(f"{field}={value}", requests)


def test_every_way_to_ask_for_output_is_capped(server: AbuseServer, client: httpx.Client) -> None:
    def requests() -> None:
        response = client.post(
            "/v1/responses", json={"model": "m", "input": "hi", "max_output_tokens": 2**63}
        )
        assert_error(response, 400, param="max_output_tokens")
        pinned = client.post("/v1/chat/completions", json=CHAT, headers={"x-fake-output-tokens": str(10**9)})
        assert_error(pinned, 400, param="x-fake-output-tokens")
        slow = client.post("/v1/chat/completions", json=CHAT, headers={"x-fake-ttft-ms": "1e308"})
        assert_error(slow, 400, param="x-fake-ttft-ms")

    server.run_case("responses and header pins", requests)


@pytest.mark.parametrize("where", ["top level", "inside messages"])
def test_json_nested_100000_deep_is_a_400(server: AbuseServer, client: httpx.Client, where: str) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    body = deep if where == "top level" else b'{"model":"m","messages":' + deep + b"}"

    def requests() -> None:
        response = client.post("/v1/chat/completions", content=body, headers=JSON)
        assert_error(response, 400, code="invalid_json")

    server.run_case(f"nested {where}", requests)


def test_embeddings_beyond_the_limits_are_a_400(server: AbuseServer, client: httpx.Client) -> None:
    def requests() -> None:
        many = client.post("/v1/embeddings", json={"model": "e", "input": ["short input"] * 10_000})
        assert_error(many, 400, param="input", code="invalid_value")
        long = client.post("/v1/embeddings", json={"model": "e", "input": "word " * 40_000})
        assert_error(long, 400, param="input", code="invalid_value")
        token_ids = client.post("/v1/embeddings", json={"model": "e", "input": [[1, 2, 2**63]]})
        assert_error(token_ids, 400, param="input")

    server.run_case("embeddings limits", requests)


def test_a_200_mb_body_is_refused_while_it_is_read(server: AbuseServer, client: httpx.Client) -> None:
    def requests() -> None:
        response = client.post("/v1/chat/completions", content=_chunks(200 * MiB), headers=JSON)
        assert_error(response, 413, code="request_too_large")

    server.run_case("200 MB body", requests)


def test_ten_different_20_mb_bodies_leave_no_memory_behind(server: AbuseServer, client: httpx.Client) -> None:
    def requests() -> None:
        for index in range(10):
            body = _chunks(20 * MiB, fill=bytes([ord("a") + index]))
            assert_error(client.post("/v1/chat/completions", content=body, headers=JSON), 413)

    server.run_case("ten 20 MB bodies", requests)


def test_a_body_of_tiny_json_values_is_parsed_off_the_event_loop(
    server: AbuseServer, client: httpx.Client
) -> None:
    # ~1.3 million empty objects just under the 4 MiB limit: seconds of decoding, none of it on the loop.
    junk = json.dumps({**CHAT, "junk": [{}] * 1_300_000}, separators=(",", ":")).encode()
    assert 3 * MiB < len(junk) < 4 * MiB

    def requests() -> None:
        response = client.post("/v1/chat/completions", content=junk, headers=JSON)
        assert response.status_code == 200, response.text[:300]

    server.run_case("4 MiB of tiny values", requests)


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"content-type": "text/plain"}, 415, "unsupported_media_type"),
        ({"content-type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
        ({}, 415, "unsupported_media_type"),
        ({"content-type": "application/json", "origin": "https://evil.example"}, 403, "origin_not_allowed"),
        ({"content-type": "application/json", "origin": "null"}, 403, "origin_not_allowed"),
    ],
)
def test_what_a_web_page_could_send_is_refused(
    server: AbuseServer, client: httpx.Client, headers: dict[str, str], status: int, code: str
) -> None:
    def requests() -> None:
        response = client.post("/v1/chat/completions", content=json.dumps(CHAT).encode(), headers=headers)
        assert_error(response, status, code=code)

    server.run_case(f"browser request {headers}", requests)


def test_a_page_on_this_machine_may_call(server: AbuseServer, client: httpx.Client) -> None:
    def requests() -> None:
        for origin in ("http://localhost:3000", "http://127.0.0.1:8080", "http://[::1]"):
            response = client.post("/v1/chat/completions", json=CHAT, headers={"origin": origin})
            assert response.status_code == 200, (origin, response.text)

    server.run_case("loopback origin", requests)


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/messages"])
def test_a_1_mb_header_line_gets_431_and_the_rest_is_dropped(server: AbuseServer, path: str) -> None:
    parts = urlsplit(server.base)

    def requests() -> None:
        with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nX-Big: ".encode() + b"a" * MiB)
            sock.shutdown(socket.SHUT_WR)
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 431 "), reply[:200]
        document = json.loads(reply.partition(b"\r\n\r\n")[2])
        if path == "/v1/messages":  # the route's own error shape, as for every other refusal
            assert document["type"] == "error" and document["error"]["type"] == "invalid_request_error"
        else:
            assert document["error"]["code"] == "request_header_fields_too_large"

    server.run_case(f"1 MB header to {path}", requests)


def _stream_text(client: httpx.Client, path: str, body: dict[str, object]) -> str:
    with client.stream("POST", path, json=body) as response:
        assert response.status_code == 200
        return "".join(response.iter_text())


def _whole_chat(client: httpx.Client) -> None:
    reply = client.post("/v1/chat/completions", json={**CHAT, "max_tokens": 32768}).json()
    assert reply["usage"]["completion_tokens"] == 32768
    assert len(reply["choices"][0]["message"]["content"]) > 32768


def _streamed_chat(client: httpx.Client) -> None:
    text = _stream_text(client, "/v1/chat/completions", {**CHAT, "max_tokens": 32768, "stream": True})
    assert text.count('"delta":{"content":') == 32768 and text.endswith("data: [DONE]\n\n")


def _streamed_responses(client: httpx.Client) -> None:
    text = _stream_text(
        client, "/v1/responses", {"model": "m", "input": "hi", "max_output_tokens": 32768, "stream": True}
    )
    assert text.count("event: response.output_text.delta") == 32768
    assert '"output_tokens":32768' in text.rsplit("event: response.incomplete", 1)[1]


MESSAGE = {**CHAT, "max_tokens": 32768}
ANTHROPIC = {"anthropic-version": "2023-06-01"}


def _whole_message(client: httpx.Client) -> None:
    reply = client.post("/v1/messages", json=MESSAGE, headers=ANTHROPIC).json()
    assert reply["usage"]["output_tokens"] == 32768 and reply["stop_reason"] == "max_tokens"
    assert len(reply["content"][0]["text"].split()) == 32768


def _streamed_message(client: httpx.Client) -> None:
    with client.stream(
        "POST", "/v1/messages", json={**MESSAGE, "stream": True}, headers=ANTHROPIC
    ) as response:
        assert response.status_code == 200
        text = "".join(response.iter_text())
    assert text.count("event: content_block_delta") == 32768
    assert '"output_tokens":32768' in text.rsplit("event: message_delta", 1)[1]
    assert text.endswith('event: message_stop\ndata: {"type":"message_stop"}\n\n')


def _embeddings(client: httpx.Client) -> None:
    body = {"model": "e", "input": [f"input {i}" for i in range(2048)], "encoding_format": "base64"}
    reply = client.post("/v1/embeddings", json=body).json()
    assert [item["index"] for item in reply["data"]] == list(range(2048))


LARGE_ANSWERS: dict[str, Callable[[httpx.Client], None]] = {
    "whole chat": _whole_chat,
    "streamed chat": _streamed_chat,
    "streamed responses": _streamed_responses,
    "2,048 embeddings": _embeddings,
    "whole message": _whole_message,
    "streamed message": _streamed_message,
}


@pytest.mark.parametrize("name", sorted(LARGE_ANSWERS))
def test_the_largest_allowed_answers_are_served_in_bounded_memory(
    server: AbuseServer, client: httpx.Client, name: str
) -> None:
    server.run_case(name, lambda: LARGE_ANSWERS[name](client))
