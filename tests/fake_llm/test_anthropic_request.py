"""Anthropic request validation (pure logic): each mistake names its field in Anthropic's words."""

from __future__ import annotations

import json

import pytest

from fake_llm.anthropic_request import parse_messages
from fake_llm.parsing import BadRequest

GOOD = {"model": "claude-fake", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}


def _parse(document: dict[str, object]) -> object:
    return parse_messages(json.dumps(document).encode())


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
    assert not plain.stream and blocks.stream  # type: ignore[attr-defined]
    assert blocks.input_tokens > plain.input_tokens  # type: ignore[attr-defined]
    assert blocks.content_key != plain.content_key  # type: ignore[attr-defined]
