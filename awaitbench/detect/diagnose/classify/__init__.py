"""One evidence classifier per pitfall of the catalogue: each module's `classify(evidence) -> Finding | None`.

Every classifier judges numbers of `awaitbench.detect.diagnose.evidence` only (never route names or function
names),
is pure, and documents a bad and a good example. Order: the catalogue's.
"""

from __future__ import annotations

from collections.abc import Callable

from awaitbench.detect.diagnose.classify import (
    blocking_work,
    cpu_work,
    db_session_held,
    fan_out,
    forgotten_await,
    per_request_client,
    retries,
    serial_awaits,
    sync_client,
    sync_db_driver,
    threadpool,
    timeouts,
)
from awaitbench.detect.diagnose.evidence import RouteEvidence
from awaitbench.detect.diagnose.findings import Finding

__all__ = ["CLASSIFIERS", "Classifier"]

Classifier = Callable[[RouteEvidence], Finding | None]

CLASSIFIERS: tuple[Classifier, ...] = (
    sync_client.classify,
    per_request_client.classify,
    serial_awaits.classify,
    fan_out.classify,
    blocking_work.classify,
    cpu_work.classify,
    timeouts.classify,
    retries.classify,
    threadpool.classify,
    forgotten_await.classify,
    sync_db_driver.classify,
    db_session_held.classify,
)
