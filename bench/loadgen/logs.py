"""The files a load generator leaves in a point's requests directory: one format for Locust and the open loop.

`started-<pid>` and `requests-<pid>.csv` (`start_epoch_s,latency_ms,ok,ttfb_ms[,lag_ms]`); docs/bench.md
has every line shape."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DROPPED", "request_line", "request_log_files", "started_at"]

DROPPED = "dropped"


def request_line(
    start_s: float,
    *,
    latency_ms: float | None,
    ok: bool = False,
    ttfb_ms: float | None = None,
    lag_ms: float | None = None,
    dropped: bool = False,
) -> str:
    """One line of a request log (with its newline), open-loop flavour (five fields)."""
    if dropped:
        return f"{start_s:.6f},,,,{DROPPED}\n"
    lag = "" if lag_ms is None else f"{lag_ms:.3f}"
    if latency_ms is None:
        return f"{start_s:.6f},,,,{lag}\n"
    ttfb = "" if ttfb_ms is None else f"{ttfb_ms:.3f}"
    return f"{start_s:.6f},{latency_ms:.3f},{1 if ok else 0},{ttfb},{lag}\n"


def started_at(requests_dir: Path) -> float | None:
    """Epoch of the earliest start any generator process marked; None until one did."""
    times = []
    for marker in requests_dir.glob("started-*"):
        try:
            times.append(float(marker.read_text().strip()))
        except (OSError, ValueError):
            continue
    return min(times) if times else None


def request_log_files(requests_dir: Path) -> list[Path]:
    return sorted(requests_dir.glob("requests-*.csv"))
