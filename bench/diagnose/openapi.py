"""Requests from a FastAPI app's OpenAPI schema: every operation, bodies built from the schema.

Each operation becomes a `RequestTarget`: path parameters and required query parameters get a value,
a JSON body is built from its schema (required properties only: the app fills its own defaults),
always preferring what the schema itself offers — `examples`, `example`, `default`, `enum` — over
synthesised values (`"string"`, 1, 1.0, true, one array item, a number's `minimum`).
Operations that cannot be exercised (a multipart or form body, a body schema that cannot be satisfied,
a required header or cookie) are returned as `Unexercised` with the reason, never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from bench.diagnose.targets import RequestTarget, Unexercised

__all__ = ["discover", "example_value"]

_METHODS = ("get", "post", "put", "patch", "delete")
_MAX_DEPTH = 8


class _Unbuildable(Exception):
    pass


def discover(schema: Mapping[str, Any]) -> tuple[tuple[RequestTarget, ...], tuple[Unexercised, ...]]:
    """(targets, operations that cannot be exercised) for every operation of `schema`, in its order."""
    targets: list[RequestTarget] = []
    skipped: list[Unexercised] = []
    for path, item in (schema.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters", [])
        for method in _METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            name = str(operation.get("operationId") or f"{method.upper()} {path}")
            try:
                targets.append(_target(schema, path, method.upper(), name, operation, shared))
            except _Unbuildable as exc:
                skipped.append(Unexercised(method=method.upper(), path=path, name=name, reason=str(exc)))
    return tuple(targets), tuple(skipped)


def _target(
    schema: Mapping[str, Any], path: str, method: str, name: str, op: Mapping[str, Any], shared: list[Any]
) -> RequestTarget:
    url_path, query = path, {}
    for raw in [*shared, *op.get("parameters", [])]:
        param = _resolve(schema, raw)
        where, pname, required = param.get("in"), str(param.get("name", "")), bool(param.get("required"))
        if where == "path":
            value = _param_value(schema, param)
            url_path = url_path.replace("{" + pname + "}", quote(str(value), safe=""))
        elif where == "query" and required:
            query[pname] = _param_value(schema, param)
        elif where in ("header", "cookie") and required:
            raise _Unbuildable(f"needs the {where} '{pname}': give the request in --requests")
    if query:
        url_path += "?" + urlencode({k: _text(v) for k, v in query.items()})
    body, has_body = None, False
    request_body = op.get("requestBody")
    if isinstance(request_body, dict):
        request_body = _resolve(schema, request_body)
        content = request_body.get("content") or {}
        media = content.get("application/json")
        if media is None:
            if request_body.get("required"):
                kinds = ", ".join(sorted(content)) or "no media type"
                raise _Unbuildable(f"its body is {kinds}, not JSON: give the request in --requests")
        else:
            body, has_body = _media_example(schema, media), True
    return RequestTarget(method=method, path=url_path, name=name, json_body=body, has_body=has_body)


def _param_value(schema: Mapping[str, Any], param: Mapping[str, Any]) -> Any:
    if "example" in param:
        return param["example"]
    examples = param.get("examples")
    if isinstance(examples, dict) and examples:
        first = next(iter(examples.values()))
        if isinstance(first, dict) and "value" in first:
            return first["value"]
    return example_value(schema, param.get("schema") or {"type": "string"})


def _media_example(schema: Mapping[str, Any], media: Mapping[str, Any]) -> Any:
    if "example" in media:
        return media["example"]
    examples = media.get("examples")
    if isinstance(examples, dict) and examples:
        first = _resolve(schema, next(iter(examples.values())))
        if isinstance(first, dict) and "value" in first:
            return first["value"]
    return example_value(schema, media.get("schema") or {})


def example_value(schema: Mapping[str, Any], node: Any, depth: int = 0) -> Any:
    """A value valid for the JSON schema `node` (refs resolved against `schema`), preferring the
    schema's own examples and defaults.

    Raises:
        _Unbuildable: a schema nesting deeper than 8 levels (recursive models) or `not`-only schemas.
    """
    if depth > _MAX_DEPTH:
        raise _Unbuildable("its body schema nests too deep to build (recursive?): give it in --requests")
    node = _resolve(schema, node)
    if not isinstance(node, dict):
        return None
    for key in ("examples", "example", "default", "const"):
        if key in node:
            value = node[key]
            if key == "examples":
                if isinstance(value, list) and value:
                    return value[0]
                continue
            return value
    if isinstance(node.get("enum"), list) and node["enum"]:
        return node["enum"][0]
    for key in ("anyOf", "oneOf"):
        options = [o for o in node.get(key, []) if _resolve(schema, o).get("type") != "null"]
        if options:
            return example_value(schema, options[0], depth + 1)
    if "allOf" in node:
        merged: dict[str, Any] = {}
        for part in node["allOf"]:
            value = example_value(schema, part, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    return _typed_example(schema, node, depth)


def _typed_example(schema: Mapping[str, Any], node: Mapping[str, Any], depth: int) -> Any:
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in node:
        props = node.get("properties") or {}
        required = set(node.get("required") or props)
        return {k: example_value(schema, v, depth + 1) for k, v in props.items() if k in required}
    if kind == "array":
        count = max(int(node.get("minItems", 1)), 1)
        return [example_value(schema, node.get("items") or {}, depth + 1) for _ in range(count)]
    if kind == "integer":
        return int(max(node.get("minimum", 1), 1))
    if kind == "number":
        return float(max(node.get("minimum", 1.0), 1.0))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    if kind == "string" or not kind:
        return "x" * max(int(node.get("minLength", 0)), 0) if node.get("minLength") else "string"
    return None


def _resolve(schema: Mapping[str, Any], node: Any) -> Any:
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < _MAX_DEPTH:
        ref = str(node["$ref"])
        if not ref.startswith("#/"):
            raise _Unbuildable(f"its schema refers to {ref} outside the document: give it in --requests")
        target: Any = schema
        for part in ref[2:].split("/"):
            target = (
                target.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(target, dict) else {}
            )
        node, seen = target, seen + 1
    return node


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
