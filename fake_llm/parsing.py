"""Request bodies in, typed jobs out; anything malformed becomes a 400 in OpenAI's error shape.

Only what the latency model and the reply need is validated (model, messages/input, stream, max tokens),
with messages that name the field, as OpenAI's do.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Literal

from fake_llm.textgen import count_tokens

__all__ = [
    "BadRequest",
    "ChatRequest",
    "EmbeddingsRequest",
    "ResponsesRequest",
    "parse_json",
    "parse_request",
]


class BadRequest(Exception):
    """A client error; becomes a 4xx with OpenAI's error body."""

    def __init__(self, message: str, *, param: str | None = None, status: int = 400, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param
        self.status = status
        self.code = code


def parse_json(body: bytes) -> dict[str, object]:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(
            "We could not parse the JSON body of your request. The body must be a JSON object.",
            code="invalid_json",
        ) from None
    if not isinstance(document, dict):
        raise BadRequest("The request body must be a JSON object.", code="invalid_json")
    return document


def _model(doc: dict[str, object]) -> str:
    model = doc.get("model")
    if not isinstance(model, str) or not model:
        raise BadRequest("you must provide a model parameter (a non-empty string)", param="model")
    return model


def _positive_int(doc: dict[str, object], *names: str) -> int | None:
    for name in names:
        value = doc.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise BadRequest(f"Invalid '{name}': expected an integer >= 1, got {value!r}.", param=name)
        return value
    return None


def _stream(doc: dict[str, object]) -> bool:
    stream = doc.get("stream", False)
    if stream is None:
        return False
    if not isinstance(stream, bool):
        raise BadRequest(f"Invalid 'stream': expected a boolean, got {stream!r}.", param="stream")
    return stream


def _content_text(content: object, param: str) -> str:
    """Text of a message content: a string, or a list of parts with "text"."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if not isinstance(part, dict):
                raise BadRequest(f"Invalid '{param}': content parts must be objects.", param=param)
            text = part.get("text", "")
            texts.append(text if isinstance(text, str) else "")
        return " ".join(texts)
    raise BadRequest(f"Invalid '{param}': expected a string or a list of content parts.", param=param)


def _content_key(content: object) -> bytes:
    """What generated text depends on: the prompt, not options such as `stream` or `max_tokens`.

    repr of the decoded JSON is stable for the same document and much cheaper than re-serialising it.
    """
    return repr(content).encode()


@dataclass(frozen=True, kw_only=True)
class ChatRequest:
    model: str
    content_key: bytes
    stream: bool
    include_usage: bool
    max_tokens: int | None
    input_tokens: int

    @classmethod
    def parse(cls, doc: dict[str, object]) -> ChatRequest:
        model = _model(doc)
        messages = doc.get("messages")
        if not isinstance(messages, list) or not messages:
            raise BadRequest("'messages' must be a non-empty array of messages.", param="messages")
        input_tokens = 3
        for i, message in enumerate(messages):
            if not isinstance(message, dict) or not isinstance(message.get("role"), str):
                raise BadRequest(
                    f"Invalid 'messages[{i}]': each message needs a string 'role'.", param="messages"
                )
            input_tokens += 3 + count_tokens(_content_text(message.get("content"), f"messages[{i}].content"))
        n = doc.get("n")
        if n not in (None, 1):
            raise BadRequest("Only n=1 is supported by the fake LLM.", param="n")
        options = doc.get("stream_options")
        if options is not None and not isinstance(options, dict):
            raise BadRequest("Invalid 'stream_options': expected an object.", param="stream_options")
        stream = _stream(doc)
        if options is not None and not stream:
            raise BadRequest(
                "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                param="stream_options",
            )
        return cls(
            model=model,
            content_key=_content_key(messages),
            stream=stream,
            include_usage=bool(options and options.get("include_usage")),
            max_tokens=_positive_int(doc, "max_completion_tokens", "max_tokens"),
            input_tokens=input_tokens,
        )


@dataclass(frozen=True, kw_only=True)
class ResponsesRequest:
    model: str
    content_key: bytes
    stream: bool
    max_tokens: int | None
    input_tokens: int

    @classmethod
    def parse(cls, doc: dict[str, object]) -> ResponsesRequest:
        model = _model(doc)
        raw = doc.get("input")
        if isinstance(raw, str):
            text = raw
        elif isinstance(raw, list) and raw:
            parts = []
            for i, item in enumerate(raw):
                if not isinstance(item, dict):
                    raise BadRequest(f"Invalid 'input[{i}]': expected an object.", param="input")
                parts.append(_content_text(item.get("content"), f"input[{i}].content"))
            text = " ".join(parts)
        else:
            raise BadRequest("'input' must be a string or a non-empty array of input items.", param="input")
        instructions = doc.get("instructions")
        if instructions is not None and not isinstance(instructions, str):
            raise BadRequest("Invalid 'instructions': expected a string.", param="instructions")
        return cls(
            model=model,
            content_key=_content_key([raw, instructions]),
            stream=_stream(doc),
            max_tokens=_positive_int(doc, "max_output_tokens"),
            input_tokens=count_tokens(text) + count_tokens(instructions or ""),
        )


@dataclass(frozen=True, kw_only=True)
class EmbeddingsRequest:
    model: str
    texts: tuple[str, ...]
    dimensions: int
    base64: bool
    input_tokens: int

    @classmethod
    def parse(cls, doc: dict[str, object]) -> EmbeddingsRequest:
        model = _model(doc)
        raw = doc.get("input")
        if isinstance(raw, str):
            items: list[object] = [raw]
        elif isinstance(raw, list) and raw:
            items = list(raw)
            if all(isinstance(x, int) and not isinstance(x, bool) for x in items):
                items = [items]  # one pre-tokenised input
        else:
            raise BadRequest("'input' must be a string, an array of strings or token arrays.", param="input")
        texts: list[str] = []
        tokens = 0
        for item in items:
            if isinstance(item, str):
                if not item:
                    raise BadRequest("'input' cannot contain an empty string.", param="input")
                texts.append(item)
                tokens += count_tokens(item)
            elif isinstance(item, list) and item and all(isinstance(x, int) for x in item):
                texts.append(" ".join(map(str, item)))
                tokens += len(item)
            else:
                raise BadRequest(
                    "'input' must be a string, an array of strings or token arrays.", param="input"
                )
        dimensions = _positive_int(doc, "dimensions") or 1536
        if dimensions > 8192:
            raise BadRequest(f"Invalid 'dimensions': at most 8192, got {dimensions}.", param="dimensions")
        fmt = doc.get("encoding_format") or "float"
        if fmt not in ("float", "base64"):
            raise BadRequest(
                f"Invalid 'encoding_format': 'float' or 'base64', got {fmt!r}.", param="encoding_format"
            )
        return cls(
            model=model,
            texts=tuple(texts),
            dimensions=dimensions,
            base64=fmt == "base64",
            input_tokens=tokens,
        )


@functools.lru_cache(maxsize=1024)
def parse_request(
    route: Literal["chat.completions", "responses", "embeddings"], body: bytes
) -> ChatRequest | ResponsesRequest | EmbeddingsRequest:
    """Parse and validate a body for `route`; raises BadRequest.

    Cached by body: a load test repeats the same few bodies, and decoding plus validating them again was a
    fifth of the hot path. Results are frozen, errors are never cached.
    """
    document = parse_json(body)
    if route == "chat.completions":
        return ChatRequest.parse(document)
    if route == "responses":
        return ResponsesRequest.parse(document)
    return EmbeddingsRequest.parse(document)
