"""Gemini API bodies in, typed jobs out; mistakes become 400s in Google's words, within the server's limits.

Fields are read in either JSON spelling protobuf accepts (`maxOutputTokens` or `max_output_tokens`). The
model is the URL's (`fake_llm.gemini`): the engine puts it in place of the empty one parsed here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from fake_llm.config import LimitsConfig
from fake_llm.gemini_wire import GeminiRenderer, count_pieces, embed_pieces
from fake_llm.parsing import MAX_DIMENSIONS, BadRequest, EmbeddingsRequest
from fake_llm.textgen import count_tokens

__all__ = ["GeminiEmbedRequest", "GenerateRequest"]

_ROLES = ("user", "model")
DEFAULT_DIMENSIONS = 768


def _field(doc: dict[str, object], camel: str, snake: str) -> object:
    value = doc.get(camel)
    return doc.get(snake) if value is None else value


def _invalid(where: str, problem: str) -> BadRequest:
    return BadRequest(f"* {where}: {problem}", param=where)


def _content_text(content: object, where: str) -> str:
    """The text of a Content (`{"role", "parts": [{"text"} | {"inlineData"} | ...]}`)."""
    if not isinstance(content, dict):
        raise _invalid(where, "a Content must be an object with 'parts'")
    role = content.get("role")
    if role is not None and role not in _ROLES:
        raise _invalid(f"{where}.role", "Please use a valid role: user, model.")
    parts = content.get("parts")
    if not isinstance(parts, list) or not parts:
        raise _invalid(f"{where}.parts", "contents.parts must not be empty.")
    texts = []
    for i, part in enumerate(parts):
        if not isinstance(part, dict):
            raise _invalid(f"{where}.parts[{i}]", "a Part must be an object")
        text = part.get("text")
        if text is not None and not isinstance(text, str):
            raise _invalid(f"{where}.parts[{i}].text", "Invalid value, expected a string")
        texts.append(text or "")  # inlineData, functionCall, ...: accepted, not counted
    return " ".join(texts)


def _contents_tokens(doc: dict[str, object], request: str) -> int:
    contents = doc.get("contents")
    if not isinstance(contents, list) or not contents:
        raise _invalid(f"{request}.contents", "contents is not specified")
    return sum(count_tokens(_content_text(c, f"{request}.contents[{i}]")) for i, c in enumerate(contents))


def _number(config: dict[str, object], camel: str, snake: str, low: float, high: float) -> None:
    value = _field(config, camel, snake)
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high
    ):
        raise _invalid(f"generation_config.{snake}", f"must be a number between {low:g} and {high:g}")


def _max_output_tokens(doc: dict[str, object], limits: LimitsConfig) -> int | None:
    config = _field(doc, "generationConfig", "generation_config")
    if config is None:
        return None
    if not isinstance(config, dict):
        raise _invalid("generation_config", "Invalid value, expected an object")
    candidates = _field(config, "candidateCount", "candidate_count")
    if candidates not in (None, 1):
        raise _invalid("generation_config.candidate_count", "only 1 candidate is supported by fake_llm")
    _number(config, "temperature", "temperature", 0, 2)
    _number(config, "topP", "top_p", 0, 1)
    value = _field(config, "maxOutputTokens", "max_output_tokens")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _invalid("generation_config.max_output_tokens", "max_output_tokens must be positive.")
    if value > limits.max_output_tokens:
        raise _invalid(
            "generation_config.max_output_tokens",
            f"at most {limits.max_output_tokens} (fake_llm --max-output-tokens), got {value}",
        )
    return value


@dataclass(frozen=True, kw_only=True)
class GenerateRequest:
    """A validated `:generateContent` or `:streamGenerateContent` (the stream is the URL's choice)."""

    model: str
    content_key: bytes
    stream: bool
    max_tokens: int | None
    input_tokens: int

    @classmethod
    def parse(cls, doc: dict[str, object], limits: LimitsConfig, *, stream: bool) -> GenerateRequest:
        """The request in the decoded body `doc`; raises BadRequest naming the field, in Google's words."""
        tokens = _contents_tokens(doc, "GenerateContentRequest")
        system = _field(doc, "systemInstruction", "system_instruction")
        if system is not None:
            tokens += count_tokens(_content_text(system, "GenerateContentRequest.system_instruction"))
        return cls(
            model="",
            # repr of the decoded JSON: stable for the same document, cheaper than re-serialising it.
            content_key=repr([system, doc["contents"]]).encode(),
            stream=stream,
            max_tokens=_max_output_tokens(doc, limits),
            input_tokens=tokens,
        )

    def renderer(self, request_id: str) -> GeminiRenderer:
        return GeminiRenderer(request_id=request_id, model=self.model, prompt_tokens=self.input_tokens)


def _embed_input(request: object, where: str, limits: LimitsConfig) -> tuple[str, int, int]:
    """(text, tokens, outputDimensionality) of one EmbedContentRequest."""
    if not isinstance(request, dict):
        raise _invalid(where, "an EmbedContentRequest must be an object")
    text = _content_text(request.get("content"), f"{where}.content")
    tokens = count_tokens(text)
    if tokens > limits.max_embedding_input_tokens:
        raise _invalid(
            f"{where}.content",
            f"at most {limits.max_embedding_input_tokens} tokens per input "
            f"(fake_llm --max-embedding-input-tokens), got about {tokens}",
        )
    dimensions = _field(request, "outputDimensionality", "output_dimensionality")
    if dimensions is None:
        return text, tokens, DEFAULT_DIMENSIONS
    if (
        isinstance(dimensions, bool)
        or not isinstance(dimensions, int)
        or not 1 <= dimensions <= MAX_DIMENSIONS
    ):
        raise _invalid(f"{where}.output_dimensionality", f"must be an integer between 1 and {MAX_DIMENSIONS}")
    return text, tokens, dimensions


@dataclass(frozen=True, kw_only=True)
class GeminiEmbedRequest(EmbeddingsRequest):
    """`:batchEmbedContents`, `:embedContent` or `:countTokens`: answered whole, with no tokens.

    An `EmbeddingsRequest`, so the engine schedules it as one (`rtt + prefill + ttft`); `pieces` is its reply.
    """

    method: Literal["batch", "single", "count"]

    @classmethod
    def parse(
        cls, doc: dict[str, object], limits: LimitsConfig, *, method: str = "batch"
    ) -> GeminiEmbedRequest:
        if method == "count":
            inner = _field(doc, "generateContentRequest", "generate_content_request")
            tokens = _contents_tokens(inner if isinstance(inner, dict) else doc, "CountTokensRequest")
            return cls(model="", texts=(), dimensions=0, base64=False, input_tokens=tokens, method="count")
        requests = doc.get("requests") if method == "batch" else [doc]
        if not isinstance(requests, list) or not requests:
            raise _invalid("BatchEmbedContentsRequest.requests", "requests is not specified")
        if len(requests) > limits.max_embedding_inputs:
            raise _invalid(
                "BatchEmbedContentsRequest.requests",
                f"at most {limits.max_embedding_inputs} requests per batch "
                f"(fake_llm --max-embedding-inputs), got {len(requests)}",
            )
        inputs = [_embed_input(r, f"requests[{i}]", limits) for i, r in enumerate(requests)]
        dimensions = {d for _, _, d in inputs}
        if len(dimensions) > 1:
            raise _invalid("requests", "fake_llm needs the same output_dimensionality for every request")
        return cls(
            model="",
            texts=tuple(text for text, _, _ in inputs),
            dimensions=dimensions.pop(),
            base64=False,
            input_tokens=sum(tokens for _, tokens, _ in inputs),
            method="batch" if method == "batch" else "single",
        )

    def pieces(self, seed: int) -> Iterator[bytes]:
        """The reply, generated a piece at a time (one vector per piece)."""
        if self.method == "count":
            return count_pieces(self.input_tokens)
        return embed_pieces(seed, self.texts, self.dimensions, batch=self.method == "batch")
