"""Anthropic request validation (pure logic): each mistake names its field in Anthropic's words."""

from __future__ import annotations

import json

import pytest

from fake_llm.anthropic_request import MessagesRequest
from fake_llm.config import LimitsConfig
from fake_llm.parsing import BadRequest
from fake_llm.routes import parse_request

GOOD = {"model": "claude-fake", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}


def _parse(document: dict[str, object], limits: LimitsConfig | None = None) -> MessagesRequest:
    request = parse_request("messages", json.dumps(document).encode(), limits or LimitsConfig())
    assert isinstance(request, MessagesRequest)
    return request


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"model": None}, "model: Field required"),
        ({"max_tokens": None}, "max_tokens: Field required"),
        ({"max_tokens": 0}, "max_tokens: Input should be greater than or equal to 1"),
        ({"max_tokens": True}, "max_tokens: Input should be a valid integer"),
        ({"messages": None}, "messages: Field required"),
        ({"messages": []}, "messages: at least one message is required"),
        ({"messages": [{"role": "system", "content": "x"}]}, 'Unexpected role "system"'),
        (
            {"messages": [{"role": "tool", "content": "x"}]},
            "messages.0.role: Input should be 'user' or 'assistant'",
        ),
        ({"messages": [{"role": "user"}]}, "messages.0.content: Field required"),
        (
            {"messages": [{"role": "user", "content": [{"text": "x"}]}]},
            "messages.0.content.0.type: Field required",
        ),
        ({"system": 3}, "system: Input should be a valid string or a list of content blocks"),
        ({"stream": "yes"}, "stream: Input should be a valid boolean"),
        ({"temperature": 1.5}, "temperature: Input should be a number between 0 and 1"),
    ],
)
def test_mistakes_name_the_field(change: dict[str, object], message: str) -> None:
    document = {key: value for key, value in {**GOOD, **change}.items() if value is not None}
    with pytest.raises(BadRequest) as caught:
        _parse(document)
    assert message in caught.value.message
    assert caught.value.status == 400


def test_blocks_system_and_stream_are_read() -> None:
    plain = _parse(GOOD)
    blocks = _parse(
        {
            **GOOD,
            "system": [{"type": "text", "text": "Be brief."}],
            "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "image"}]}],
            "stream": True,
        }
    )
    assert not plain.stream and blocks.stream
    assert blocks.input_tokens > plain.input_tokens
    assert blocks.content_key != plain.content_key


def test_max_tokens_is_held_to_the_output_limit_at_its_boundary() -> None:
    limits = LimitsConfig(max_output_tokens=100)
    assert _parse({**GOOD, "max_tokens": 100}, limits).max_tokens == 100
    with pytest.raises(BadRequest) as caught:
        _parse({**GOOD, "max_tokens": 101}, limits)
    assert caught.value.status == 400 and caught.value.param == "max_tokens"
    assert caught.value.message == (
        "max_tokens: Input should be less than or equal to 100 (fake_llm --max-output-tokens)"
    )


def test_json_depth_and_model_length_limits_apply_to_messages() -> None:
    nested: object = "x"
    for _ in range(10):
        nested = [nested]
    deep = {**GOOD, "metadata": nested}
    _parse(deep, LimitsConfig(max_json_depth=12))
    with pytest.raises(BadRequest, match="--max-json-depth"):
        _parse(deep, LimitsConfig(max_json_depth=8))
    with pytest.raises(BadRequest, match="model: String should have at most 256 characters"):
        _parse({**GOOD, "model": "m" * 257})
