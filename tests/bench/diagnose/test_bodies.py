"""Bodies a real route accepts, from the schemas FastAPI writes for the models public services use: the
defaults sent (a `role = "user"` default the upstream needs), dicts and chat messages filled, bounds and
formats kept, realistic text where the field's name says what it holds."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from bench.diagnose.bodies import QUESTION, BodyError, candidates, value_for


class Message(BaseModel):
    role: str = "user"
    content: str


class Chat(BaseModel):
    model: str
    messages: list[Message]
    temperature: float | None = Field(1.0, ge=0, le=2)
    max_tokens: int | None = None
    metadata: dict[str, str]
    mode: Literal["fast", "slow"] = "fast"


class Proxy(BaseModel):
    api_key: str
    messages: list[dict[str, str]]


class Bounded(BaseModel):
    when: str = Field(json_schema_extra={"format": "date-time"})
    count: int = Field(gt=5, le=9)
    code: str = Field(min_length=12, max_length=16)
    email: str = Field(pattern=r"^[a-z]+@[a-z]+\.com$")


def _body_schema(model: type[BaseModel]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the document, the body's schema) as FastAPI writes them: models under components/schemas."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    document = {"components": {"schemas": {**schema.pop("$defs", {}), model.__name__: schema}}}
    return json.loads(json.dumps(document)), {"$ref": f"#/components/schemas/{model.__name__}"}


def test_defaults_are_sent_and_chat_messages_are_realistic() -> None:
    document, node = _body_schema(Chat)
    first, full, minimal = candidates(document, node)
    assert first == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": QUESTION}],
        "temperature": 1.0,
        "metadata": {"key": "example"},
        "mode": "fast",
    }
    assert full["max_tokens"] == 1 and full["temperature"] == 1.0
    assert minimal == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": QUESTION}],
        "metadata": {"key": "example"},
    }


def test_a_list_of_string_dicts_named_messages_is_a_chat() -> None:
    document, node = _body_schema(Proxy)
    (body,) = candidates(document, node)
    assert body == {"api_key": "example", "messages": [{"role": "user", "content": QUESTION}]}


def test_bounds_formats_lengths_and_patterns_are_kept() -> None:
    document, node = _body_schema(Bounded)
    (body,) = candidates(document, node)
    assert body["when"] == "2024-05-01T12:00:00Z"
    assert body["count"] == 6
    assert 12 <= len(body["code"]) <= 16
    assert body["email"] == "ada@example.com"
    Bounded.model_validate(body)


def test_values_follow_refs_unions_and_enums() -> None:
    schema = {"components": {"schemas": {"Mode": {"enum": ["fast", "slow"]}}}}
    assert value_for(schema, {"$ref": "#/components/schemas/Mode"}) == "fast"
    assert value_for(schema, {"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 5}]}) == 5
    assert value_for(schema, {"type": "array", "items": {"type": "boolean"}, "minItems": 2}) == [True, True]
    assert value_for(schema, {"type": "boolean"}, name="stream") is False
    assert value_for(schema, {"type": "string"}, name="prompt") == QUESTION


def test_a_reference_outside_the_document_is_refused_with_what_to_do() -> None:
    try:
        candidates({}, {"$ref": "other.json#/Thing"})
    except BodyError as exc:
        assert "outside the document: give it in --requests" in str(exc)
    else:
        raise AssertionError("expected a BodyError")
