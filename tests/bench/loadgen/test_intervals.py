"""The live driver's interval format: histograms that travel as text and add up exactly."""

from __future__ import annotations

import pytest

from bench.loadgen.intervals import (
    MAX_LATENCY_US,
    Interval,
    decode_histogram,
    encode_histogram,
    new_histogram,
    record_latency,
)


def test_a_histogram_survives_its_text_form() -> None:
    histogram = new_histogram()
    for ms in (100, 101, 102, 250, 1200):
        record_latency(histogram, ms / 1000.0)
    back = decode_histogram(encode_histogram(histogram))
    assert back.get_total_count() == 5
    assert back.get_value_at_percentile(50) == histogram.get_value_at_percentile(50)
    assert back.get_max_value() == histogram.get_max_value()


def test_latencies_out_of_range_are_clamped_not_lost() -> None:
    histogram = new_histogram()
    record_latency(histogram, 0.0)
    record_latency(histogram, 3600.0)
    assert histogram.get_total_count() == 2
    assert histogram.get_min_value() == 1
    assert histogram.get_max_value() >= MAX_LATENCY_US * 0.999


def test_empty_text_is_an_empty_histogram_and_garbage_is_an_error() -> None:
    assert decode_histogram("").get_total_count() == 0
    with pytest.raises(ValueError, match="not an encoded latency histogram"):
        decode_histogram("bm90IGEgaGlzdG9ncmFt")


def test_an_interval_round_trips_through_json_and_rejects_other_documents() -> None:
    interval = Interval(start_s=1.0, end_s=1.4, users=10, completed=4, errors={"http_502": 1}, cpu_s=0.01)
    back = Interval.from_json(interval.to_json())
    assert back == interval
    assert back.duration_s == pytest.approx(0.4)
    with pytest.raises(ValueError):
        Interval.from_json("[1, 2]")
    with pytest.raises(ValueError):
        Interval.from_json('{"start_s": 1.0}')
