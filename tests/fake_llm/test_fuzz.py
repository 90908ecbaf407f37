"""Random requests against a real fake_llm: whatever a client sends, the answer is a 200 or a documented
4xx in the route's error shape (OpenAI's, or Anthropic's on `/v1/messages`), never a 5xx (unless a pin asked
for that fault), and `/health` stays within its budget during and after the run.

Hypothesis starts from a valid request for the route and sets, replaces or deletes a few fields (those the API
reads and unknown ones) with values of any type and size (integers up to 2**70, nested lists and objects);
it also sends raw bytes and `x-fake-*` pins. The run is deterministic (`derandomize`) and bounded (a fixed
number of examples against one server, a 10 s deadline per request).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fake_llm.abuse import AbuseServer, abuse_server

ROUTES = ("/v1/chat/completions", "/v1/responses", "/v1/embeddings", "/v1/messages")
DOCUMENTED_4XX = {400, 403, 404, 413, 415}
FIELDS = (
    "model", "messages", "input", "max_tokens", "max_completion_tokens", "max_output_tokens", "stream",
    "stream_options", "n", "dimensions", "encoding_format", "instructions", "system", "stop_sequences",
    "temperature",
)  # fmt: skip
EXAMPLES = 200
DELETE = object()

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=0, max_value=40),  # small counts, valid more often
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["fake-chat", "user", "float", "base64", ""]),
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["role", "content", "text", "type", "x"]), inner, max_size=4)
    ),
    max_leaves=12,
)
VALID: dict[str, dict[str, Any]] = {
    "/v1/chat/completions": {"model": "fake-chat", "messages": [{"role": "user", "content": "hi"}]},
    "/v1/responses": {"model": "fake-chat", "input": "hi"},
    "/v1/embeddings": {"model": "fake-embedding", "input": "hi", "dimensions": 8},
    "/v1/messages": {"model": "fake-chat", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]},
}
HEADERS = {"content-type": "application/json", "anthropic-version": "2023-06-01"}
COUNTS = ("max_tokens", "max_completion_tokens", "max_output_tokens", "n", "dimensions")
_edges = st.sampled_from([0, 1, 2, 255, 256, 257, 8192, 8193, 32768, 32769, 2**31, 2**63, 10**30, -1])


def _value_for(field: str) -> st.SearchStrategy[object]:
    """Any value, with numbers near the limits far more often for the fields that count something."""
    if field in COUNTS:
        return st.one_of(_edges, st.integers(min_value=-(2**70), max_value=2**70), _values)
    return _values | st.just(DELETE)


_known = st.sampled_from(FIELDS).flatmap(lambda field: st.tuples(st.just(field), _value_for(field)))
_changes = st.tuples(
    st.lists(_known, min_size=1, max_size=3).map(dict),
    st.dictionaries(st.text(max_size=8), _values, max_size=1),  # a field the API does not know
).map(lambda known_unknown: {**known_unknown[1], **known_unknown[0]})


def _document(route: str, changes: dict[str, object]) -> dict[str, object]:
    """The valid request for `route` with `changes` applied (DELETE removes a field)."""
    document = {**VALID[route], **changes}
    return {key: value for key, value in document.items() if value is not DELETE}


def _pin_values() -> st.SearchStrategy[str]:
    """Header pin values: garbage, edge numbers, and short real latencies (never a long wait or a hang)."""
    return st.one_of(
        st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=12),
        st.sampled_from(
            ["-1", "0", "nan", "inf", "1e309", "99999999999999999999", "1.5", "none", "500", "3600001"]
        ),
    ).filter(_harmless_pin)


def _harmless_pin(value: str) -> bool:
    if value.strip().lower() in ("hang", "trickle"):
        return False
    try:
        number = float(value)
    except ValueError:
        return True
    return not (math.isfinite(number) and 5 < number <= 3_600_000)  # at most 5 ms x 256 tokens


_pins = st.dictionaries(
    st.sampled_from(["x-fake-ttft-ms", "x-fake-itl-ms", "x-fake-output-tokens", "x-fake-fault"]),
    _pin_values(),
    max_size=2,
)
_documents = st.tuples(st.sampled_from(ROUTES), _changes).map(
    lambda route_changes: (route_changes[0], json.dumps(_document(*route_changes)).encode())
)
_raw = st.tuples(st.sampled_from(ROUTES), st.binary(max_size=64))
# Mostly documents (one in ten raw bytes): a valid request with a few fields changed reaches every check.
_bodies = st.integers(min_value=0, max_value=9).flatmap(lambda n: _raw if n == 0 else _documents)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AbuseServer]:
    with abuse_server(tmp_path_factory.mktemp("fuzz"), max_output_tokens=256) as running:
        yield running


def _check(route: str, response: httpx.Response, pinned_fault: str) -> None:
    status = response.status_code
    assert status == 200 or status in DOCUMENTED_4XX or str(status) == pinned_fault, (
        status,
        response.text[:300],
    )
    if status != 200:
        document: dict[str, Any] = json.loads(response.content)
        error: dict[str, Any] = document["error"]
        if route == "/v1/messages":
            assert document["type"] == "error" and set(error) == {"type", "message"}, document
        else:
            assert set(error) == {"message", "type", "param", "code"}, error
        assert error["message"], error
    elif response.headers["content-type"] == "application/json":
        json.loads(response.content)
    else:
        assert response.headers["content-type"] == "text/event-stream"
        assert response.text.startswith(("data: ", "event: ")), response.text[:200]


def test_any_request_gets_a_200_or_a_documented_4xx(server: AbuseServer, tmp_path: Path) -> None:
    client = httpx.Client(base_url=server.base, timeout=10)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request=_bodies, pins=_pins)
    def one_request(request: tuple[str, bytes], pins: dict[str, str]) -> None:
        route, body = request
        response = client.post(route, content=body, headers={**HEADERS, **pins})
        _check(route, response, pins.get("x-fake-fault", "").strip())

    with client:
        server.run_case(f"{EXAMPLES} random requests", one_request)
