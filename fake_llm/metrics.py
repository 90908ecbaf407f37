"""`GET /metrics`: the lifetime counters in Prometheus text format (version 0.0.4).

Rendered by hand from ServerStats instead of through prometheus_client so the request hot path only
increments plain ints; the cost of formatting is paid by the scraper, not by every request.
"""

from __future__ import annotations

from fake_llm.stats import ERROR_BUCKET_MS, SCHED_BUCKETS_MS, ServerStats

__all__ = ["CONTENT_TYPE", "render_metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _metric(lines: list[str], name: str, kind: str, help_: str) -> None:
    lines.append(f"# HELP {name} {help_}")
    lines.append(f"# TYPE {name} {kind}")


def render_metrics(stats: ServerStats) -> str:
    t = stats.totals
    by_status = t.by_status()
    requests = sum(by_status.values())
    lines: list[str] = []
    _metric(lines, "fake_llm_requests_total", "counter", "API requests by route and status.")
    for (route, status), count in sorted(t.by_route.items()):
        lines.append(f'fake_llm_requests_total{{route="{route}",status="{status}"}} {count}')
    _metric(lines, "fake_llm_in_flight", "gauge", "API requests in the server now (queued included).")
    lines.append(f"fake_llm_in_flight {stats.in_flight}")
    _metric(lines, "fake_llm_queued", "gauge", "API requests waiting for a concurrency slot now.")
    lines.append(f"fake_llm_queued {stats.queued}")
    _metric(lines, "fake_llm_peak_in_flight", "gauge", "Highest in-flight count since start.")
    lines.append(f"fake_llm_peak_in_flight {stats.peak_in_flight}")
    _metric(lines, "fake_llm_connections_opened_total", "counter", "Connections that carried an API request.")
    lines.append(f"fake_llm_connections_opened_total {t.connections_opened}")
    _metric(lines, "fake_llm_connections_open", "gauge", "Client connections open now.")
    lines.append(f"fake_llm_connections_open {stats.connections_open}")
    _metric(lines, "fake_llm_requests_per_connection", "gauge", "API requests per opened connection.")
    per_conn = requests / t.connections_opened if t.connections_opened else 0.0
    lines.append(f"fake_llm_requests_per_connection {per_conn:g}")
    for name, value, help_ in (
        ("fake_llm_tokens_out_total", t.tokens_out_total, "Completion tokens sent."),
        ("fake_llm_tokens_in_total", t.tokens_in_total, "Prompt tokens received (estimated)."),
        ("fake_llm_rate_limited_total", by_status.get("429", 0), "429 responses sent."),
        (
            "fake_llm_server_errors_total",
            sum(n for s, n in by_status.items() if s.startswith("5")),
            "5xx sent.",
        ),
        ("fake_llm_hangs_total", t.hangs_total, "Requests hung on purpose."),
        ("fake_llm_disconnects_total", t.disconnects_total, "Answers cut after they began."),
    ):
        _metric(lines, name, "counter", help_)
        lines.append(f"{name} {value}")
    name = "fake_llm_scheduling_error_ms"
    _metric(lines, name, "histogram", "Actual minus intended completion time of a request (ms).")
    cumulative = 0
    index = 0
    for bound in SCHED_BUCKETS_MS:
        limit = round(bound / ERROR_BUCKET_MS)
        while index < limit:
            cumulative += t.error_buckets[index]
            index += 1
        lines.append(f'{name}_bucket{{le="{bound:g}"}} {cumulative}')
    lines.append(f'{name}_bucket{{le="+Inf"}} {t.error_count}')
    lines.append(f"{name}_sum {t.error_sum_ms:.6f}")
    lines.append(f"{name}_count {t.error_count}")
    return "\n".join(lines) + "\n"
