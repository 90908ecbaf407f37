"""Bedrock Runtime replies: Converse's JSON and ConverseStream's events, InvokeModel's streamed chunks.

Streams are AWS event-stream messages (`fake_llm.event_stream`). ConverseStream sends `messageStart`,
`contentBlockDelta` x n, `contentBlockStop`, `messageStop`, `metadata`; InvokeModelWithResponseStream wraps
each of Anthropic's events (`fake_llm.anthropic_wire`) as a `chunk` whose `bytes` are the event's JSON.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Sequence

from fake_llm.anthropic_wire import MessagesRenderer, stop_reason
from fake_llm.event_stream import CONTENT_TYPE, event_headers, frame
from fake_llm.openai_wire import TokenChunks, escaped_text
from fake_llm.textgen import VOCABULARY, VOCABULARY_JSON

__all__ = ["ConverseRenderer", "InvokeStreamRenderer"]

_VOCABULARY_JSON_BYTES: tuple[bytes, ...] = tuple(w.encode() for w in VOCABULARY_JSON)
_MESSAGE_START = frame(event_headers("messageStart"), b'{"role":"assistant"}')
_DELTA_HEADERS = event_headers("contentBlockDelta")
_BLOCK_STOP = frame(event_headers("contentBlockStop"), b'{"contentBlockIndex":0}')
_MESSAGE_STOP_HEADERS = event_headers("messageStop")
_METADATA_HEADERS = event_headers("metadata")
_CHUNK_HEADERS = event_headers("chunk")
_MESSAGE_STOP = b'{"type":"message_stop"}'


def _usage(input_tokens: int, output_tokens: int) -> str:
    return (
        f'"usage":{{"inputTokens":{input_tokens},"outputTokens":{output_tokens},'
        f'"totalTokens":{input_tokens + output_tokens}}},"metrics":{{"latencyMs":0}}'
    )


class ConverseRenderer:
    """`Converse` and `ConverseStream` replies for one request (`metrics.latencyMs` is 0: the timing is in
    fake_llm's `x-fake-*` headers)."""

    content_type = CONTENT_TYPE
    _OPEN = '{"output":{"message":{"role":"assistant","content":[{"text":"'

    def __init__(self, *, request_id: str, prompt_tokens: int) -> None:
        self.prompt_tokens = prompt_tokens

    def _close(self, finish_reason: str, n_tokens: int) -> str:
        return (
            f'"}}]}}}},"stopReason":"{stop_reason(finish_reason)}",{_usage(self.prompt_tokens, n_tokens)}}}'
        )

    def full(self, tokens: Sequence[int], finish_reason: str) -> bytes:
        text = json.dumps("".join(VOCABULARY[t] for t in tokens))[1:-1]
        return (self._OPEN + text + self._close(finish_reason, len(tokens))).encode()

    def full_pieces(self, chunks: TokenChunks, n_tokens: int, finish_reason: str) -> Iterator[bytes]:
        """`full` for a reply too large to build at once (the same bytes, a piece at a time)."""
        yield self._OPEN.encode()
        for piece in escaped_text(chunks):
            yield piece.encode()
        yield self._close(finish_reason, n_tokens).encode()

    def stream_head(self) -> bytes:
        return _MESSAGE_START

    def stream_token(self, index: int, token: int) -> bytes:
        payload = b'{"contentBlockIndex":0,"delta":{"text":' + _VOCABULARY_JSON_BYTES[token] + b"}}"
        return frame(_DELTA_HEADERS, payload)

    def stream_tail(self, chunks: TokenChunks, n_tokens: int, finish_reason: str) -> tuple[bytes]:
        stop = frame(_MESSAGE_STOP_HEADERS, f'{{"stopReason":"{stop_reason(finish_reason)}"}}'.encode())
        metadata = frame(_METADATA_HEADERS, f"{{{_usage(self.prompt_tokens, n_tokens)}}}".encode())
        return (_BLOCK_STOP + stop + metadata,)


def _chunks(sse: bytes) -> Iterator[bytes]:
    """Each event of Anthropic's server-sent `sse` but pings, as a Bedrock `chunk` (its JSON in base64)."""
    for event in sse.split(b"\n\n"):
        name, _, data = event.partition(b"\ndata: ")
        if data and name != b"event: ping":
            yield frame(_CHUNK_HEADERS, b'{"bytes":"' + base64.b64encode(data) + b'"}')


class InvokeStreamRenderer:
    """`InvokeModelWithResponseStream` replies: Anthropic's Messages stream, one `chunk` event per event."""

    content_type = CONTENT_TYPE

    def __init__(self, messages: MessagesRenderer) -> None:
        self._messages = messages

    def full(self, tokens: Sequence[int], finish_reason: str) -> bytes:
        return self._messages.full(tokens, finish_reason)

    def full_pieces(self, chunks: TokenChunks, n_tokens: int, finish_reason: str) -> Iterator[bytes]:
        return self._messages.full_pieces(chunks, n_tokens, finish_reason)

    def stream_head(self) -> bytes:
        return b"".join(_chunks(self._messages.stream_head()))

    def stream_token(self, index: int, token: int) -> bytes:
        return b"".join(_chunks(self._messages.stream_token(index, token)))

    def stream_tail(self, chunks: TokenChunks, n_tokens: int, finish_reason: str) -> tuple[bytes]:
        """Anthropic's closing events; `message_stop` carries Bedrock's token counts, as on Bedrock."""
        (tail,) = self._messages.stream_tail(chunks, n_tokens, finish_reason)
        metrics = f'"inputTokenCount":{self._messages.prompt_tokens},"outputTokenCount":{n_tokens}'
        stop = f'{{"type":"message_stop","amazon-bedrock-invocationMetrics":{{{metrics}}}}}'.encode()
        return (b"".join(_chunks(tail.replace(_MESSAGE_STOP, stop))),)
