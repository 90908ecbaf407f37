"""Gemini API replies on the wire: a GenerateContentResponse, its SSE chunks, embeddings and token counts.

The same renderer interface as `fake_llm.openai_wire`; a streamed token is two concatenations around a
pre-escaped word, and each chunk is `data: {GenerateContentResponse}` with `\\r\\n\\r\\n`, as the real API
writes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from fake_llm.openai_wire import TokenChunks, escaped_text
from fake_llm.textgen import VOCABULARY, VOCABULARY_JSON, embedding

__all__ = ["GeminiRenderer", "count_pieces", "embed_pieces", "finish_reason"]

_VOCABULARY_JSON_BYTES: tuple[bytes, ...] = tuple(w.encode() for w in VOCABULARY_JSON)
_FINISH_REASONS = {"stop": "STOP", "length": "MAX_TOKENS"}


def finish_reason(engine_reason: str) -> str:
    """Gemini's `finishReason` for the engine's finish reason ("stop" or "length")."""
    return _FINISH_REASONS[engine_reason]


def _dumps(document: object) -> str:
    return json.dumps(document, separators=(",", ":"))


class GeminiRenderer:
    """`:generateContent` and `:streamGenerateContent?alt=sse` replies for one request."""

    content_type = b"text/event-stream"

    def __init__(self, *, request_id: str, model: str, prompt_tokens: int) -> None:
        self.response_id = request_id.removeprefix("chatcmpl-")
        self.model = model
        self.prompt_tokens = prompt_tokens
        self._token_prefix = self._token_suffix = b""

    def _usage(self, n_tokens: int | None) -> str:
        p = self.prompt_tokens
        counts = f'"promptTokenCount":{p}'
        if n_tokens is not None:
            counts += f',"candidatesTokenCount":{n_tokens}'
        total = p + (n_tokens or 0)
        details = f'"promptTokensDetails":[{{"modality":"TEXT","tokenCount":{p}}}]'
        return f'"usageMetadata":{{{counts},"totalTokenCount":{total},{details}}}'

    def _open(self) -> str:
        return '{"candidates":[{"content":{"parts":[{"text":"'

    def _close(self, reason: str | None, n_tokens: int | None) -> str:
        finish = f',"finishReason":"{finish_reason(reason)}"' if reason is not None else ""
        return (
            f'"}}],"role":"model"}}{finish},"index":0}}],{self._usage(n_tokens)},'
            f'"modelVersion":{_dumps(self.model)},"responseId":"{self.response_id}"}}'
        )

    def full(self, tokens: Sequence[int], finish_reason: str) -> bytes:
        text = _dumps("".join(VOCABULARY[t] for t in tokens))[1:-1]
        return (self._open() + text + self._close(finish_reason, len(tokens))).encode()

    def full_pieces(self, chunks: TokenChunks, n_tokens: int, finish_reason: str) -> Iterator[bytes]:
        """`full` for a reply too large to build at once (the same bytes, a piece at a time)."""
        yield self._open().encode()
        for piece in escaped_text(chunks):
            yield piece.encode()
        yield self._close(finish_reason, n_tokens).encode()

    def stream_head(self) -> bytes:
        # Built once per stream; the token sits between the two halves of a chunk with no finish reason.
        prefix, _, suffix = f"data: {self._open()}\x00{self._close(None, None)}\r\n\r\n".partition('"\x00"')
        self._token_prefix = prefix.encode()
        self._token_suffix = suffix.encode()
        return b""

    def stream_token(self, index: int, token: int) -> bytes:
        return self._token_prefix + _VOCABULARY_JSON_BYTES[token] + self._token_suffix

    def stream_tail(self, chunks: TokenChunks, n_tokens: int, finish_reason: str) -> tuple[bytes]:
        """The last chunk: no text, the finish reason and the whole usage."""
        return (f"data: {self._open()}{self._close(finish_reason, n_tokens)}\r\n\r\n".encode(),)


def embed_pieces(seed: int, texts: Sequence[str], dimensions: int, *, batch: bool) -> Iterator[bytes]:
    """`{"embeddings": [{"values": [...]}, ...]}` (`:batchEmbedContents`) or `{"embedding": {...}}`, one
    vector per piece (each generated only when its piece is due)."""
    yield b'{"embeddings":[' if batch else b'{"embedding":'
    for index, text in enumerate(texts):
        comma = "," if index else ""
        yield f'{comma}{{"values":{_dumps(embedding(seed, text, dimensions))}}}'.encode()
    yield b"]}" if batch else b"}"


def count_pieces(total_tokens: int) -> Iterator[bytes]:
    """The `:countTokens` reply."""
    details = f'[{{"modality":"TEXT","tokenCount":{total_tokens}}}]'
    yield f'{{"totalTokens":{total_tokens},"promptTokensDetails":{details}}}'.encode()
