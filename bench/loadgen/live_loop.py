"""A closed loop whose users change while it runs: `python -m bench.loadgen.live_loop --port P`.

`awaitbench demo`'s driver on the generator's engine, controlled over loopback HTTP: `POST /target`, `POST
/interval`, `GET /health`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bench.loadgen.control_server import serve_routes
from bench.loadgen.intervals import Interval, encode_histogram, new_histogram, record_latency
from bench.loadgen.open_loop import Generator, Request
from bench.loadgen.open_loop_config import OpenLoopConfig

__all__ = ["MAX_LIVE_USERS", "LiveTarget", "main"]

MAX_LIVE_USERS = 1000
# A user whose connection was refused (the app is down or restarting) tries again after this long,
# instead of spinning on connect.
_RETRY_CONNECT_S = 0.25


@dataclass(frozen=True, kw_only=True)
class LiveTarget:
    """What the driver sends, where, and with how many users (0 = idle).

    Raises:
        ValueError: `users` out of 0..MAX_LIVE_USERS, or `url` not an http:// URL.
    """

    url: str
    users: int
    method: Literal["GET", "POST"] = "POST"
    json_body: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 <= self.users <= MAX_LIVE_USERS:
            raise ValueError(f"`users` must be in 0..{MAX_LIVE_USERS}, got {self.users}")
        self.request_config()  # checks the URL

    def request_config(self) -> OpenLoopConfig:
        """The engine's config for this target's request (the schedule fields are unused here)."""
        return OpenLoopConfig(
            url=self.url,
            rate_rps=1.0,
            warmup_s=0.0,
            measure_s=1.0,
            method=self.method,
            json_body=self.json_body,
            headers=self.headers,
            max_outstanding=MAX_LIVE_USERS,
        )

    def same_request(self, other: LiveTarget) -> bool:
        return (self.url, self.method, self.json_body, dict(self.headers)) == (
            other.url,
            other.method,
            other.json_body,
            dict(other.headers),
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LiveTarget:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Counts:
    """The current interval: answers, failures, latencies, CPU; `close` answers it and starts the next."""

    def __init__(self) -> None:
        self._start(time.monotonic())

    def _start(self, now: float) -> None:
        self.start_s, self.cpu0 = now, _cpu_s()
        self.completed = 0
        self.errors: Counter[str] = Counter()
        self.histogram = new_histogram()

    def answered(self, latency_s: float) -> None:
        self.completed += 1
        record_latency(self.histogram, latency_s)

    def failed(self, kind: str) -> None:
        self.errors[kind] += 1

    def close(self, users: int) -> Interval:
        now = time.monotonic()
        interval = Interval(
            start_s=round(self.start_s, 6),
            end_s=round(now, 6),
            users=users,
            completed=self.completed,
            errors=dict(self.errors),
            latency_histogram=encode_histogram(self.histogram) if self.completed else "",
            cpu_s=round(_cpu_s() - self.cpu0, 6),
        )
        self._start(now)
        return interval


class _Users:
    """The users of one target (the engine's sink): each sends its next request when the last one ends."""

    def __init__(self, target: LiveTarget, counts: _Counts) -> None:
        self.counts = counts
        self.wanted = 0
        self.running = 0
        self.gen = Generator(target.request_config(), self)

    def resize(self, wanted: int) -> None:
        self.wanted = wanted
        while self.running < wanted:
            self.running += 1
            self._send()

    def retire_all(self) -> None:
        """Every user stops after its request in flight; idle connections close now."""
        self.wanted = 0
        self.gen.close_all()

    def _send(self) -> None:
        now = time.perf_counter()
        self.gen.dispatch(Request(due_s=now), now)

    def _next(self) -> None:
        if self.running > self.wanted:
            self.running -= 1
            return
        self._send()

    def sent(self, request: Request) -> None:
        return None

    def answered(self, request: Request, status: int, now: float) -> None:
        self.counts.answered(now - request.dispatched_s)
        self._next()

    def failed(self, request: Request, kind: str, now: float) -> None:
        self.counts.failed(kind)
        if kind == "connect":
            asyncio.get_running_loop().call_later(_RETRY_CONNECT_S, self._next)
        else:
            self._next()

    def dropped(self, request: Request) -> None:
        # Never while `users` <= MAX_LIVE_USERS = max_outstanding; if it happens, that user retires.
        self.counts.failed("dropped")
        self.running -= 1


class _Driver:
    """The current target and its users; a new request (a restarted app) gets fresh users."""

    def __init__(self) -> None:
        self.counts = _Counts()
        self.target: LiveTarget | None = None
        self.users: _Users | None = None

    def apply(self, target: LiveTarget) -> None:
        if self.users is None or self.target is None or not target.same_request(self.target):
            if self.users is not None:
                self.users.retire_all()
            self.users = _Users(target, self.counts)
        self.target = target
        self.users.resize(target.users)

    def interval(self) -> Interval:
        return self.counts.close(self.target.users if self.target is not None else 0)


async def _serve(port: int) -> None:
    from aiohttp import web

    driver = _Driver()

    async def target(request: web.Request) -> web.Response:
        try:
            wanted = LiveTarget.from_json(await request.json())
        except (TypeError, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        driver.apply(wanted)
        return web.json_response({"users": wanted.users})

    async def interval(request: web.Request) -> web.Response:
        return web.Response(text=driver.interval().to_json(), content_type="application/json")

    def retire() -> None:
        if driver.users is not None:
            driver.users.retire_all()

    await serve_routes(port, [("POST", "/target", target), ("POST", "/interval", interval)], on_stop=retire)


def main(argv: Sequence[str] | None = None) -> int:
    import uvloop

    parser = argparse.ArgumentParser(prog="python -m bench.loadgen.live_loop")
    parser.add_argument("--port", type=int, required=True, help="loopback port of the control API")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(_serve(args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
