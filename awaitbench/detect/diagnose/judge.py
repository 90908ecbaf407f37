"""The judgement: every classifier of `awaitbench.detect.diagnose.classify` on one route's evidence.

Pure: evidence in, findings out, most severe first. Where two findings tell the same story from the same
numbers, the more specific one is kept (see `_SUBSUMED`).
"""

from __future__ import annotations

from awaitbench.detect.diagnose.classify import CLASSIFIERS
from awaitbench.detect.diagnose.evidence import RouteEvidence
from awaitbench.detect.diagnose.findings import SEVERITIES, Finding

__all__ = ["judge", "notes"]

# (kept, dropped): when `kept` is found, `dropped` restates part of it.
# A client built per request costs the loop its construction (SSL context, CA bundle): that CPU is the
# per-request client's cost, quoted in its evidence, not a second pitfall.
_SUBSUMED: tuple[tuple[str, str], ...] = (("per_request_client", "cpu_work"),)


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
    note = timeouts.deadline_note(evidence)
    if note is not None and timeouts.classify(evidence) is None:
        found.append(note)
    for phase in (evidence.one_user, evidence.load, evidence.threadpool):
        if phase is not None and phase.driver_cpu_share >= 0.9:
            found.append(
                f"the load driver used {phase.driver_cpu_share:.0%} of a core in the {phase.name} phase: "
                "its throughput is a lower bound"
            )
        if phase is not None and phase.errors:
            found.append(f"{phase.errors} request(s) of the {phase.name} phase got no answer")
    if evidence.threadpool is not None:
        found.append(
            f"the route held one threadpool token per user at {evidence.users} users: a phase at "
            f"{evidence.threadpool.users} users checked the limiter"
        )
    return tuple(found)
