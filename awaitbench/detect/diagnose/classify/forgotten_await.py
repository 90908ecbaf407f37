"""forgotten_await: a coroutine created and dropped without `await`: its work never runs."""

from __future__ import annotations

from awaitbench.detect.diagnose.cost import describe_frame, fmt
from awaitbench.detect.diagnose.evidence import NeverAwaitedSite, RouteEvidence
from awaitbench.detect.diagnose.findings import Finding

__all__ = ["PITFALL", "classify"]

PITFALL = "forgotten_await"
FIX = "Await the coroutine (or hand it to a task you keep a reference to); check the side effect in a test."


def classify(evidence: RouteEvidence) -> Finding | None:
    phases = [p for p in (evidence.one_user, evidence.load, evidence.threadpool) if p is not None]
    sites: dict[str, NeverAwaitedSite] = {}
    counts: dict[str, int] = {}
    for phase in phases:
        for site in phase.loop.never_awaited:
            key = site.coroutine + "@" + (site.origin.where if site.origin else site.defined_at.where)
            sites.setdefault(key, site)
            counts[key] = counts.get(key, 0) + site.count
    if not sites:
        return None
    key = max(counts, key=lambda k: counts[k])
    top, dropped = sites[key], sum(counts.values())
    requests = sum(p.started for p in phases)
    where = top.origin or top.defined_at
    return Finding(
        pitfall=PITFALL,
        severity="high",
        evidence=(
            f"{dropped} coroutine(s) never awaited in {requests} requests "
            f"({fmt(dropped / max(requests, 1))} per "
            f"request), e.g. '{top.coroutine}' defined at {top.defined_at.where}"
        ),
        numbers={"never_awaited": dropped, "requests": requests, "kinds": len(sites)},
        location=describe_frame(where),
        fix=FIX,
        cost=f"the work of '{top.coroutine}' never ran, {dropped} times, silently (the route still answers)",
    )
