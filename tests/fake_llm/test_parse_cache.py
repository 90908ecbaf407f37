"""The parse cache (bounded in bytes, errors never cached) and the helper process for large bodies."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import Callable

import httpx
import psutil
import pytest

from bench.processes import ManagedProcess, ProcessSpec, free_port
from fake_llm.config import LimitsConfig
from fake_llm.launch import fake_llm_argv
from fake_llm.parse_cache import ENTRY_OVERHEAD_BYTES, ParseCache
from fake_llm.parse_worker import IN_PROCESS_MAX_BYTES, ParseWorker
from fake_llm.parsing import BadRequest, ChatRequest
from tests.waiting import wait_until


def _body(text: str) -> bytes:
    return json.dumps({"model": "m", "messages": [{"role": "user", "content": text}]}).encode()


def test_the_cache_holds_at_most_its_budget_and_drops_the_oldest() -> None:
    bodies = [_body(f"prompt {i} " + "x" * 1000) for i in range(10)]
    cost = 2 * len(bodies[0]) + ENTRY_OVERHEAD_BYTES
    cache = ParseCache(LimitsConfig(parse_cache_bytes=3 * cost), ParseWorker())

    async def fill() -> None:
        for body in bodies:
            await cache.parse("chat.completions", body)

    asyncio.run(fill())
    assert len(cache) == 3 and cache.size_bytes <= 3 * cost
    assert cache.get("chat.completions", bodies[-1]) is not None
    assert cache.get("chat.completions", bodies[0]) is None  # the oldest left first
    assert cache.get("responses", bodies[-1]) is None  # a body is cached for its route only


def test_a_body_larger_than_the_budget_is_parsed_but_not_kept() -> None:
    cache = ParseCache(LimitsConfig(parse_cache_bytes=1000), ParseWorker())
    request = asyncio.run(cache.parse("chat.completions", _body("y" * 2000)))
    assert isinstance(request, ChatRequest) and len(cache) == 0


def test_errors_are_not_cached() -> None:
    cache = ParseCache(LimitsConfig(), ParseWorker())
    with pytest.raises(BadRequest):
        asyncio.run(cache.parse("chat.completions", b'{"model": "m"}'))
    assert len(cache) == 0


def test_large_bodies_are_parsed_in_the_helper_process_with_the_same_result_and_errors() -> None:
    worker = ParseWorker()
    limits = LimitsConfig()
    large = _body("z" * (IN_PROCESS_MAX_BYTES + 1))
    cache = ParseCache(limits, worker)

    async def both() -> tuple[object, BadRequest]:
        request = await cache.parse("chat.completions", large)
        deep = b'{"model":"m","messages":' + b"[" * 70_000 + b"]" * 70_000 + b"}"
        try:
            await cache.parse("chat.completions", deep)
        except BadRequest as exc:
            return request, exc
        raise AssertionError("a body nested 70,000 deep was accepted")

    try:
        request, error = asyncio.run(both())
    finally:
        worker.close()
    assert isinstance(request, ChatRequest) and request.input_tokens > IN_PROCESS_MAX_BYTES // 4
    assert (error.status, error.code) == (400, "invalid_json")  # every field crossed the process boundary


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_the_helper_process_never_outlives_the_server(
    start_process: Callable[[ProcessSpec], ManagedProcess], how: str
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = fake_llm_argv(port=port, preset="instant")
    server = start_process(ProcessSpec(name="fake_llm", argv=argv, ready_url=f"{base}/health"))
    reply = httpx.post(
        f"{base}/v1/chat/completions",
        content=_body("w" * 100_000),
        headers={"content-type": "application/json"},
    )
    assert reply.status_code == 200
    # The large body started the helper (and multiprocessing's resource tracker with it).
    helpers = psutil.Process(server.pid).children(recursive=True)
    assert helpers
    os.kill(server.pid, getattr(signal, how))  # the server only, not its process group
    server.wait(timeout_s=30)
    wait_until(
        lambda: [h for h in helpers if h.is_running() and h.status() != psutil.STATUS_ZOMBIE],
        10,
        "the helper processes to exit",
        ready=lambda running: not running,
    )


def test_a_dead_helper_is_a_503_then_replaced(start_process: Callable[[ProcessSpec], ManagedProcess]) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_process(
        ProcessSpec(
            name="fake_llm", argv=fake_llm_argv(port=port, preset="instant"), ready_url=f"{base}/health"
        )
    )

    def post(text: str) -> httpx.Response:
        return httpx.post(
            f"{base}/v1/chat/completions",
            content=_body(text * 100_000),
            headers={"content-type": "application/json"},
        )

    assert post("a").status_code == 200
    helper = next(
        p for p in psutil.Process(server.pid).children() if "resource_tracker" not in " ".join(p.cmdline())
    )
    helper.kill()
    helper.wait(timeout=10)
    lost = post("b")
    assert lost.status_code == 503 and lost.json()["error"]["type"] == "server_error", lost.text
    assert post("c").status_code == 200  # a new helper
    assert "Traceback" not in server.log_tail(100)
