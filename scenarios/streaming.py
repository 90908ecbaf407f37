"""streaming — buffering the whole completion hides every token until the last one.

Bug: the route returns the full completion as JSON. Fix: `stream=True`, each delta passed through as SSE.
Theory: with TTFT t0 and n tokens ITL i apart, total L = t0 + n·i for both; first byte after L `buffered`,
after ~t0 `streamed`. Details: docs/scenarios.md."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from scenarios._plumbing import Answer, Question, async_openai, new_app
from scenarios.model import (
    Headline,
    Prediction,
    RequestSpec,
    Scenario,
    TheoryInput,
    UpstreamProfile,
    Variant,
    closed_loop,
)

__all__ = ["SCENARIO", "buffered", "sse_events", "streamed"]

TTFT_MS = 100.0
ITL_MS = 20.0
OUTPUT_TOKENS = 20
UPSTREAM_LATENCY_MS = TTFT_MS + OUTPUT_TOKENS * ITL_MS


async def sse_events(stream: Any) -> AsyncIterator[bytes]:
    """Server-sent events, one per non-empty delta, then `[DONE]`; the upstream stream is always closed."""
    try:
        async for chunk in stream:
            delta = chunk.choices[0].delta.content if chunk.choices else None
            if delta:
                yield f"data: {json.dumps({'delta': delta})}\n\n".encode()
        yield b"data: [DONE]\n\n"
    finally:
        await stream.close()


def buffered() -> FastAPI:
    app, llm = new_app(title="streaming: buffered", client=async_openai)

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        reply = await llm.client.chat.completions.create(**llm.prompt(question))  # waits for the last token
        return Answer.of(reply)

    return app


def streamed() -> FastAPI:
    app, llm = new_app(title="streaming: streamed", client=async_openai)

    @app.post("/ask")
    async def ask(question: Question) -> StreamingResponse:
        stream = await llm.client.chat.completions.create(**llm.prompt(question, stream=True))
        return StreamingResponse(sse_events(stream), media_type="text/event-stream")

    return app


def theory(given: TheoryInput) -> Mapping[str, Prediction]:
    latency, users = given.upstream_latency_ms, given.users
    return {
        "buffered": closed_loop(users=users, latency_ms=latency, note=f"first byte after ~{latency:g} ms"),
        "streamed": closed_loop(users=users, latency_ms=latency, note=f"first byte after ~{TTFT_MS:g} ms"),
    }


SCENARIO = Scenario(
    id="streaming",
    title="Buffered vs streamed answers",
    pitfall=(
        "The app waits for the whole completion before answering. The user sees nothing until the last "
        "token, although the first one was ready after the time to first token."
    ),
    fix=(
        "Request a stream from the SDK and pass the deltas through as server-sent events: the first token "
        "reaches the user after ~TTFT; the total time is the same."
    ),
    signature="client time to first byte vs total time: equal for buffered, ~TTFT for streamed",
    variants=(
        Variant(
            id="buffered",
            title="whole completion as JSON",
            role="pitfall",
            factory="scenarios.streaming:buffered",
            summary="create(...) without stream; the JSON answer is sent after the last token.",
        ),
        Variant(
            id="streamed",
            title="SSE passthrough",
            role="fix",
            factory="scenarios.streaming:streamed",
            summary="create(..., stream=True); each delta forwarded as a server-sent event.",
        ),
    ),
    pitfall_variant="buffered",
    fix_variant="streamed",
    upstream=UpstreamProfile(
        latency_ms=UPSTREAM_LATENCY_MS,
        fake_llm={"ttft_ms": TTFT_MS, "itl_ms": ITL_MS, "output_tokens": OUTPUT_TOKENS},
    ),
    request=RequestSpec(stream=True),
    theory=theory,
    # Theory: first byte after L = 500 ms buffered vs ~TTFT = 100 ms streamed at any load below the app's
    # CPU ceiling (10 users: 20 req/s, 400 SSE chunks/s). Read at 10 users.
    headline=Headline(
        metric="ttfb_p50_ms",
        name="first byte p50",
        better="lower",
        users=10,
        text="first byte {ratio} later",
        unit="ms",
        digits=0,
    ),
    loads=(10, 40),
)
