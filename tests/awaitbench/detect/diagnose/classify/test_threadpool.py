"""threadpool: found only when threads, not the CPU, bound the route: every token borrowed, requests waiting
for one a material share of their time, a token held about as long as a lone request takes, and the route
below what one core serves at its CPU per request."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from awaitbench.detect.diagnose.classify import threadpool
from awaitbench.detect.diagnose.evidence import PhaseFigures, RouteEvidence, UpstreamFigures
from tests.awaitbench.detect.diagnose.evidence_builders import evidence, loop, phase

STARTED, WALL_S = 130, 2.5


def _pool(
    *, users: int = 80, hold_ms: float = 770.0, waiting_share: float = 0.4, **loop_changes: Any
) -> PhaseFigures:
    """A sync-client route's threadpool phase: `users` (80 = twice the tokens), 750 ms upstream calls,
    40 tokens each held `hold_ms` per request, requests waiting `waiting_share` of their time."""
    return phase(
        "threadpool",
        users=users,
        started=STARTED,
        wall_s=WALL_S,
        throughput_rps=round(40 * 1000.0 / hold_ms),
        upstream_latency_ms=750.0,
        loop=loop(
            **{
                "threadpool_peak": 40,
                "threadpool_waiting_peak": users - 40,
                "threadpool_saturated_ms": 2000.0,
                "threadpool_borrowed_ms": hold_ms * STARTED,
                "threadpool_waiting_ms": waiting_share * users * WALL_S * 1000.0,
                **loop_changes,
            }
        ),
    )


def _route(pool: PhaseFigures, **changes: Any) -> RouteEvidence:
    """R₁ = 105 ms at L = 100 ms, one call per request: alone at 750 ms calls, a request takes 755 ms."""
    return evidence(threadpool=pool, **changes)


def test_a_pool_with_room_is_not_found() -> None:
    assert threadpool.classify(evidence()) is None


def test_threads_holding_a_token_for_a_lone_requests_time_beyond_n_users_is_medium() -> None:
    finding = threadpool.classify(_route(_pool()))
    assert finding is not None and finding.severity == "medium"
    assert "(upstream calls of 750 ms)" in finding.evidence
    assert "requests spent 40% of their time waiting for one" in finding.evidence
    assert "each held its token 770 ms, about what a request takes alone" in finding.evidence
    assert finding.cost.startswith(
        "reaches 52 req/s at 80 users: a plateau at 40 tokens / 770 ms = 51.9 req/s"
    )


def test_at_n_users_it_is_high() -> None:
    load = replace(
        _pool(users=60, hold_ms=110.0), name="load", upstream_latency_ms=None, app_cpu_ms_per_request=1.0
    )
    finding = threadpool.classify(evidence(load=load))
    assert finding is not None and finding.severity == "high"


def test_a_cpu_bound_route_whose_requests_queue_for_the_cpu_is_not_found() -> None:
    # A trivial sync /health on two cores: 850 req/s, every token borrowed and requests waiting, but each
    # request holds its token 47 ms where it takes 2 ms alone: it waits for the CPU, not for a thread.
    health = replace(_pool(hold_ms=47.0), upstream_latency_ms=None, app_cpu_ms_per_request=1.1)
    alone = phase("one_user", latency_p50_ms=2.0, upstream=UpstreamFigures())
    assert threadpool.classify(_route(health, one_user=alone)) is None


def test_a_route_at_one_cores_throughput_is_not_found_however_long_it_holds_tokens() -> None:
    at_cpu_bound = replace(_pool(), app_cpu_ms_per_request=18.0)  # 52 req/s where one core serves 55
    assert threadpool.classify(_route(at_cpu_bound)) is None


def test_requests_seldom_waiting_for_a_token_is_not_found() -> None:
    assert threadpool.classify(_route(_pool(waiting_share=0.05))) is None


def test_full_without_waiters_is_not_saturated() -> None:
    assert threadpool.classify(_route(_pool(threadpool_peak=40, threadpool_waiting_peak=0))) is None


def test_a_pool_never_full_is_not_saturated() -> None:
    assert threadpool.classify(_route(_pool(threadpool_peak=39))) is None
