"""The block log line: one structured line, rate-limited per location (pure logic, a fake clock)."""

from __future__ import annotations

import logging

import pytest

from awaitbench.detect.log_lines import BlockLogger, format_fields
from tests.awaitbench.detect.builders import make_block


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def lines() -> _Lines:
    return _Lines()


def _logger(handler: logging.Handler, name: str) -> logging.Logger:
    logger = logging.getLogger(f"tests.awaitbench.detect.{name}")
    logger.propagate = False
    logger.handlers = [handler]
    return logger


def test_format_fields_quotes_what_needs_quoting() -> None:
    text = format_fields(
        "loop_block", {"duration_ms": 212.5, "route": "POST /x", "code": 'f("a")', "n": None}
    )
    assert text == 'loop_block duration_ms=212.5 route="POST /x" code="f(\\"a\\")"'


def test_first_block_at_once_then_one_line_per_location_per_period(lines: _Lines) -> None:
    now = [100.0]
    log = BlockLogger(_logger(lines, "period"), every_s=10.0, clock=lambda: now[0])
    log.on_block(make_block(duration_ms=60.0))
    for _ in range(4):
        now[0] += 1.0
        log.on_block(make_block(duration_ms=50.0))
    assert len(lines.records) == 1
    first = lines.records[0]
    assert first.getMessage().startswith(
        "loop_block duration_ms=60 state=parked running=0.01 on_cpu=0.01 route="
    )
    assert (
        "at=app/services.py:42 function=parse_document code=time.sleep(0.05) samples=5" in first.getMessage()
    )
    assert vars(first)["loop_block"]["route"] == "POST /extract"  # logging's `extra` lands in the record
    log.on_lag(0.001)  # a check before the period is over: nothing to flush yet
    assert len(lines.records) == 1
    now[0] = 110.5
    log.on_lag(0.001)  # the period is over: the 4 pending blocks in one line
    assert len(lines.records) == 2
    assert "repeated=3 repeated_ms=150" in lines.records[1].getMessage()


def test_burst_caps_lines_across_locations(lines: _Lines) -> None:
    log = BlockLogger(_logger(lines, "burst"), every_s=10.0, burst=3, clock=lambda: 5.0)
    for line in range(10):
        log.on_block(make_block(line=line))
    assert len(lines.records) == 3
