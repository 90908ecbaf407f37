"""OpenAI wire formats: chat completions (JSON and SSE chunks), the Responses API (JSON and events) and the
legacy Completions API (JSON and SSE chunks).

Chunks are pre-serialised bytes around a pre-escaped token; a reply too large to build whole is an
iterator of pieces that join to exactly the whole reply's bytes."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Iterable, Iterator, Sequence

from fake_llm.textgen import VOCABULARY, VOCABULARY_JSON, embedding, embedding_base64

__all__ = [
    "ChatRenderer",
    "CompletionRenderer",
    "ResponsesRenderer",
    "TokenChunks",
    "chat_completion",
    "embeddings_pieces",
    "escaped_text",
]

# Escaped and encoded once: a streamed token is then two concatenations, with no str -> bytes copy.
_VOCABULARY_JSON_BYTES: tuple[bytes, ...] = tuple(w.encode() for w in VOCABULARY_JSON)
# The same without the quotes: a piece of a JSON string (escaping is per character, so pieces concatenate).
_VOCABULARY_INNER: tuple[str, ...] = tuple(w[1:-1] for w in VOCABULARY_JSON)

TokenChunks = Iterable[Sequence[int]]
"""A completion's tokens in chunks, iterable more than once: `(tokens,)`, or `textgen.LazyTokens`."""

# Where the text goes in a document rendered around it (`_around_text`): no user string follows the text in
# any document this module renders, so the last occurrence is the text's place.
_PLACEHOLDER = "\x00fake_llm text\x00"
_PLACEHOLDER_JSON = json.dumps(_PLACEHOLDER)[1:-1]


def escaped_text(chunks: TokenChunks) -> Iterator[str]:
    """The completion's text, JSON-escaped without the quotes, a chunk at a time (any renderer's
    `full_pieces`: `fake_llm.anthropic_wire` too)."""
    for chunk in chunks:
        yield "".join([_VOCABULARY_INNER[t] for t in chunk])


def _around_text(rendered: str, chunks: TokenChunks) -> Iterator[bytes]:
    """`rendered` (holding `_PLACEHOLDER` where the text belongs) with the text streamed into its place."""
    before, _, after = rendered.rpartition(_PLACEHOLDER_JSON)
    yield before.encode()
    for piece in escaped_text(chunks):
        yield piece.encode()
    yield after.encode()


def _dumps(document: object) -> str:
    return json.dumps(document, separators=(",", ":"))


@functools.lru_cache(maxsize=1024)
def _chat_completion_tail(
    model: str, tokens: tuple[int, ...], finish_reason: str, prompt_tokens: int
) -> bytes:
    """A chat completion after its `created` value: all of it but the id and the timestamp.

    The same prompt yields the same tokens (textgen caches them too), so this part repeats request after
    request; caching it leaves two small substitutions per reply instead of escaping and formatting it all.
    """
    n = len(tokens)
    content = _dumps("".join(VOCABULARY[t] for t in tokens))
    return (
        f',"model":{_dumps(model)},"system_fingerprint":null,"choices":[{{"index":0,'
        f'"message":{{"role":"assistant","content":{content},"refusal":null}},"logprobs":null,'
        f'"finish_reason":"{finish_reason}"}}],"usage":{{"prompt_tokens":{prompt_tokens},'
        f'"completion_tokens":{n},"total_tokens":{prompt_tokens + n}}}}}'
    ).encode()


def chat_completion(
    request_id: str,
    model: str,
    prompt_tokens: int,
    tokens: tuple[int, ...],
    finish_reason: str,
    *,
    created: float | None = None,
) -> bytes:
    """A whole (non-streaming) chat completion: a cached template plus the id and `created` (now if None).

    A function rather than a `ChatRenderer` method so the hot non-streaming path builds no renderer object.
    """
    tail = _chat_completion_tail(model, tokens, finish_reason, prompt_tokens)
    stamp = time.time() if created is None else created
    return b'{"id":"%s","object":"chat.completion","created":%d%s' % (request_id.encode(), stamp, tail)


class ChatRenderer:
    """`/v1/chat/completions` replies for one request."""

    content_type = b"text/event-stream"

    def __init__(self, *, request_id: str, model: str, prompt_tokens: int, include_usage: bool) -> None:
        self.request_id = request_id
        self.model = model
        self.created = int(time.time())
        self.prompt_tokens = prompt_tokens
        self.include_usage = include_usage
        self._usage = ',"usage":null' if include_usage else ""
        self._head = ""
        self._token_prefix = self._token_suffix = b""

    def _prepare_stream(self) -> None:
        # Built once per stream (not per token, and not at all for non-streaming replies).
        self._head = (
            f'{{"id":"{self.request_id}","object":"chat.completion.chunk","created":{self.created},'
            f'"model":{_dumps(self.model)},"system_fingerprint":null,"choices":[{{"index":0,"delta":'
        )
        self._token_prefix = (f"data: {self._head}" + '{"content":').encode()
        self._token_suffix = (f'}},"logprobs":null,"finish_reason":null}}]{self._usage}}}\n\n').encode()

    def _usage_doc(self, completion_tokens: int) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": self.prompt_tokens + completion_tokens,
        }

    def full(self, tokens: Sequence[int], finish_reason: str) -> bytes:
        return chat_completion(
            self.request_id,
            self.model,
            self.prompt_tokens,
            tuple(tokens),
            finish_reason,
            created=self.created,
        )

    def full_pieces(self, chunks: TokenChunks, n_tokens: int, finish_reason: str) -> Iterator[bytes]:
        """`full` for a reply too large to build at once (the same bytes, a piece at a time)."""
        yield (
            f'{{"id":"{self.request_id}","object":"chat.completion","created":{self.created},'
            f'"model":{_dumps(self.model)},"system_fingerprint":null,"choices":[{{"index":0,'
            '"message":{"role":"assistant","content":"'
        ).encode()
        for piece in escaped_text(chunks):
            yield piece.encode()
        p = self.prompt_tokens
        yield (
            f'","refusal":null}},"logprobs":null,"finish_reason":"{finish_reason}"}}],"usage":'
            f'{{"prompt_tokens":{p},"completion_tokens":{n_tokens},"total_tokens":{p + n_tokens}}}}}'
        ).encode()

    def stream_head(self) -> bytes:
        self._prepare_stream()
        role = '{"role":"assistant","content":""}'
        return f'data: {self._head}{role},"logprobs":null,"finish_reason":null}}]{self._usage}}}\n\n'.encode()

    def stream_token(self, index: int, token: int) -> bytes:
        return self._token_prefix + _VOCABULARY_JSON_BYTES[token] + self._token_suffix

    def stream_tail(self, chunks: TokenChunks, n_tokens: int, finish_reason: str) -> tuple[bytes]:
        """The last chunk(s) and `[DONE]` (`chunks` is not needed: the chat tail carries no text)."""
        last = (
            f'data: {self._head}{{}},"logprobs":null,"finish_reason":"{finish_reason}"}}]{self._usage}}}\n\n'
        )
        out = [last]
        if self.include_usage:
            usage = _dumps(self._usage_doc(n_tokens))
            out.append(
                f'data: {{"id":"{self.request_id}","object":"chat.completion.chunk","created":{self.created},'
                f'"model":{_dumps(self.model)},"system_fingerprint":null,"choices":[],"usage":{usage}}}\n\n'
            )
        out.append("data: [DONE]\n\n")
        return ("".join(out).encode(),)


class CompletionRenderer:
    """`/v1/completions` replies (the legacy Completions API): a `text_completion`, or its SSE chunks."""

    content_type = b"text/event-stream"

    def __init__(self, *, request_id: str, model: str, prompt_tokens: int, include_usage: bool) -> None:
        self.request_id = "cmpl-" + request_id.removeprefix("chatcmpl-")
        self.model = model
        self.created = int(time.time())
        self.prompt_tokens = prompt_tokens
        self._usage_null = ',"usage":null' if include_usage else ""
        self.include_usage = include_usage
        self._token_prefix = self._token_suffix = b""

    def _head(self) -> str:
        return (
            f'{{"id":"{self.request_id}","object":"text_completion","created":{self.created},'
            f'"model":{_dumps(self.model)},"choices":[{{"text":'
        )

    def _choice_end(self, finish_reason: str | None) -> str:
        finish = "null" if finish_reason is None else f'"{finish_reason}"'
        return f',"index":0,"logprobs":null,"finish_reason":{finish}}}]'

    def _usage(self, n_tokens: int) -> str:
        p = self.prompt_tokens
        return f'"usage":{{"prompt_tokens":{p},"completion_tokens":{n_tokens},"total_tokens":{p + n_tokens}}}'

    def full(self, tokens: Sequence[int], finish_reason: str) -> bytes:
        return b"".join(self.full_pieces((tuple(tokens),), len(tokens), finish_reason))

    def full_pieces(self, chunks: TokenChunks, n_tokens: int, finish_reason: str) -> Iterator[bytes]:
        """The whole reply, a piece at a time (the text streamed into its place)."""
        yield (self._head() + '"').encode()
        for piece in escaped_text(chunks):
            yield piece.encode()
        yield ('"' + self._choice_end(finish_reason) + "," + self._usage(n_tokens) + "}").encode()

    def stream_head(self) -> bytes:
        # Built once per stream; the first chunk already carries a token, as the real API's does.
        self._token_prefix = f"data: {self._head()}".encode()
        self._token_suffix = f"{self._choice_end(None)}{self._usage_null}}}\n\n".encode()
        return b""

    def stream_token(self, index: int, token: int) -> bytes:
        return self._token_prefix + _VOCABULARY_JSON_BYTES[token] + self._token_suffix

    def stream_tail(self, chunks: TokenChunks, n_tokens: int, finish_reason: str) -> tuple[bytes]:
        """The chunk with the finish reason, the usage chunk if asked for, and `[DONE]`."""
        out = [f'data: {self._head()}""{self._choice_end(finish_reason)}{self._usage_null}}}\n\n']
        if self.include_usage:
            out.append(
                f'data: {{"id":"{self.request_id}","object":"text_completion","created":{self.created},'
                f'"model":{_dumps(self.model)},"choices":[],{self._usage(n_tokens)}}}\n\n'
            )
        out.append("data: [DONE]\n\n")
        return ("".join(out).encode(),)


class ResponsesRenderer:
    """`/v1/responses` replies: a Response object, or its streaming event sequence.

    Documents are rendered with a placeholder where the text goes and the text is streamed into its place
    (`_around_text`), so one code path serves replies of any size.
    """

    content_type = b"text/event-stream"

    _HEAD_EVENTS = 4

    def __init__(self, *, request_id: str, model: str, prompt_tokens: int) -> None:
        self.response_id = "resp_" + request_id.removeprefix("chatcmpl-")
        self.item_id = "msg_" + request_id.removeprefix("chatcmpl-")
        self.model = model
        self.created = int(time.time())
        self.prompt_tokens = prompt_tokens
        self._delta_prefix = (
            'event: response.output_text.delta\ndata: {"type":"response.output_text.delta",'
            f'"item_id":"{self.item_id}","output_index":0,"content_index":0,"delta":'
        ).encode()

    def _part(self, text: str) -> dict[str, object]:
        return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}

    def _item(self, text: str | None) -> dict[str, object]:
        return {
            "id": self.item_id,
            "type": "message",
            "status": "completed" if text is not None else "in_progress",
            "role": "assistant",
            "content": [self._part(text)] if text is not None else [],
        }

    def _response(self, n_tokens: int | None, finish_reason: str = "stop") -> dict[str, object]:
        """The Response object; done (with the placeholder text) when `n_tokens` is given."""
        done = n_tokens is not None
        incomplete = done and finish_reason == "length"
        return {
            "id": self.response_id,
            "object": "response",
            "created_at": self.created,
            "status": ("incomplete" if incomplete else "completed") if done else "in_progress",
            "error": None,
            "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
            "instructions": None,
            "model": self.model,
            "output": [self._item(_PLACEHOLDER)] if done else [],
            "parallel_tool_calls": True,
            "temperature": 1.0,
            "tool_choice": "auto",
            "tools": [],
            "top_p": 1.0,
            "text": {"format": {"type": "text"}},
            "metadata": {},
            "usage": (
                {
                    "input_tokens": self.prompt_tokens,
                    "input_tokens_details": {"cached_tokens": 0},
                    "output_tokens": n_tokens,
                    "output_tokens_details": {"reasoning_tokens": 0},
                    "total_tokens": self.prompt_tokens + n_tokens,
                }
                if n_tokens is not None
                else None
            ),
        }

    @staticmethod
    def _event(kind: str, sequence: int, **fields: object) -> str:
        return f"event: {kind}\ndata: {_dumps({'type': kind, **fields, 'sequence_number': sequence})}\n\n"

    def full(self, tokens: Sequence[int], finish_reason: str) -> bytes:
        return b"".join(self.full_pieces((tokens,), len(tokens), finish_reason))

    def full_pieces(self, chunks: TokenChunks, n_tokens: int, finish_reason: str) -> Iterator[bytes]:
        return _around_text(_dumps(self._response(n_tokens, finish_reason)), chunks)

    def stream_head(self) -> bytes:
        where = {"item_id": self.item_id, "output_index": 0, "content_index": 0}
        return (
            self._event("response.created", 0, response=self._response(None))
            + self._event("response.in_progress", 1, response=self._response(None))
            + self._event("response.output_item.added", 2, output_index=0, item=self._item(None))
            + self._event("response.content_part.added", 3, **where, part=self._part(""))
        ).encode()

    def stream_token(self, index: int, token: int) -> bytes:
        tail = b',"logprobs":[],"sequence_number":%d}\n\n' % (self._HEAD_EVENTS + index)
        return self._delta_prefix + _VOCABULARY_JSON_BYTES[token] + tail

    def stream_tail(self, chunks: TokenChunks, n_tokens: int, finish_reason: str) -> Iterator[bytes]:
        """The four closing events; each carries the whole text, streamed into it from `chunks`."""
        seq = self._HEAD_EVENTS + n_tokens
        where = {"item_id": self.item_id, "output_index": 0, "content_index": 0}
        final = self._response(n_tokens, finish_reason)
        last = "response.incomplete" if final["status"] == "incomplete" else "response.completed"
        for event in (
            self._event("response.output_text.done", seq, **where, text=_PLACEHOLDER, logprobs=[]),
            self._event("response.content_part.done", seq + 1, **where, part=self._part(_PLACEHOLDER)),
            self._event("response.output_item.done", seq + 2, output_index=0, item=self._item(_PLACEHOLDER)),
            self._event(last, seq + 3, response=final),
        ):
            yield from _around_text(event, chunks)


def embeddings_pieces(
    *, seed: int, model: str, texts: Sequence[str], dimensions: int, base64: bool, prompt_tokens: int
) -> Iterator[bytes]:
    """The `/v1/embeddings` reply, one vector at a time (each generated only when its piece is due).

    The same bytes as `json.dumps` of the whole document with compact separators: only the vectors vary, and
    each is serialised by the same json.dumps.
    """
    yield b'{"object":"list","data":['
    for index, text in enumerate(texts):
        vector = embedding(seed, text, dimensions)
        encoded = _dumps(embedding_base64(vector) if base64 else vector)
        comma = "," if index else ""
        yield f'{comma}{{"object":"embedding","index":{index},"embedding":{encoded}}}'.encode()
    usage = {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens}
    yield f'],"model":{_dumps(model)},"usage":{_dumps(usage)}}}'.encode()
