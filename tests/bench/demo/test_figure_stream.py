"""The demo's figure stream: intervals summed over a sliding window, histograms merged, `run`'s validity."""

from __future__ import annotations

import pytest

from bench.demo.figure_stream import CpuWindow, Frame, SideFrame, Window, fix_ratio, merge_intervals
from bench.loadgen.intervals import Interval, encode_histogram, new_histogram, record_latency
from bench.measure.validity import LOADGEN_CPU_LIMIT_PERCENT
from scenarios.model import Prediction


def _interval(end_s: float, latencies_ms: list[float], *, errors: int = 0, cpu_s: float = 0.0) -> Interval:
    histogram = new_histogram()
    for ms in latencies_ms:
        record_latency(histogram, ms / 1000.0)
    return Interval(
        start_s=end_s - 0.5,
        end_s=end_s,
        users=10,
        completed=len(latencies_ms),
        errors={"http_502": errors} if errors else {},
        latency_histogram=encode_histogram(histogram) if latencies_ms else "",
        cpu_s=cpu_s,
    )


def test_a_window_sums_counts_and_takes_percentiles_from_the_merged_histogram() -> None:
    # 99 fast answers in one interval and one slow one in the next: the merged p99 is the fast one's, the
    # max of neither interval's own p99 (100 ms vs 1000 ms) would say otherwise.
    fast = _interval(1.0, [100.0] * 99, errors=2, cpu_s=0.05)
    slow = _interval(1.5, [1000.0], cpu_s=0.05)
    figures = merge_intervals([fast, slow])
    assert figures.completed == 100 and figures.failed == 2
    assert figures.window_s == pytest.approx(1.0)
    assert figures.throughput_rps == pytest.approx(100.0)
    assert figures.errors_per_s == pytest.approx(2.0)
    assert figures.p50_ms == pytest.approx(100.0, rel=0.01)
    assert figures.p99_ms == pytest.approx(100.0, rel=0.01)
    assert figures.loadgen_cpu_percent == pytest.approx(10.0)


def test_a_window_without_answers_has_no_latency_rather_than_zero() -> None:
    figures = merge_intervals([_interval(1.0, [], errors=3)])
    assert (figures.completed, figures.throughput_rps, figures.p50_ms, figures.p99_ms) == (0, 0.0, None, None)
    assert merge_intervals([]).throughput_rps == 0.0


def test_the_window_slides_on_the_drivers_clock() -> None:
    window = Window(2.0)
    for end in (0.5, 1.0, 1.5, 2.0, 2.5, 3.0):
        window.add(_interval(end, [100.0] * 5))
    figures = window.figures()  # the intervals ending after 3.0 - 2.0 = 1.0: four of half a second
    assert figures.completed == 20 and figures.window_s == pytest.approx(2.0)
    window.clear()
    assert window.figures().completed == 0


def test_cpu_window_reads_a_share_of_one_core_over_its_window() -> None:
    cpu = CpuWindow(2.0)
    assert cpu.percent() is None
    for step in range(10):  # half a core: 0.25 s of CPU every 0.5 s
        cpu.add(step * 0.5, step * 0.25)
    assert cpu.percent() == pytest.approx(50.0)


def test_a_driver_out_of_cpu_makes_the_side_untrustworthy_in_runs_words() -> None:
    busy = merge_intervals([_interval(1.0, [100.0] * 10, cpu_s=0.5)])  # 100 % of a core
    assert busy.loadgen_cpu_percent > LOADGEN_CPU_LIMIT_PERCENT
    side = SideFrame.measured("bad", busy, None, fake_llm_cpu_percent=None)
    assert side.invalid == ("load generator CPU 100% of a core (> 90%): fewer users, or a quieter machine",)
    calm = merge_intervals([_interval(1.0, [100.0] * 10, cpu_s=0.05)])
    assert SideFrame.measured("bad", calm, None, fake_llm_cpu_percent=None).invalid == ()
    upstream_busy = SideFrame.measured("bad", calm, None, fake_llm_cpu_percent=95.0)
    assert upstream_busy.invalid == ("fake_llm CPU 95% of a core (> 90%)",)


def test_a_frame_carries_the_theory_the_ratio_and_the_machine_note() -> None:
    prediction = Prediction(throughput_rps=10.0, latency_ms=1000.0)
    pitfall = SideFrame.measured(
        "bad", merge_intervals([_interval(1.0, [900.0] * 5)]), prediction, fake_llm_cpu_percent=5.0
    )
    fix = SideFrame.measured(
        "good", merge_intervals([_interval(1.0, [100.0] * 50)]), None, fake_llm_cpu_percent=5.0
    )
    frame = Frame.of(
        at=3.0,
        t=2.0,
        users=10,
        latency_ms=100.0,
        sides={"pitfall": pitfall, "fix": fix},
        machine_cpu_percent=99.0,
    )
    assert (pitfall.theory_rps, pitfall.theory_ms) == (10.0, 1000.0)
    assert frame.ratio == 10.0 == fix_ratio(pitfall, fix)
    assert frame.notes and "machine CPU 99%" in frame.notes[0]
    message = frame.to_message()
    assert message["kind"] == "frame" and message["sides"]["fix"]["figures"]["throughput_rps"] == 100.0
    down = SideFrame(variant="bad", status="down", message="bad exited with code -9")
    assert fix_ratio(down, fix) is None
