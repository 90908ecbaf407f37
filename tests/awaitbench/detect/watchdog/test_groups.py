"""Blocks grouped by location: counts, percentiles, routes, and the bounds kept for long-lived processes."""

from __future__ import annotations

from awaitbench.detect.watchdog.groups import BlockLog, percentile
from tests.awaitbench.detect.builders import make_block


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) == 0.0


def test_groups_by_location_most_total_time_first() -> None:
    log = BlockLog()
    for duration in (50.0, 51.0, 52.0):
        log.add(make_block(duration_ms=duration))
    log.add(make_block(duration_ms=100.0, line=99, function="render", state="running", route="GET /pdf"))
    log.add(make_block(duration_ms=60.0, route="POST /other"))
    first, second = log.groups()
    assert (first.location.line, first.count, first.total_ms, first.max_ms) == (42, 4, 213.0, 60.0)
    assert first.routes == ("POST /extract", "POST /other")  # most frequent first
    assert first.state == "parked"
    assert (second.location.line, second.state, second.p99_ms) == (99, "running", 100.0)


def test_describe_reads_like_the_issue() -> None:
    log = BlockLog()
    for _ in range(212):
        log.add(make_block(duration_ms=50.0))
    text = log.groups()[0].describe()
    assert text == (
        "app/services.py:42 `time.sleep(0.05)` in parse_document — 212 blocks, 10.6 s total, "
        "p99 50 ms, parked, during POST /extract"
    )


def test_bounds_keep_counting_what_they_do_not_keep() -> None:
    log = BlockLog(max_blocks=2, max_groups=2)
    for line in (1, 2, 3, 4):
        log.add(make_block(line=line))
    assert len(log.blocks()) == 2 and log.dropped == 2
    groups = log.groups()
    assert sum(g.count for g in groups) == 4
    assert {g.location.file for g in groups} == {"app/services.py", "<other locations>"}
