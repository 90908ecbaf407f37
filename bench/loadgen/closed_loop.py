"""A small closed-loop load driver in its own process: `python -m bench.loadgen.closed_loop --port P`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter

from bench.loadgen.control_server import serve_routes

__all__ = ["LoadResult", "LoadSpec", "ProbeResult", "main", "run_load", "run_probe", "spec_json"]


@dataclass(frozen=True, kw_only=True)
class LoadSpec:
    """One phase of load against one route.

    Args:
        url: the full URL.
        method: HTTP method.
        body: the request body (JSON text), or None.
        headers: extra request headers.
        users: concurrent closed-loop users.
        duration_s: how long users keep sending.
        warmup_s: answers ending before this are not counted.
        max_requests: stop starting requests after this many (None: only the duration limits).
        timeout_s: a request still unanswered after this counts as an error (TimeoutError).
    """

    url: str
    method: str = "GET"
    body: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    users: int = 1
    duration_s: float = 1.0
    warmup_s: float = 0.0
    max_requests: int | None = None
    timeout_s: float = 30.0

    @classmethod
    def from_json(cls, data: Any) -> LoadSpec:
        return _LOAD_SPEC.validate_python(data)


@dataclass(frozen=True, kw_only=True)
class LoadResult:
    """What one phase measured (latencies of the counted answers, in ms, in completion order)."""

    started: int
    counted: int
    statuses: Mapping[str, int]
    errors: Mapping[str, int]
    latencies_ms: Sequence[float]
    window_s: float
    wall_s: float
    cpu_s: float

    @property
    def throughput_rps(self) -> float:
        return self.counted / self.window_s if self.window_s > 0 else 0.0

    @property
    def cpu_share(self) -> float:
        """The driver's own CPU over the phase, as a share of one core."""
        return self.cpu_s / self.wall_s if self.wall_s > 0 else 0.0

    @classmethod
    def from_json(cls, data: Any) -> LoadResult:
        return _LOAD_RESULT.validate_python(data)


@dataclass(frozen=True, kw_only=True)
class ProbeResult:
    """One request with a deadline: answered or not, and when.

    Args:
        answered: the whole answer arrived.
        status: its HTTP status (also when the body then broke off).
        latency_ms: until the answer ended, or the request failed.
        error: `TimeoutError` (no answer within the deadline), or the exception type and message.
        body_head: the answer's first line (up to 200 characters), to say why a request was refused.
    """

    answered: bool
    status: int | None
    latency_ms: float
    error: str | None = None
    body_head: str = ""

    @property
    def timed_out(self) -> bool:
        return self.error == "TimeoutError"

    @classmethod
    def from_json(cls, data: Any) -> ProbeResult:
        return _PROBE_RESULT.validate_python(data)


_LOAD_SPEC = TypeAdapter(LoadSpec)
_LOAD_RESULT = TypeAdapter(LoadResult)
_PROBE_RESULT = TypeAdapter(ProbeResult)


def spec_json(spec: LoadSpec) -> str:
    """The request body the bench sends for `spec`."""
    return _LOAD_SPEC.dump_json(spec).decode()


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


_HEAD_CHARS = 200


def _first_line(data: bytes) -> str:
    text = data[: _HEAD_CHARS * 4].decode("utf-8", errors="replace").strip()
    return text.splitlines()[0][:_HEAD_CHARS] if text else ""


async def _one(session: Any, spec: LoadSpec, body: bytes | None, *, detail: bool = False) -> _Outcome:
    """One request; with `detail`, the error's message and the body's first line are kept."""
    import aiohttp

    status: int | None = None
    try:
        async with session.request(
            spec.method,
            spec.url,
            data=body,
            headers=spec.headers,
            timeout=aiohttp.ClientTimeout(total=spec.timeout_s),
        ) as response:
            status = response.status
            data = await response.read()
            return _Outcome(status, None, _first_line(data) if detail else "")
    except TimeoutError:
        return _Outcome(status, "TimeoutError", "")
    except Exception as exc:  # a refused or reset connection is a measurement, not a crash
        message = f"{type(exc).__name__}: {exc}" if detail and str(exc) else type(exc).__name__
        return _Outcome(status, message, "")


@dataclass(frozen=True)
class _Outcome:
    status: int | None
    error: str | None
    body_head: str


async def run_load(session: Any, spec: LoadSpec) -> LoadResult:
    """Drive one phase (see the module docstring)."""
    body = spec.body.encode() if spec.body is not None else None
    statuses: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    latencies: list[float] = []
    cpu0, start = _cpu_s(), time.monotonic()
    window_start, window_end = start + spec.warmup_s, start + spec.duration_s
    started = 0

    async def user() -> None:
        nonlocal started
        while time.monotonic() < window_end and (spec.max_requests is None or started < spec.max_requests):
            started += 1
            sent = time.monotonic()
            outcome = await _one(session, spec, body)
            done = time.monotonic()
            if window_start <= done <= window_end or spec.max_requests is not None:
                if outcome.error is None:
                    statuses[str(outcome.status)] += 1
                    latencies.append(round((done - sent) * 1000.0, 3))
                else:
                    errors[outcome.error] += 1

    await asyncio.gather(*(user() for _ in range(spec.users)))
    wall = time.monotonic() - start
    window = (min(time.monotonic(), window_end) - window_start) if spec.max_requests is None else wall
    return LoadResult(
        started=started,
        counted=sum(statuses.values()),
        statuses=dict(statuses),
        errors=dict(errors),
        latencies_ms=latencies,
        window_s=round(max(window, 0.0), 4),
        wall_s=round(wall, 4),
        cpu_s=round(_cpu_s() - cpu0, 4),
    )


async def run_probe(session: Any, spec: LoadSpec) -> ProbeResult:
    body = spec.body.encode() if spec.body is not None else None
    sent = time.monotonic()
    outcome = await _one(session, spec, body, detail=True)
    latency = round((time.monotonic() - sent) * 1000.0, 3)
    return ProbeResult(
        answered=outcome.error is None,
        status=outcome.status,
        latency_ms=latency,
        error=outcome.error,
        body_head=outcome.body_head,
    )


@contextlib.asynccontextmanager
async def _fresh_session() -> Any:
    """A session with connections of its own (keep-alive within one phase, none across phases)."""
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        yield session


async def _serve(port: int) -> None:
    from aiohttp import web

    async def phase(request: web.Request) -> web.Response:
        spec = LoadSpec.from_json(await request.json())
        async with _fresh_session() as session:
            return web.json_response(_LOAD_RESULT.dump_python(await run_load(session, spec), mode="json"))

    async def probe(request: web.Request) -> web.Response:
        spec = LoadSpec.from_json(await request.json())
        async with _fresh_session() as session:
            return web.json_response(_PROBE_RESULT.dump_python(await run_probe(session, spec), mode="json"))

    await serve_routes(port, [("POST", "/phase", phase), ("POST", "/probe", probe)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen.closed_loop")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
