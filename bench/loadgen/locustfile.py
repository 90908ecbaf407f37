"""The Locust side of a measured point: runs only inside a `locust` subprocess, never imported by bench.

Configured through `AWAITBENCH_REQUEST`, `AWAITBENCH_REQUESTS_DIR` and `AWAITBENCH_READY_URLS`; writes the
request log of `bench.loadgen.logs`. Each user is a closed loop with no think time."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path
from typing import IO, Any

from locust import FastHttpUser, constant, events, runners, task

# Locust checks its own CPU every 10 s by default; our windows are a few seconds long, so look every
# second, otherwise a saturated generator would go unnoticed.
runners.CPU_MONITOR_INTERVAL = 1.0

_REQUEST: dict[str, Any] = json.loads(os.environ.get("AWAITBENCH_REQUEST") or "{}")
_OUT_DIR = Path(os.environ.get("AWAITBENCH_REQUESTS_DIR") or ".")
_READY_URLS = [url for url in (os.environ.get("AWAITBENCH_READY_URLS") or "").split(",") if url]
_READY_TIMEOUT_S = 60.0
_files: dict[int, IO[str]] = {}
_TTFB_KEY = "awaitbench_ttfb_ms"
# Start times of the requests in flight, by a per-request token. Locust stops with --stop-timeout 0: it
# kills the users' greenlets, and a killed request fires no `request` event, so a hung request would
# vanish from the log. On quitting, what is left here is written as unanswered.
_in_flight: dict[int, float] = {}
_quitting = False


def _requests_file() -> IO[str]:
    # Opened lazily per PID: with --processes the workers fork after this module is imported.
    pid = os.getpid()
    handle = _files.get(pid)
    if handle is None:
        handle = open(_OUT_DIR / f"requests-{pid}.csv", "a", buffering=1 << 16)  # noqa: SIM115
        _files[pid] = handle
    return handle


@events.request.add_listener
def _record(
    response_time: float,
    start_time: float | None = None,
    exception: BaseException | None = None,
    context: dict[str, Any] | None = None,
    **_: Any,
) -> None:
    if _quitting:  # already written as unanswered: the window ended before this answer
        return
    start = start_time if start_time is not None else time.time() - response_time / 1000.0
    ttfb_ms = (context or {}).get(_TTFB_KEY)
    ttfb = "" if ttfb_ms is None else f"{ttfb_ms:.3f}"
    _requests_file().write(f"{start:.6f},{response_time:.3f},{0 if exception else 1},{ttfb}\n")


def _wait_ready(url: str, deadline: float) -> None:
    # gevent has patched sockets and time.sleep, so this polling yields to Locust's other greenlets.
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1.0) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)


@events.test_start.add_listener
def _mark_start(**_: Any) -> None:
    # Locust fires test_start in the greenlet that then spawns the users: blocking here delays the load.
    deadline = time.time() + _READY_TIMEOUT_S
    for url in _READY_URLS:
        _wait_ready(url, deadline)
    (_OUT_DIR / f"started-{os.getpid()}").write_text(f"{time.time():.6f}\n")


@events.cpu_warning.add_listener
def _mark_cpu_warning(cpu_usage: float = 0.0, **_: Any) -> None:
    with open(_OUT_DIR / f"cpu-warning-{os.getpid()}", "a") as marker:
        marker.write(f"{time.time():.6f},{cpu_usage:.1f}\n")


def _flush(**_: Any) -> None:
    handle = _files.get(os.getpid())
    if handle is not None:
        handle.flush()


def _write_unanswered(**_: Any) -> None:
    # Fired before Locust kills its users (locust/main.py: shutdown), so nothing answers in between.
    global _quitting
    _quitting = True
    handle = _requests_file()
    for start in _in_flight.values():
        handle.write(f"{start:.6f},,,\n")
    _in_flight.clear()
    handle.flush()


events.test_stop.add_listener(_flush)
events.quitting.add_listener(_write_unanswered)


class ScenarioUser(FastHttpUser):
    """One closed-loop user sending the scenario's request."""

    wait_time = constant(0)
    # No retries and a deadline longer than any window: a hung call must show up as a slow request.
    network_timeout = 120.0
    connection_timeout = 120.0

    @task
    def ask(self) -> None:
        method = str(_REQUEST.get("method", "POST"))
        path = str(_REQUEST.get("path", "/ask"))
        body = _REQUEST.get("json_body")
        kwargs: dict[str, Any] = {} if body is None else {"json": body}
        token = id(self)  # one request in flight per user: the closed loop
        _in_flight[token] = time.time()
        if _REQUEST.get("stream"):
            self._streamed(method, path, kwargs)
        else:
            self.client.request(method, path, **kwargs)
        # Not in a `finally`: a greenlet killed mid-request must stay in flight, to be written as such.
        _in_flight.pop(token, None)

    def _streamed(self, method: str, path: str, kwargs: dict[str, Any]) -> None:
        """Time the first body byte and the whole body of one request, both from the same start.

        Locust's `stream=True` stops its clock at the response headers; an app may send its headers
        before any content, so the first byte of the BODY is read here (geventhttpclient's read(1)
        returns as soon as one byte is buffered) and the request's `response_time` is set to the total.
        """
        start = time.perf_counter()
        with self.client.request(method, path, stream=True, catch_response=True, **kwargs) as response:
            if getattr(response, "error", None) is not None:
                return  # leaving the block reports the transport or HTTP error, as for any request
            try:
                first = next(response.iter_content(chunk_size=1, decode_content=False), b"")
                ttfb_ms = (time.perf_counter() - start) * 1000.0
                for _ in response.iter_content(chunk_size=1 << 16, decode_content=False):
                    pass
            except Exception as exc:  # a reset mid-body is a failed request, as for a buffered one
                response.failure(exc)
                return
            response.request_meta["response_time"] = (time.perf_counter() - start) * 1000.0
            if first:
                response.request_meta["context"][_TTFB_KEY] = ttfb_ms
