"""The judgement: every classifier of `awaitbench.detect.diagnose.classify` on one route's evidence.

Pure: evidence in, findings out, most severe first. Where two findings tell the same story from the same
numbers, the more specific one is kept (see `_SUBSUMED`).
"""

from __future__ import annotations

from awaitbench.detect.diagnose.classify import CLASSIFIERS
from awaitbench.detect.diagnose.evidence import RouteEvidence
from awaitbench.detect.diagnose.findings import SEVERITIES, Finding
from awaitbench.detect.diagnose.outbound import merge_hosts

__all__ = ["judge", "notes"]

# (kept, dropped): when `kept` is found, `dropped` restates part of it.
# A client built per request costs the loop its construction (SSL context, CA bundle): that CPU is the
# per-request client's cost, quoted in its evidence, not a second pitfall. A blocked loop also starves
# the thread pool (tasks waiting for a token cannot run): the blocking is the finding, not the pool. A loop
# parked in a database driver is blocking work with a name: `sync_db_driver` says which.
_SUBSUMED: tuple[tuple[str, str], ...] = (
    ("per_request_client", "cpu_work"),
    ("sync_client", "threadpool"),
    ("blocking_work", "threadpool"),
    ("cpu_work", "threadpool"),
    ("sync_db_driver", "blocking_work"),
    ("sync_db_driver", "threadpool"),
)


def judge(evidence: RouteEvidence) -> tuple[Finding, ...]:
    """The findings for one route (empty for a clean one), most severe first, then catalogue order."""
    found = [finding for classify in CLASSIFIERS if (finding := classify(evidence)) is not None]
    pitfalls = {f.pitfall for f in found}
    found = [
        f for f in found if not any(kept in pitfalls and f.pitfall == dropped for kept, dropped in _SUBSUMED)
    ]
    order = {classify.__module__.rsplit(".", 1)[-1]: i for i, classify in enumerate(CLASSIFIERS)}
    return tuple(sorted(found, key=lambda f: (-SEVERITIES.index(f.severity), order.get(f.pitfall, 99))))


def notes(evidence: RouteEvidence) -> tuple[str, ...]:
    """What a reader should know about a route's figures that is not a finding."""
    from awaitbench.detect.diagnose.classify import timeouts

    found: list[str] = []
    if evidence.one_user.upstream.calls == 0:
        found.append("the route made no upstream call: no 429 or hang probe")
    if evidence.retry is not None and not evidence.retry.settled:
        found.append(
            "no 429 probe: the app kept calling the upstream for earlier requests (a blocked loop working "
            "through its backlog), so a probe's retries could not be told apart"
        )
    note = timeouts.deadline_note(evidence)
    if note is not None and timeouts.classify(evidence) is None:
        found.append(note)
    found += _outbound_notes(evidence)
    for phase in (evidence.one_user, evidence.load, evidence.threadpool):
        if phase is not None and phase.driver_cpu_share >= 0.9:
            found.append(
                f"the load driver used {phase.driver_cpu_share:.0%} of a core in the {phase.name} phase: "
                "its throughput is a lower bound"
            )
        if phase is not None and phase.errors:
            found.append(f"{phase.errors} request(s) of the {phase.name} phase got no answer")
    pool = evidence.threadpool
    if pool is not None:
        lengthened = (
            f" with {pool.upstream_latency_ms:g} ms upstream calls" if pool.upstream_latency_ms else ""
        )
        found.append(
            f"the route held one threadpool token per user at {evidence.users} users: a phase at "
            f"{pool.users} users{lengthened} checked the limiter"
        )
    return tuple(found)


def _outbound_notes(evidence: RouteEvidence) -> list[str]:
    """Hosts the route called that diagnose does not capture, with their errors."""
    phases = [p for p in (evidence.one_user, evidence.load, evidence.threadpool) if p is not None]
    hosts = merge_hosts(*(p.outbound for p in phases))
    return [
        f"it also called {h.label} (not captured): {h.errors} of {h.calls} call(s) failed, "
        f"e.g. {h.last_error}"
        for h in hosts
        if not h.captured and h.errors
    ]
