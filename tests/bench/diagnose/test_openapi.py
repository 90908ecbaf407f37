"""Requests from a FastAPI app's real OpenAPI schema: every operation, examples preferred, and the ones
that cannot be exercised listed with their reason."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Header
from pydantic import BaseModel, Field

from bench.diagnose.openapi import discover, example_value


class Item(BaseModel):
    name: str = Field(examples=["widget"])
    tags: list[str]
    price: float = 9.5
    note: str | None = None


class Order(BaseModel):
    item: Item
    quantity: int = Field(ge=3)


def _schema() -> dict[str, Any]:
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {}

    @app.get("/items/{item_id}")
    async def item(item_id: int, verbose: bool, page: int = 1) -> dict[str, str]:
        return {}

    @app.post("/orders")
    async def order(order: Order) -> dict[str, str]:
        return {}

    @app.delete("/admin")
    async def admin(x_token: str = Header()) -> dict[str, str]:
        return {}

    schema: dict[str, Any] = json.loads(json.dumps(app.openapi()))
    # An upload as FastAPI documents it (building one here would need python-multipart installed).
    upload = {
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {"type": "object"}}}}
    }
    paths = schema["paths"]
    schema["paths"] = {
        **{k: v for k, v in paths.items() if k != "/admin"},
        "/upload": {"post": upload},
        "/admin": paths["/admin"],
    }
    return schema


def test_every_operation_becomes_a_target_or_a_reason() -> None:
    targets, skipped = discover(_schema())
    assert [(t.method, t.path) for t in targets] == [
        ("GET", "/health"),
        ("GET", "/items/1?verbose=true"),
        ("POST", "/orders"),
    ]
    assert [(s.method, s.path) for s in skipped] == [("POST", "/upload"), ("DELETE", "/admin")]
    assert "multipart/form-data, not JSON" in skipped[0].reason
    assert "needs the header 'x-token'" in skipped[1].reason


def test_bodies_prefer_the_schemas_examples_and_defaults() -> None:
    targets, _ = discover(_schema())
    order = targets[2]
    assert order.has_body
    # Required properties only (the app fills its own defaults); an example wins over a synthesised value.
    assert order.json_body == {"item": {"name": "widget", "tags": ["string"]}, "quantity": 3}


def test_example_value_handles_refs_unions_and_enums() -> None:
    schema = {"components": {"schemas": {"Mode": {"enum": ["fast", "slow"]}}}}
    assert example_value(schema, {"$ref": "#/components/schemas/Mode"}) == "fast"
    assert example_value(schema, {"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 5}]}) == 5
    assert example_value(schema, {"type": "array", "items": {"type": "boolean"}, "minItems": 2}) == [
        True,
        True,
    ]
    assert example_value(
        schema, {"allOf": [{"properties": {"a": {"type": "number"}}}, {"properties": {"b": {}}}]}
    ) == {
        "a": 1.0,
        "b": "string",
    }
