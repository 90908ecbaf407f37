"""Replies generated a piece at a time are byte for byte the replies built whole (pure logic)."""

from __future__ import annotations

import json

import pytest

from fake_llm.anthropic_wire import MessagesRenderer
from fake_llm.openai_wire import ChatRenderer, CompletionRenderer, ResponsesRenderer, embeddings_pieces
from fake_llm.textgen import LazyTokens, completion_tokens, embedding, embedding_base64, token_chunks


@pytest.mark.parametrize("n_tokens", [1, 7, 1024, 1025, 3000])
def test_token_chunks_are_the_same_tokens(n_tokens: int) -> None:
    whole = completion_tokens(5, b"prompt", n_tokens)
    assert [t for chunk in token_chunks(5, b"prompt", n_tokens, chunk=100) for t in chunk] == list(whole)
    assert [t for chunk in LazyTokens(5, b"prompt", n_tokens) for t in chunk] == list(whole)


@pytest.mark.parametrize("finish_reason", ["stop", "length"])
@pytest.mark.parametrize("include_usage", [False, True])
def test_chat_pieces_equal_the_whole_reply(finish_reason: str, include_usage: bool) -> None:
    tokens = completion_tokens(0, b"k", 50)
    chunks = (tokens[:13], tokens[13:])
    renderer = ChatRenderer(
        request_id="chatcmpl-x", model='m"\x00', prompt_tokens=7, include_usage=include_usage
    )
    assert renderer.full(tokens, finish_reason) == b"".join(renderer.full_pieces(chunks, 50, finish_reason))
    json.loads(renderer.full(tokens, finish_reason))
    renderer.stream_head()
    assert b"".join(renderer.stream_tail((tokens,), 50, finish_reason)).endswith(b"data: [DONE]\n\n")


@pytest.mark.parametrize("include_usage", [False, True])
def test_completion_stream_carries_the_whole_replys_text(include_usage: bool) -> None:
    tokens = completion_tokens(0, b"k", 30)
    renderer = CompletionRenderer(
        request_id="chatcmpl-x", model='m"\x00', prompt_tokens=5, include_usage=include_usage
    )
    whole = json.loads(renderer.full(tokens, "length"))
    assert whole["id"] == "cmpl-x" and whole["object"] == "text_completion" and whole["model"] == 'm"\x00'
    assert whole["choices"][0]["finish_reason"] == "length" and whole["usage"]["completion_tokens"] == 30
    assert renderer.stream_head() == b""
    stream = b"".join(
        [renderer.stream_token(i, t) for i, t in enumerate(tokens)]
        + list(renderer.stream_tail((tokens,), 30, "length"))
    )
    events = [line[6:] for line in stream.decode().split("\n\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert "".join(c["choices"][0]["text"] for c in chunks if c["choices"]) == whole["choices"][0]["text"]
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-2:] == [None, "length"]
    assert ("usage" in chunks[-1] and chunks[-1]["usage"]["total_tokens"] == 35) is include_usage


@pytest.mark.parametrize("finish_reason", ["stop", "length"])
def test_responses_pieces_carry_the_text_where_it_belongs(finish_reason: str) -> None:
    tokens = completion_tokens(0, b"k", 40)
    # A model id containing the placeholder must not move the text.
    renderer = ResponsesRenderer(request_id="chatcmpl-x", model="\x00fake_llm text\x00", prompt_tokens=3)
    document = json.loads(renderer.full(tokens, finish_reason))
    content = document["output"][0]["content"][0]["text"]
    assert document["model"] == "\x00fake_llm text\x00" and len(content.split()) == 40
    assert document["usage"]["output_tokens"] == 40
    whole = b"".join(renderer.full_pieces((tokens[:9], tokens[9:]), 40, finish_reason))
    assert whole == renderer.full(tokens, finish_reason)
    tail = b"".join(renderer.stream_tail((tokens[:9], tokens[9:]), 40, finish_reason)).decode()
    events = [json.loads(line[6:]) for line in tail.splitlines() if line.startswith("data: ")]
    assert (
        events[0]["text"] == content and events[-1]["response"]["output"][0]["content"][0]["text"] == content
    )


@pytest.mark.parametrize("finish_reason", ["stop", "length"])
def test_anthropic_message_pieces_equal_the_whole_message(finish_reason: str) -> None:
    tokens = completion_tokens(0, b"k", 3000)
    renderer = MessagesRenderer(request_id="chatcmpl-x", model='claude"\x00', prompt_tokens=7)
    whole = renderer.full(tokens, finish_reason)
    assert b"".join(renderer.full_pieces(LazyTokens(0, b"k", 3000), 3000, finish_reason)) == whole
    message = json.loads(whole)
    assert message["id"] == "msg_x" and message["model"] == 'claude"\x00'
    assert len(message["content"][0]["text"].split()) == 3000
    assert message["usage"]["output_tokens"] == 3000
    assert message["stop_reason"] == {"stop": "end_turn", "length": "max_tokens"}[finish_reason]
    [tail] = renderer.stream_tail(LazyTokens(0, b"k", 3000), 3000, finish_reason)
    assert b'"usage":{"output_tokens":3000}' in tail and tail.endswith(b'{"type":"message_stop"}\n\n')


@pytest.mark.parametrize("base64", [False, True])
def test_embeddings_pieces_equal_one_json_document(base64: bool) -> None:
    texts = ["a", "bb", "ccc"]
    pieces = embeddings_pieces(seed=1, model="e", texts=texts, dimensions=8, base64=base64, prompt_tokens=3)
    vectors = [embedding(1, t, 8) for t in texts]
    expected = {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": embedding_base64(v) if base64 else v}
            for i, v in enumerate(vectors)
        ],
        "model": "e",
        "usage": {"prompt_tokens": 3, "total_tokens": 3},
    }
    assert b"".join(pieces) == json.dumps(expected, separators=(",", ":")).encode()
