"""OpenAI's request bodies in, typed jobs out; anything malformed or over a limit is a `BadRequest` (a 4xx).

Limits (`LimitsConfig`) are checked once per distinct body (`fake_llm.parse_cache`)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from fake_llm.config import LimitsConfig
from fake_llm.openai_wire import CompletionRenderer
from fake_llm.textgen import count_tokens

__all__ = [
    "MAX_MODEL_CHARS",
    "BadRequest",
    "ChatRequest",
    "CompletionRequest",
    "EmbeddingsRequest",
    "ResponsesRequest",
    "parse_json",
]

MAX_MODEL_CHARS = 256
"""Longest model id (it is echoed in every streamed chunk)."""
_COMPLETION_MAX_TOKENS = 16  # the legacy Completions API's default max_tokens
MAX_TOKEN_ID = 2**31 - 1
"""Largest token id in a pre-tokenised embeddings input."""
MAX_DIMENSIONS = 8192


class BadRequest(Exception):
    """A client error; becomes a 4xx whose body is in the route's shape (OpenAI's or Anthropic's: the
    engine asks the route's `fake_llm.dialects` entry to write it). Picklable with all its fields (large
    bodies are parsed in a helper process, `fake_llm.parse_worker`)."""

    def __init__(self, message: str, *, param: str | None = None, status: int = 400, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param
        self.status = status
        self.code = code

    def __reduce__(self) -> tuple[object, ...]:
        return (_bad_request, (self.message, self.param, self.status, self.code))


def _bad_request(message: str, param: str | None, status: int, code: str | None) -> BadRequest:
    return BadRequest(message, param=param, status=status, code=code)


def _too_deep(max_depth: int) -> BadRequest:
    return BadRequest(
        f"The JSON body is nested more than {max_depth} levels deep (fake_llm --max-json-depth).",
        code="invalid_json",
    )


def _deeper_than(document: object, max_depth: int) -> bool:
    """Whether arrays and objects nest more than `max_depth` levels (iterative: no recursion limit)."""
    stack: list[tuple[object, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return True
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return False


def parse_json(body: bytes, *, max_depth: int = 64) -> dict[str, object]:
    """The body as a JSON object; BadRequest if it is not one or nests deeper than `max_depth`.

    The depth is only measured when the body has more brackets than `max_depth` (one C-speed count), so a
    usual request pays nothing for it; the decoder's own RecursionError on absurd depths is a 400 too.
    """
    try:
        document = json.loads(body)
    except RecursionError:
        raise _too_deep(max_depth) from None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(
            "We could not parse the JSON body of your request. The body must be a JSON object.",
            code="invalid_json",
        ) from None
    if not isinstance(document, dict):
        raise BadRequest("The request body must be a JSON object.", code="invalid_json")
    if body.count(b"[") + body.count(b"{") > max_depth and _deeper_than(document, max_depth):
        raise _too_deep(max_depth)
    return document


def _model(doc: dict[str, object]) -> str:
    model = doc.get("model")
    if not isinstance(model, str) or not model:
        raise BadRequest("you must provide a model parameter (a non-empty string)", param="model")
    if len(model) > MAX_MODEL_CHARS:
        raise BadRequest(
            f"Invalid 'model': at most {MAX_MODEL_CHARS} characters, got {len(model)}.", param="model"
        )
    return model


def _shown(value: object) -> str:
    """A value as an error message quotes it: at most 60 characters (the JSON decoder caps integers at
    4,300 digits, so repr always works)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "..."


def _positive_int(doc: dict[str, object], *names: str, maximum: int, limit_flag: str = "") -> int | None:
    """The first of `names` present: an integer in [1, maximum]; BadRequest naming the field otherwise."""
    for name in names:
        value = doc.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise BadRequest(
                f"Invalid '{name}': expected an integer >= 1, got {_shown(value)}.",
                param=name,
                code="invalid_value",
            )
        if value > maximum:
            where = f" (fake_llm {limit_flag})" if limit_flag else ""
            raise BadRequest(
                f"Invalid '{name}': at most {maximum}{where}, got {_shown(value)}.",
                param=name,
                code="invalid_value",
            )
        return value
    return None


def _stream(doc: dict[str, object]) -> bool:
    stream = doc.get("stream", False)
    if stream is None:
        return False
    if not isinstance(stream, bool):
        raise BadRequest(f"Invalid 'stream': expected a boolean, got {stream!r}.", param="stream")
    return stream


def _one_choice_stream(doc: dict[str, object]) -> tuple[bool, bool]:
    """(stream, include_usage) of a request that may ask for one choice only (`n`)."""
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
    return stream, bool(options and options.get("include_usage"))


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
    def parse(cls, doc: dict[str, object], limits: LimitsConfig) -> ChatRequest:
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
        stream, include_usage = _one_choice_stream(doc)
        return cls(
            model=model,
            content_key=_content_key(messages),
            stream=stream,
            include_usage=include_usage,
            max_tokens=_positive_int(
                doc,
                "max_completion_tokens",
                "max_tokens",
                maximum=limits.max_output_tokens,
                limit_flag="--max-output-tokens",
            ),
            input_tokens=input_tokens,
        )


@dataclass(frozen=True, kw_only=True)
class CompletionRequest:
    """A validated legacy `/v1/completions` request: one prompt, `max_tokens` 16 unless given (the API's
    default)."""

    model: str
    content_key: bytes
    stream: bool
    include_usage: bool
    max_tokens: int | None
    input_tokens: int

    @classmethod
    def parse(cls, doc: dict[str, object], limits: LimitsConfig) -> CompletionRequest:
        model = _model(doc)
        prompt = doc.get("prompt")
        if isinstance(prompt, list) and len(prompt) == 1:
            prompt = prompt[0]
        if not isinstance(prompt, str):
            raise BadRequest(
                "Invalid 'prompt': fake_llm serves one prompt, a string (or a list of one string).",
                param="prompt",
            )
        stream, include_usage = _one_choice_stream(doc)
        max_tokens = _positive_int(
            doc, "max_tokens", maximum=limits.max_output_tokens, limit_flag="--max-output-tokens"
        )
        return cls(
            model=model,
            content_key=_content_key(prompt),
            stream=stream,
            include_usage=include_usage,
            max_tokens=_COMPLETION_MAX_TOKENS if max_tokens is None else max_tokens,
            input_tokens=count_tokens(prompt),
        )

    def renderer(self, request_id: str) -> CompletionRenderer:
        return CompletionRenderer(
            request_id=request_id,
            model=self.model,
            prompt_tokens=self.input_tokens,
            include_usage=self.include_usage,
        )


@dataclass(frozen=True, kw_only=True)
class ResponsesRequest:
    model: str
    content_key: bytes
    stream: bool
    max_tokens: int | None
    input_tokens: int

    @classmethod
    def parse(cls, doc: dict[str, object], limits: LimitsConfig) -> ResponsesRequest:
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
            max_tokens=_positive_int(
                doc, "max_output_tokens", maximum=limits.max_output_tokens, limit_flag="--max-output-tokens"
            ),
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
    def parse(cls, doc: dict[str, object], limits: LimitsConfig) -> EmbeddingsRequest:
        model = _model(doc)
        raw = doc.get("input")
        if isinstance(raw, str):
            items: list[object] = [raw]
        elif isinstance(raw, list) and raw:
            items = raw
            if all(_is_int(x) for x in items):
                items = [items]  # one pre-tokenised input
        else:
            raise BadRequest(_INPUT_SHAPE, param="input")
        if len(items) > limits.max_embedding_inputs:
            raise BadRequest(
                f"Invalid 'input': at most {limits.max_embedding_inputs} inputs per request "
                f"(fake_llm --max-embedding-inputs), got {len(items)}.",
                param="input",
                code="invalid_value",
            )
        texts: list[str] = []
        tokens = 0
        for index, item in enumerate(items):
            text, item_tokens = _embedding_input(item, index, limits.max_embedding_input_tokens)
            texts.append(text)
            tokens += item_tokens
        dimensions = _positive_int(doc, "dimensions", maximum=MAX_DIMENSIONS) or 1536
        fmt = doc.get("encoding_format") or "float"
        if fmt not in ("float", "base64"):
            raise BadRequest(
                f"Invalid 'encoding_format': 'float' or 'base64', got {_shown(fmt)}.", param="encoding_format"
            )
        return cls(
            model=model,
            texts=tuple(texts),
            dimensions=dimensions,
            base64=fmt == "base64",
            input_tokens=tokens,
        )


_INPUT_SHAPE = "'input' must be a string, an array of strings or token arrays."


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _embedding_input(item: object, index: int, max_tokens: int) -> tuple[str, int]:
    """One embeddings input as (text the vector is seeded from, estimated tokens); BadRequest if invalid.

    The length is checked before the elements, so an oversized token array costs nothing more to refuse.
    """
    if isinstance(item, str):
        if not item:
            raise BadRequest("'input' cannot contain an empty string.", param="input")
        tokens = count_tokens(item)
    elif isinstance(item, list) and item:
        tokens = len(item)
    else:
        raise BadRequest(_INPUT_SHAPE, param="input")
    if tokens > max_tokens:
        raise BadRequest(
            f"Invalid 'input[{index}]': at most {max_tokens} tokens per input "
            f"(fake_llm --max-embedding-input-tokens), got about {tokens}.",
            param="input",
            code="invalid_value",
        )
    if isinstance(item, str):
        return item, tokens
    assert isinstance(item, list)
    if not all(_is_int(x) for x in item):
        raise BadRequest(_INPUT_SHAPE, param="input")
    if not all(0 <= x <= MAX_TOKEN_ID for x in item):
        raise BadRequest(
            f"Invalid 'input[{index}]': token ids must be between 0 and {MAX_TOKEN_ID}.", param="input"
        )
    return " ".join(map(str, item)), tokens
