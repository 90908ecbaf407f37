"""The agent's side channel: a tiny HTTP server on its own thread inside the app process.

Why a thread and not a route of the app: the bench must read and reset the evidence while the app's
loop is blocked (a sync client under load holds it for seconds), which no route of the app can answer.
Loopback only, on the port the bench chose. Endpoints:

- `GET /snapshot`: the agent's evidence since the last reset (`AgentSnapshot` JSON);
- `POST /reset`: start a new phase;
- `GET /inflight?upstream_port=P`: requests in flight with the timers they armed and the line of the
  app each is suspended at, and the timeouts of blocking sockets to the upstream (`InFlightReport`).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from awaitbench.detect.diagnose.agent import DiagnoseAgent
from awaitbench.detect.diagnose.deadlines import (
    InFlight,
    awaiting_frames,
    in_flight,
    upstream_socket_timeouts,
)
from awaitbench.detect.diagnose.wire import InFlightReport, RequestDeadlines
from awaitbench.detect.watchdog.config import FrameFilter
from awaitbench.detect.watchdog.report import Frame
from awaitbench.detect.watchdog.stacks import FrameClassifier, to_frames

__all__ = ["in_flight_report", "start_channel"]


_CLASSIFIER: FrameClassifier | None = None


def _awaiting_at(record: InFlight) -> Frame | None:
    """The innermost line of the app's own code the request's task is suspended at."""
    global _CLASSIFIER
    if _CLASSIFIER is None:
        _CLASSIFIER = FrameClassifier(FrameFilter())
    stack = awaiting_frames(record.task)
    user = [i for i, (file, _, _, module) in enumerate(stack) if _CLASSIFIER.is_user(file, module)]
    if not user:
        return None
    return to_frames(stack, _CLASSIFIER)[user[-1]]


def in_flight_report(agent: DiagnoseAgent, upstream_port: int | None) -> InFlightReport:
    now = time.monotonic()
    requests = tuple(
        RequestDeadlines(
            method=r.method,
            path=r.path,
            probe=r.probe,
            age_s=round(now - r.started, 3),
            timers_s=tuple(round(t, 3) for t in r.pending_s(now)),
            awaiting_at=_awaiting_at(r),
        )
        for r in in_flight()
    )
    sockets = tuple(upstream_socket_timeouts(upstream_port)) if upstream_port else ()
    return InFlightReport(
        requests=requests, upstream_socket_timeouts_s=sockets, current_stall_ms=round(agent.stall_ms(), 3)
    )


def start_channel(agent: DiagnoseAgent, port: int) -> ThreadingHTTPServer:
    """Serve the channel on 127.0.0.1:`port` from a daemon thread; returns the server."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, payload: dict[str, Any], status: int = 200) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/snapshot":
                self._answer(agent.snapshot().to_json())
            elif url.path == "/inflight":
                port = parse_qs(url.query).get("upstream_port", [""])[0]
                report = in_flight_report(agent, int(port) if port.isdigit() else None)
                self._answer(report.to_json())
            elif url.path == "/health":
                self._answer({"status": "ok"})
            else:
                self._answer({"error": f"unknown path {url.path}"}, status=404)

        def do_POST(self) -> None:
            if urlsplit(self.path).path == "/reset":
                agent.recorder.reset()
                self._answer({"reset": True})
            else:
                self._answer({"error": f"unknown path {self.path}"}, status=404)

        def log_message(self, format: str, *args: Any) -> None:  # the app's log stays the app's
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="awaitbench-diagnose-channel", daemon=True).start()
    return server
