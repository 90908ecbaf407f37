"""Anthropic's Messages API on the wire: a Message object, or its server-sent event sequence.

The same renderer interface as `fake_llm.openai_wire`, so the engine schedules Anthropic replies exactly as
OpenAI's."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Sequence

from fake_llm.openai_wire import TokenChunks, escaped_text
from fake_llm.textgen import VOCABULARY, VOCABULARY_JSON

__all__ = ["MessagesRenderer", "stop_reason"]

_VOCABULARY_JSON_BYTES: tuple[bytes, ...] = tuple(w.encode() for w in VOCABULARY_JSON)
_STOP_REASONS = {"stop": "end_turn", "length": "max_tokens"}
_DELTA_PREFIX = (
    b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
    b'"delta":{"type":"text_delta","text":'
)
_DELTA_SUFFIX = b"}}\n\n"
_BLOCK_START = (
    b'event: content_block_start\ndata: {"type":"content_block_start","index":0,'
    b'"content_block":{"type":"text","text":""}}\n\n'
    b'event: ping\ndata: {"type":"ping"}\n\n'
)
_BLOCK_STOP = b'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
_MESSAGE_STOP = b'event: message_stop\ndata: {"type":"message_stop"}\n\n'


def stop_reason(finish_reason: str) -> str:
    """Anthropic's `stop_reason` for the engine's finish reason ("stop" or "length")."""
    return _STOP_REASONS[finish_reason]


def _dumps(document: object) -> str:
    return json.dumps(document, separators=(",", ":"))


def _usage(input_tokens: int, output_tokens: int) -> str:
    return (
        f'{{"input_tokens":{input_tokens},"cache_creation_input_tokens":0,"cache_read_input_tokens":0,'
        f'"output_tokens":{output_tokens}}}'
    )


def _message_open(model: str) -> str:
    """A Message after its id, up to the opening quote of its text."""
    return f',"type":"message","role":"assistant","model":{_dumps(model)},"content":[{{"type":"text","text":"'


def _message_close(finish_reason: str, input_tokens: int, output_tokens: int) -> str:
    """A Message after the closing quote of its text."""
    return (
        f'"}}],"stop_reason":"{stop_reason(finish_reason)}","stop_sequence":null,'
        f'"usage":{_usage(input_tokens, output_tokens)}}}'
    )


@functools.lru_cache(maxsize=1024)
def _message_tail(model: str, tokens: tuple[int, ...], finish_reason: str, input_tokens: int) -> bytes:
    """A Message after its id: it repeats for a repeated prompt, so it is built once (see wire.py)."""
    text = _dumps("".join(VOCABULARY[t] for t in tokens))[1:-1]
    return (_message_open(model) + text + _message_close(finish_reason, input_tokens, len(tokens))).encode()


class MessagesRenderer:
    """`/v1/messages` replies for one request."""

    content_type = b"text/event-stream"

    def __init__(self, *, request_id: str, model: str, prompt_tokens: int) -> None:
        self.message_id = "msg_" + request_id.removeprefix("chatcmpl-")
        self.model = model
        self.prompt_tokens = prompt_tokens

    def full(self, tokens: Sequence[int], finish_reason: str) -> bytes:
        tail = _message_tail(self.model, tuple(tokens), finish_reason, self.prompt_tokens)
        return b'{"id":"%s"%s' % (self.message_id.encode(), tail)

    def full_pieces(self, chunks: TokenChunks, n_tokens: int, finish_reason: str) -> Iterator[bytes]:
        """`full` for a reply too large to build at once (the same bytes, a piece at a time)."""
        yield f'{{"id":"{self.message_id}"{_message_open(self.model)}'.encode()
        for piece in escaped_text(chunks):
            yield piece.encode()
        yield _message_close(finish_reason, self.prompt_tokens, n_tokens).encode()

    def stream_head(self) -> bytes:
        # The real API reports one output token in message_start; message_delta carries the final count.
        message = (
            f'{{"id":"{self.message_id}","type":"message","role":"assistant","model":{_dumps(self.model)},'
            f'"content":[],"stop_reason":null,"stop_sequence":null,"usage":{_usage(self.prompt_tokens, 1)}}}'
        )
        start = f'event: message_start\ndata: {{"type":"message_start","message":{message}}}\n\n'
        return start.encode() + _BLOCK_START

    def stream_token(self, index: int, token: int) -> bytes:
        return _DELTA_PREFIX + _VOCABULARY_JSON_BYTES[token] + _DELTA_SUFFIX

    def stream_tail(self, chunks: TokenChunks, n_tokens: int, finish_reason: str) -> tuple[bytes]:
        """The closing events (`chunks` is not needed: Anthropic's tail carries no text)."""
        delta = (
            'event: message_delta\ndata: {"type":"message_delta","delta":{'
            f'"stop_reason":"{stop_reason(finish_reason)}","stop_sequence":null}},'
            f'"usage":{{"output_tokens":{n_tokens}}}}}\n\n'
        )
        return (_BLOCK_STOP + delta.encode() + _MESSAGE_STOP,)
