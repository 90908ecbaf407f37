"""The ceiling: a raw-ASGI server that only sleeps the configured latency and answers a fixed body.

Run as `python -m bench.selfperf.ceiling_app --port P --ttft-ms X --itl-ms Y --output-tokens N`."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from fake_llm.cli import flag_settings, load_config
from fake_llm.config import FakeLLMConfig
from fake_llm.settings import OPTIONS

__all__ = ["CeilingConfig", "create_app", "main"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_JSON_HEADERS = [(b"content-type", b"application/json")]
_SSE_HEADERS = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]


@dataclass(frozen=True, kw_only=True)
class CeilingConfig:
    """The latency to imitate; same meaning as fake_llm's `--ttft-ms`, `--itl-ms`, `--output-tokens`."""

    ttft_ms: float = 50.0
    itl_ms: float = 20.0
    output_tokens: int = 16


def _completion_body(output_tokens: int) -> bytes:
    text = " ".join(f"tok{i}" for i in range(output_tokens))
    return json.dumps(
        {
            "id": "chatcmpl-ceiling",
            "object": "chat.completion",
            "created": 0,
            "model": "fake-chat",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": 8,
                "completion_tokens": output_tokens,
                "total_tokens": 8 + output_tokens,
            },
        },
        separators=(",", ":"),
    ).encode()


def _sse_chunk(index: int) -> bytes:
    payload = {
        "id": "chatcmpl-ceiling",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "fake-chat",
        "choices": [{"index": 0, "delta": {"content": f"tok{index} "}, "finish_reason": None}],
    }
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


async def _sleep_until(deadline: float) -> None:
    delay = deadline - time.perf_counter()
    if delay > 0:
        await asyncio.sleep(delay)


def create_app(config: CeilingConfig) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """An ASGI app: `GET /health` answers 200; any POST is answered like a chat completion."""
    completion = _completion_body(config.output_tokens)
    chunks = [_sse_chunk(i) for i in range(config.output_tokens)]
    done = b"data: [DONE]\n\n"
    ttft_s = config.ttft_ms / 1000.0
    itl_s = config.itl_ms / 1000.0

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # lifespan and websockets: nothing to do
        start = time.perf_counter()
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if scope["method"] != "POST":
            await send({"type": "http.response.start", "status": 200, "headers": _JSON_HEADERS})
            await send({"type": "http.response.body", "body": b"{}"})
            return
        if b'"stream":true' not in body.replace(b" ", b""):
            await _sleep_until(start + ttft_s)
            await send({"type": "http.response.start", "status": 200, "headers": _JSON_HEADERS})
            await send({"type": "http.response.body", "body": completion})
            return
        await send({"type": "http.response.start", "status": 200, "headers": _SSE_HEADERS})
        for index, chunk in enumerate(chunks):
            await _sleep_until(start + ttft_s + index * itl_s)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": done})

    return app


_FLAGS = ("host", "port", "ttft_ms", "itl_ms", "output_tokens")


def _parse(argv: Sequence[str] | None) -> tuple[FakeLLMConfig, CeilingConfig]:
    """fake_llm's own flag definitions and parsing for the five settings the ceiling takes, so a flag
    means the same on both servers and is defined once (unset ones take fake_llm's defaults)."""
    parser = argparse.ArgumentParser(prog="python -m bench.selfperf.ceiling_app")
    OPTIONS.add_arguments(parser, _FLAGS)
    config = load_config(flags=flag_settings(parser.parse_args(argv)))
    lat = config.latency
    return config, CeilingConfig(ttft_ms=lat.ttft_ms, itl_ms=lat.itl_ms, output_tokens=lat.output_tokens)


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the ceiling with uvicorn under fake_llm's settings: uvloop, httptools, one process, no access
    log, no proxy-headers middleware, no `server` header, the same keep-alive timeout."""
    import uvicorn

    fake_llm_config, config = _parse(argv)
    uvicorn.run(
        create_app(config),
        host=fake_llm_config.server.host,
        port=fake_llm_config.server.port,
        loop="uvloop",
        http="httptools",
        lifespan="off",
        access_log=False,
        log_level="warning",
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=fake_llm_config.server.keep_alive_s,
    )


if __name__ == "__main__":
    main()
