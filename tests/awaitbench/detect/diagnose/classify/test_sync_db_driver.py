"""sync_db_driver: blocking work whose busiest app line waits inside a database driver; the judgement
keeps it and drops the generic blocking_work finding."""

from __future__ import annotations

from dataclasses import replace

from awaitbench.detect.diagnose.classify import sync_db_driver
from awaitbench.detect.diagnose.evidence import BlockSite, RouteEvidence
from awaitbench.detect.diagnose.judge import judge
from awaitbench.detect.watchdog.report import Frame
from tests.awaitbench.detect.diagnose.catalogue_fixtures import recorded
from tests.awaitbench.detect.diagnose.evidence_builders import APP_LINE, evidence, loop, phase, site

PSYCOPG_WAIT = Frame(
    file="/venv/site-packages/psycopg/connection.py", line=495, function="Connection.wait", user_code=False
)
SLEEP = Frame(file="/usr/lib/python3.11/time.py", line=1, function="sleep", user_code=False)


def _parked_in(below: Frame, ms: float = 250.0) -> RouteEvidence:
    def parked(total_ms: float) -> BlockSite:
        return replace(site("parked", total_ms), stack=(APP_LINE, below))

    return evidence(
        one_user=phase("one_user", loop=loop(blocked_ms=ms, sites=(parked(ms),))),
        load=phase(loop=loop(blocked_ms=2000.0, sites=(parked(2000.0),))),
    )


def test_a_loop_parked_in_psycopg_is_a_sync_db_driver_named_at_the_app_line() -> None:
    finding = sync_db_driver.classify(_parked_in(PSYCOPG_WAIT))
    assert finding is not None
    assert finding.severity == "high"
    assert "sync database driver 50 ms per request" in finding.evidence
    assert finding.location == "app/routes.py:42 in ask: reply = client.create()"
    assert [f.pitfall for f in judge(_parked_in(PSYCOPG_WAIT))] == ["sync_db_driver"]


def test_a_loop_parked_elsewhere_stays_blocking_work() -> None:
    assert sync_db_driver.classify(_parked_in(SLEEP)) is None
    assert [f.pitfall for f in judge(_parked_in(SLEEP))] == ["blocking_work"]


def test_a_short_park_in_the_driver_is_not_a_finding() -> None:
    assert sync_db_driver.classify(_parked_in(PSYCOPG_WAIT, ms=52.0)) is None  # under a tenth of the phase


def test_the_recorded_catalogue_variants() -> None:
    pitfall = sync_db_driver.classify(recorded("sync_db_driver__sync_driver"))
    assert pitfall is not None and "scenarios/sync_db_driver.py" in (pitfall.location or "")
    assert [f.pitfall for f in judge(recorded("sync_db_driver__sync_driver"))] == ["sync_db_driver"]
    assert judge(recorded("sync_db_driver__async_driver")) == ()
