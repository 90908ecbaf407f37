"""Requests from a FastAPI app's OpenAPI schema: every operation, bodies built from the schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from bench.diagnose.bodies import BodyError, candidates, resolve, value_for
from bench.diagnose.targets import FORM, RequestTarget, Unexercised

__all__ = ["discover"]

_METHODS = ("get", "post", "put", "patch", "delete")


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
            except BodyError as exc:
                skipped.append(Unexercised(method=method.upper(), path=path, name=name, reason=str(exc)))
    return tuple(targets), tuple(skipped)


def _target(
    schema: Mapping[str, Any], path: str, method: str, name: str, op: Mapping[str, Any], shared: list[Any]
) -> RequestTarget:
    url_path, query = path, {}
    for raw in [*shared, *op.get("parameters", [])]:
        param = resolve(schema, raw)
        where, pname, required = param.get("in"), str(param.get("name", "")), bool(param.get("required"))
        if where == "path":
            value = _param_value(schema, param)
            url_path = url_path.replace("{" + pname + "}", quote(_text(value), safe=""))
        elif where == "query" and required:
            query[pname] = _param_value(schema, param)
        elif where in ("header", "cookie") and required:
            raise BodyError(f"needs the {where} '{pname}': give it with --header or in --requests")
    if query:
        url_path += "?" + urlencode({k: _text(v) for k, v in query.items()})
    target = RequestTarget(method=method, path=url_path, name=name)
    request_body = op.get("requestBody")
    if not isinstance(request_body, dict):
        return target
    request_body = resolve(schema, request_body)
    content = request_body.get("content") or {}
    media_type = next((m for m in ("application/json", FORM) if m in content), None)
    if media_type is None:
        if request_body.get("required"):
            kinds = ", ".join(sorted(content)) or "no media type"
            raise BodyError(f"its body is {kinds}, not JSON or a form: give the request in --requests")
        return target
    bodies = _media_bodies(schema, content[media_type])
    return RequestTarget(
        method=method,
        path=url_path,
        name=name,
        json_body=bodies[0],
        has_body=True,
        content_type=media_type,
        alternatives=bodies[1:],
    )


def _param_value(schema: Mapping[str, Any], param: Mapping[str, Any]) -> Any:
    if "example" in param:
        return param["example"]
    examples = param.get("examples")
    if isinstance(examples, dict) and examples:
        first = next(iter(examples.values()))
        if isinstance(first, dict) and "value" in first:
            return first["value"]
    return value_for(schema, param.get("schema") or {"type": "string"}, name=str(param.get("name", "")))


def _media_bodies(schema: Mapping[str, Any], media: Mapping[str, Any]) -> tuple[Any, ...]:
    """The media type's own example first, then the schema's candidates."""
    own: list[Any] = []
    if "example" in media:
        own.append(media["example"])
    examples = media.get("examples")
    if isinstance(examples, dict) and examples:
        first = resolve(schema, next(iter(examples.values())))
        if isinstance(first, dict) and "value" in first:
            own.append(first["value"])
    built = candidates(schema, media.get("schema") or {})
    return _unique([*own, *built])


def _unique(values: list[Any]) -> tuple[Any, ...]:
    found: list[Any] = []
    for value in values:
        if value not in found:
            found.append(value)
    return tuple(found)


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
