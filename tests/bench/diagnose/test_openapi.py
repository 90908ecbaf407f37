"""Requests from a FastAPI app's real OpenAPI schema: every operation, examples preferred, the other
candidate bodies kept for the warm-up, forms urlencoded, and the ones that cannot be exercised listed with
their reason."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Header
from pydantic import BaseModel, Field

from bench.diagnose.openapi import discover
from bench.diagnose.targets import FORM


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
    assert "multipart/form-data, not JSON or a form" in skipped[0].reason
    assert "needs the header 'x-token': give it with --header" in skipped[1].reason


def test_bodies_fill_defaults_first_and_keep_the_other_candidates() -> None:
    targets, _ = discover(_schema())
    order = targets[2]
    assert order.has_body
    # Defaults filled in, an example over a synthesised value, a None default left out.
    assert order.json_body == {"item": {"name": "widget", "tags": ["example"], "price": 9.5}, "quantity": 3}
    # Then every optional field filled, then the required fields alone.
    assert order.alternatives == (
        {"item": {"name": "widget", "tags": ["example"], "price": 9.5, "note": "example"}, "quantity": 3},
        {"item": {"name": "widget", "tags": ["example"]}, "quantity": 3},
    )
    assert [v.json_body for v in order.variants()] == [order.json_body, *order.alternatives]


def test_a_form_body_is_built_and_urlencoded() -> None:
    form = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}
    operation = {"requestBody": {"required": True, "content": {FORM: {"schema": form}}}}
    (target,), _ = discover({"paths": {"/chat/complete": {"post": operation}}})
    assert target.request_headers()["content-type"] == FORM
    assert target.body_text == "text=What+is+the+capital+of+France%3F+Answer+in+one+sentence."
