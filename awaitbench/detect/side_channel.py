"""The harness's side channel: a small HTTP server on its own thread, on 127.0.0.1, inside the app process.

It answers while the app's loop is blocked, which no route of the app can: `GET /snapshot` (the recorder's
document), `POST /reset`, `GET /inflight?upstream_port=P` (`InFlightReport`), `GET /health`.
"""

from __future__ import annotations

import atexit
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from awaitbench.detect.diagnose.deadlines import IN_FLIGHT, in_flight_report
from awaitbench.detect.harness import Harness

__all__ = ["start_side_channel", "write_port_file"]


def start_side_channel(harness: Harness[Any], port: int = 0) -> ThreadingHTTPServer:
    """Serve `harness` on 127.0.0.1:`port` (0: a free one) from a daemon thread; returns the server."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, body: bytes, status: int = 200) -> None:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _unknown(self, path: str) -> None:
            self._answer(json.dumps({"error": f"unknown path {path}"}).encode(), status=404)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/snapshot":
                self._answer(harness.snapshot_json())
            elif url.path == "/inflight":
                upstream = parse_qs(url.query).get("upstream_port", [""])[0]
                report = in_flight_report(
                    int(upstream) if upstream.isdigit() else None, stall_ms=harness.current_stall_ms()
                )
                self._answer(IN_FLIGHT.dump_json(report))
            elif url.path == "/health":
                self._answer(b'{"status": "ok"}')
            else:
                self._unknown(url.path)

        def do_POST(self) -> None:
            if urlsplit(self.path).path == "/reset":
                harness.reset()
                self._answer(b'{"reset": true}')
            else:
                self._unknown(self.path)

        def log_message(self, format: str, *args: Any) -> None:  # the app's log stays the app's
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="awaitbench-side-channel", daemon=True).start()
    return server


def write_port_file(server: ThreadingHTTPServer, path: Path) -> None:
    """Write the server's port to `path` atomically (removed when the process exits): how a caller that
    starts several workers finds each one's channel."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(str(server.server_address[1]))
    tmp.replace(path)
    atexit.register(lambda: path.unlink(missing_ok=True))
