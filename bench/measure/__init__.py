"""Measuring a point: request logs to exact latencies, psutil windows, validity rules, py-spy, machine facts.

Pure functions where possible (`requests`, `figures`, `validity`), so the arithmetic is unit-tested
without starting a process.
"""
