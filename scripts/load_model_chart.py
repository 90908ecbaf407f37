"""The load model's chart from a real run: `python scripts/load_model_chart.py [--out FILE.png]`.

Starts a real fake_llm (`--preset busy`: 200 ms TTFT, latency x1 -> x3 from 1 to 64 requests in service, at
most 64 served at once) and, for each concurrency level, keeps that many streaming requests in flight
(closed loop: a client sends its next request as soon as its stream ends) for a few seconds. It measures each
request's time to first token at the client, reads the server's `in_flight` from `/stats`, and plots the
measured TTFT against the model's line. Requests that started in the first second of a level are not
counted: while the clients ramp up, the server is not yet at that level. About a minute in all.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LEVELS = (1, 8, 16, 32, 48, 64, 80, 96, 128)
PRESET = "busy"
BODY = {
    "model": "fake-chat",
    "messages": [{"role": "user", "content": "Tell me something."}],
    "max_tokens": 8,
    "stream": True,
}


@dataclass(frozen=True, kw_only=True)
class Level:
    """What one concurrency level measured."""

    concurrency: int
    in_flight_mean: float
    ttft_ms: list[float]


async def _one_client(session: object, url: str, until: float, count_after: float, sink: list[float]) -> None:
    import aiohttp

    assert isinstance(session, aiohttp.ClientSession)
    while time.monotonic() < until:
        sent = time.monotonic()
        first: float | None = None
        async with session.post(url, json=BODY) as response:
            async for _ in response.content.iter_any():
                if first is None:
                    first = time.monotonic()
        if first is not None and sent >= count_after:
            sink.append((first - sent) * 1000)


async def _level(base: str, concurrency: int, seconds: float) -> Level:
    import aiohttp

    url = f"{base}/v1/chat/completions"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        start = time.monotonic()
        ttfts: list[float] = []
        clients = [
            asyncio.ensure_future(_one_client(session, url, start + seconds, start + 1.0, ttfts))
            for _ in range(concurrency)
        ]
        samples: list[int] = []
        while not all(task.done() for task in clients):
            await asyncio.sleep(0.1)
            now = time.monotonic()
            if start + 1.0 <= now <= start + seconds:
                async with session.get(f"{base}/stats") as stats:
                    samples.append(int((await stats.json())["in_flight"]))
        await asyncio.gather(*clients)
    return Level(concurrency=concurrency, in_flight_mean=statistics.fmean(samples or [0]), ttft_ms=ttfts)


def _model_ttft_ms(in_service: float, *, ttft_ms: float, factor: float, capacity: int) -> float:
    return ttft_ms * min(factor, 1 + (factor - 1) * (in_service - 1) / (capacity - 1))


def _plot(levels: list[Level], out: Path, *, ttft_ms: float, factor: float, capacity: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=120)
    xs = [level.in_flight_mean for level in levels]
    medians = [statistics.median(level.ttft_ms) for level in levels]
    lows = [m - statistics.quantiles(lv.ttft_ms, n=10)[0] for m, lv in zip(medians, levels, strict=True)]
    highs = [statistics.quantiles(lv.ttft_ms, n=10)[-1] - m for m, lv in zip(medians, levels, strict=True)]
    ax.errorbar(xs, medians, yerr=[lows, highs], fmt="o", capsize=3, label="measured TTFT (median, p10–p90)")
    line_x = list(range(1, capacity + 1))
    line_y = [_model_ttft_ms(x, ttft_ms=ttft_ms, factor=factor, capacity=capacity) for x in line_x]
    ax.plot(
        line_x, line_y, "--", color="grey", label=f"model: {ttft_ms:g} ms × (1 → {factor:g}) up to the cap"
    )
    ax.axvline(capacity, color="tab:red", alpha=0.4)
    ax.text(capacity + 1, max(medians) * 0.15, f"cap = {capacity}:\nmore requests queue", color="tab:red")
    ax.set_xlabel("requests in flight at the server (mean of /stats in_flight)")
    ax.set_ylabel("time to first token, ms")
    ax.set_title(f"fake_llm --preset {PRESET}: latency grows with load")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)


def main(argv: list[str] | None = None) -> int:
    from bench.processes import ManagedProcess, ProcessSpec, free_port
    from fake_llm.launch import fake_llm_argv
    from fake_llm.presets import PRESETS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "docs/img/load_model_ttft.png")
    parser.add_argument("--seconds", type=float, default=5.0, help="load per concurrency level")
    args = parser.parse_args(argv)
    preset = PRESETS[PRESET].settings
    ttft_ms, factor, capacity = (
        float(preset["ttft_ms"]),
        float(preset["load_factor"]),
        int(preset["max_concurrency"]),
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    spec = ProcessSpec(
        name="fake_llm", argv=fake_llm_argv(port=port, preset=PRESET), ready_url=f"{base}/health"
    )
    levels: list[Level] = []
    with ManagedProcess(spec):
        for concurrency in LEVELS:
            level = asyncio.run(_level(base, concurrency, args.seconds))
            levels.append(level)
            print(
                f"{concurrency:4d} clients: in flight {level.in_flight_mean:6.1f}, "
                f"TTFT median {statistics.median(level.ttft_ms):7.1f} ms over {len(level.ttft_ms)} requests"
            )
    _plot(levels, args.out, ttft_ms=ttft_ms, factor=factor, capacity=capacity)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
