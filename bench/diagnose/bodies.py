"""Request bodies and parameter values from JSON Schema, built to be accepted by a real route.

`candidates`: the schema's example, then defaults filled in, then every field, then the required ones;
values respect types, formats and bounds, and are realistic where a field's name says what it holds.
Why not Schemathesis or hypothesis-jsonschema: docs/diagnose.md, "Which requests".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

__all__ = ["BodyError", "Mode", "candidates", "value_for"]

Mode = Literal["defaults", "full", "minimal"]
_MAX_DEPTH = 8
QUESTION = "What is the capital of France? Answer in one sentence."
_TEXT_NAMES = re.compile(
    r"(^|_)(prompt|question|query|message|msg|content|text|input|instruction|instructions|task|topic|"
    r"request|q|ask|user_input|user_message|body|description|context|document|passage)s?$"
)
_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(^|_)role$"), "user"),
    (re.compile(r"(^|_)(system|system_prompt|persona)$"), "You are a helpful assistant."),
    (re.compile(r"(^|_)(model|model_name|deployment)$"), "gpt-4o-mini"),
    (re.compile(r"(^|_)(lang|language|locale)$"), "en"),
    (re.compile(r"(^|_)(name|username|user|author|title)$"), "Ada Lovelace"),
    (re.compile(r"(^|_)(email|mail)$"), "ada@example.com"),
    (re.compile(r"(^|_)(url|link|website|uri)$"), "https://example.com/"),
)
_CHAT_NAMES = re.compile(r"(^|_)(messages|history|conversation|chat_history|chat|turns)$")
_FORMATS = {
    "date-time": "2024-05-01T12:00:00Z",
    "date": "2024-05-01",
    "time": "12:00:00",
    "email": "ada@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "123e4567-e89b-12d3-a456-426614174000",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
    "hostname": "example.com",
    "duration": "P1D",
}


class BodyError(Exception):
    """A schema that cannot be satisfied by a built value (the message says why, and what to do)."""


def candidates(schema: Mapping[str, Any], node: Any) -> tuple[Any, ...]:
    """The bodies to try for the schema `node` (refs resolved against the document `schema`), most
    likely accepted first, each once.

    Raises:
        BodyError: a recursive schema deeper than 8 levels, or a `$ref` outside the document.
    """
    found: list[Any] = []
    own = _own_value(resolve(schema, node))
    for value in (*own, *(value_for(schema, node, mode=m) for m in ("defaults", "full", "minimal"))):
        if value not in found:
            found.append(value)
    return tuple(found)


def value_for(schema: Mapping[str, Any], node: Any, *, mode: Mode = "defaults", name: str = "") -> Any:
    """One value valid for `node`; `name` is the field's name (realistic text for a `prompt`)."""
    return _value(schema, node, mode, name, 0)


def _own_value(node: Any) -> tuple[Any, ...]:
    """The schema's own value for `node` (`examples[0]`, `example`, `default`, `const`, `enum[0]`); a
    `None` default is no value (`Optional[int] = None` is filled like any int when it is sent)."""
    if not isinstance(node, dict):
        return ()
    examples = node.get("examples")
    if isinstance(examples, list) and examples:
        return (examples[0],)
    for key in ("example", "default", "const"):
        if key in node and node[key] is not None:
            return (node[key],)
    if isinstance(node.get("enum"), list) and node["enum"]:
        return (node["enum"][0],)
    return ()


def _value(schema: Mapping[str, Any], node: Any, mode: Mode, name: str, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise BodyError("its body schema nests too deep to build (recursive?): give it in --requests")
    node = resolve(schema, node)
    if not isinstance(node, dict):
        return None
    own = _own_value(node)
    if own:
        return own[0]
    for key in ("anyOf", "oneOf"):
        options = [o for o in node.get(key, []) if resolve(schema, o).get("type") != "null"]
        if options:
            return _value(schema, options[0], mode, name, depth + 1)
    if "allOf" in node:
        merged: dict[str, Any] = {}
        for part in node["allOf"]:
            value = _value(schema, part, mode, name, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    return _typed(schema, node, mode, name, depth)


def _typed(schema: Mapping[str, Any], node: Mapping[str, Any], mode: Mode, name: str, depth: int) -> Any:
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in node or "additionalProperties" in node:
        return _object(schema, node, mode, depth)
    if kind == "array":
        return _array(schema, node, mode, name, depth)
    if kind in ("integer", "number"):
        return _number(node, integer=kind == "integer")
    if kind == "boolean":
        return re.search(r"(^|_)stream(ing)?$", name) is None  # prefer a whole answer to a stream
    if kind == "null":
        return None
    return _string(node, name)


def _object(schema: Mapping[str, Any], node: Mapping[str, Any], mode: Mode, depth: int) -> dict[str, Any]:
    props: Mapping[str, Any] = node.get("properties") or {}
    required = set(node.get("required") or ())
    built: dict[str, Any] = {}
    for key, sub in props.items():
        resolved = resolve(schema, sub)
        wanted = (
            key in required
            or mode == "full"
            or (mode == "defaults" and isinstance(resolved, dict) and resolved.get("default") is not None)
        )
        if wanted:
            built[key] = _value(schema, sub, mode, key, depth + 1)
    extra = node.get("additionalProperties")
    if not props and isinstance(extra, dict):
        built["key"] = _value(schema, extra, mode, "", depth + 1)
    return built


def _array(
    schema: Mapping[str, Any], node: Mapping[str, Any], mode: Mode, name: str, depth: int
) -> list[Any]:
    count = max(int(node.get("minItems", 1)), 1)
    items = node.get("items") or {}
    if _CHAT_NAMES.search(name):
        resolved = resolve(schema, items)
        props = resolved.get("properties") if isinstance(resolved, dict) else None
        if not props or {"role", "content"} <= set(props):
            message: dict[str, Any] = {"role": "user", "content": QUESTION}
            if props:
                message = {**_value(schema, items, mode, "", depth + 1), **message}
            return [message] * count
    return [_value(schema, items, mode, _singular(name), depth + 1) for _ in range(count)]


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") else name


def _number(node: Mapping[str, Any], *, integer: bool) -> int | float:
    low = node.get("minimum", node.get("exclusiveMinimum"))
    high = node.get("maximum", node.get("exclusiveMaximum"))
    value: float = 1.0
    if low is not None and value <= low:
        value = low + (1 if "exclusiveMinimum" in node and "minimum" not in node else 0)
    if high is not None and value >= high:
        value = high - (1 if "exclusiveMaximum" in node and "maximum" not in node else 0)
        if low is not None and value < low:
            value = (low + high) / 2
    step = node.get("multipleOf")
    if step:
        value = max(step, round(value / step) * step)
    return int(value) if integer else float(value)


def _string(node: Mapping[str, Any], name: str) -> str:
    fmt = node.get("format")
    lowered = name.lower()
    if fmt in _FORMATS:
        text = _FORMATS[fmt]
    elif _TEXT_NAMES.search(lowered):
        text = QUESTION
    else:
        text = next((value for pattern, value in _HINTS if pattern.search(lowered)), "example")
    pattern = node.get("pattern")
    if isinstance(pattern, str) and not _matches(pattern, text):
        text = next(
            (t for t in ("example", "a", "1", "ada@example.com", "x" * 8) if _matches(pattern, t)), text
        )
    low, high = int(node.get("minLength", 0)), node.get("maxLength")
    if len(text) < low:
        text += "x" * (low - len(text))
    if isinstance(high, int) and len(text) > high:
        text = text[:high]
    return text


def _matches(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return True


def resolve(schema: Mapping[str, Any], node: Any) -> Any:
    """`node` with its `$ref`s followed inside `schema`.

    Raises:
        BodyError: a `$ref` outside the document.
    """
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < _MAX_DEPTH:
        ref = str(node["$ref"])
        if not ref.startswith("#/"):
            raise BodyError(f"its schema refers to {ref} outside the document: give it in --requests")
        target: Any = schema
        for part in ref[2:].split("/"):
            key = part.replace("~1", "/").replace("~0", "~")
            target = target.get(key, {}) if isinstance(target, dict) else {}
        node, seen = target, seen + 1
    return node
