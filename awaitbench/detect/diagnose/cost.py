"""What a pitfall costs one route, in words a reviewer reads once: numbers with their units."""

from __future__ import annotations

from awaitbench.detect.diagnose.evidence import PhaseFigures, RouteEvidence
from awaitbench.detect.watchdog.report import Frame

__all__ = [
    "describe_frame",
    "fmt",
    "fmt_ms",
    "littles_bound_rps",
    "ratio_text",
    "throughput_cost",
]


_CPU_BOUND_SHARE = 0.8  # a route at 80% of one core's throughput is bound by the CPU


def fmt(value: float) -> str:
    """Two significant digits below 100, whole numbers above: 9.8, 0.52, 190, 1234."""
    if value >= 100 or value == int(value):
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.2g}"


def fmt_ms(ms: float) -> str:
    return f"{ms / 1000:.3g} s" if ms >= 1000 else f"{fmt(ms)} ms"


def ratio_text(ratio: float) -> str:
    return f"x{ratio:.0f}" if ratio >= 10 else f"x{ratio:.1f}"


def littles_bound_rps(users: int, latency_ms: float) -> float | None:
    """N / R: the throughput N users reach when each request takes `latency_ms` (None for R = 0)."""
    return users * 1000.0 / latency_ms if latency_ms > 0 else None


def throughput_cost(evidence: RouteEvidence, phase: PhaseFigures | None = None) -> str:
    """`reaches 9.8 req/s at 20 users where Little's law allows 190: x19 below` (empty without figures)."""
    phase = phase or evidence.load
    r1 = evidence.one_user.latency_p50_ms
    if phase is None or r1 is None:
        return ""
    bound = littles_bound_rps(phase.users, r1)
    if bound is None:
        return ""
    x = phase.throughput_rps
    text = f"reaches {fmt(x)} req/s at {phase.users} users where Little's law allows {fmt(bound)}"
    if x <= 0:
        return text + ": no answer at all"
    ratio = bound / x
    text += f": {ratio_text(ratio)} below" if ratio >= 1.15 else " (within 15%)"
    ceiling = phase.cpu_bound_rps
    if ceiling is not None and x >= _CPU_BOUND_SHARE * ceiling:
        cpu = fmt(phase.app_cpu_ms_per_request or 0.0)
        text += (
            f"; the app's CPU allows {fmt(ceiling)} ({cpu} ms per request on one core), so it bounds it too"
        )
    return text


def describe_frame(frame: Frame) -> str:
    """`app/routes.py:42 in ask: reply = client.chat.completions.create(...)`."""
    text = f"{frame.where} in {frame.function}"
    return f"{text}: {frame.source}" if frame.source else text
