"""A route's first requests: find a request it accepts, or say plainly, in one line, why it fails.

Candidate bodies are tried while the route refuses them; a refusal naming an undeclared field gets one
more try with it. The reason names the status, the body's first line, the outbound call that failed and
the app's last error line. docs/diagnose.md, "Which requests".
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from awaitbench.detect.diagnose.outbound import OutboundHost, merge_hosts
from bench.diagnose.bodies import QUESTION
from bench.diagnose.phases import Session, probe_once
from bench.diagnose.targets import RequestTarget
from bench.loadgen.closed_loop import ProbeResult

__all__ = ["FirstAnswer", "first_answer", "named_field", "with_field"]

_REFUSED = (400, 422)
_ERROR_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Timeout|Refused)\w*(:|$)")
_MAX_QUOTED = 160
_LOG_WAIT_S = 1.0  # the server logs a route's exception after it has sent the 500
_LOG_POLL_S = 0.05


@dataclass(frozen=True, kw_only=True)
class FirstAnswer:
    """The warm-up of one route.

    Args:
        target: the request the route accepted, or the last one tried.
        result: its answer.
        tried: how many bodies were tried.
        outbound: the hosts its requests called, and what happened.
        log_line: the last error line the app logged meanwhile ("" if none).
    """

    target: RequestTarget
    result: ProbeResult
    tried: int
    outbound: tuple[OutboundHost, ...]
    log_line: str = ""

    @property
    def ok(self) -> bool:
        status = self.result.status
        return self.result.answered and status is not None and status < 400

    def reason(self, *, timeout_s: float, upstream: str) -> str:
        """Why the route could not be exercised, in one line (only when not `ok`)."""
        return _failure(self, timeout_s) + _cause(self, upstream)


def first_answer(session: Session, target: RequestTarget) -> FirstAnswer:
    """Send the route's variants until one is accepted (or refused for a reason a body cannot change)."""
    app = session.app
    app.reset()
    offset = _size(app.log_path)
    outbound: tuple[OutboundHost, ...] = ()
    variants, named = list(target.variants()), False
    for tried, variant in enumerate(variants, start=1):
        result = probe_once(session, variant)
        outbound = merge_hosts(outbound, app.snapshot().outbound)
        answer = FirstAnswer(target=variant, result=result, tried=tried, outbound=outbound)
        if answer.ok or not _body_may_help(answer):
            break
        field = None if named else named_field(result.body_head)
        if field is not None and tried == len(variants):
            variants.append(with_field(target, field))
            named = True
    failed = not answer.ok and (answer.result.status or 500) >= 500
    return FirstAnswer(
        target=answer.target,
        result=answer.result,
        tried=answer.tried,
        outbound=outbound,
        log_line=_logged_error(app.log_path, offset, wait_s=_LOG_WAIT_S if failed else 0.0),
    )


_NAMED = (
    re.compile(r"['\"`]?([A-Za-z_][A-Za-z0-9_]{0,40})['\"`]?\s+(?:parameter|param|field|argument)\b", re.I),
    re.compile(
        r"(?:missing|required)\s*(?:parameter|param|field|argument)?\s*:?\s*['\"`]([A-Za-z_]\w{0,40})", re.I
    ),
)
_NOT_NAMES = {"the", "a", "an", "query", "body", "json", "request", "required", "missing", "this", "that"}


def named_field(body_head: str) -> str | None:
    """The field a refusal names (`"Message parameter is required"` -> `message`), if any."""
    for pattern in _NAMED:
        for match in pattern.finditer(body_head):
            name = match.group(1)
            if name.lower() not in _NOT_NAMES:
                return name[0].lower() + name[1:] if name[1:].islower() else name
    return None


def with_field(target: RequestTarget, name: str) -> RequestTarget:
    """`target` with `name` filled with a question: a body field, or a query parameter without a body."""
    if target.has_body and isinstance(target.json_body, dict):
        body = {**target.json_body, name: QUESTION}
        return dataclasses.replace(target, json_body=body, alternatives=())
    glue = "&" if "?" in target.path else "?"
    return dataclasses.replace(
        target, path=f"{target.path}{glue}{urlencode({name: QUESTION})}", alternatives=()
    )


def _body_may_help(answer: FirstAnswer) -> bool:
    status = answer.result.status
    if status in _REFUSED:
        return True
    refused_upstream = any(h.captured and (h.last_error or "").startswith("HTTP 4") for h in answer.outbound)
    return status is not None and status >= 500 and refused_upstream


def _failure(answer: FirstAnswer, timeout_s: float) -> str:
    result, ms = answer.result, f"{answer.result.latency_ms:,.0f} ms"
    if result.timed_out and result.status is None:
        return f"no answer to the first request within {timeout_s:g} s"
    if result.status is None:
        return f"failed at once ({result.error}, after {ms})"
    if result.error is not None:
        return f"failed at once (status {result.status}, then {result.error} after {ms})"
    head = result.body_head[:_MAX_QUOTED] or "no body"
    text = f"failed at once ({result.status} after {ms}: {head})"
    if answer.target.has_body and result.status < 500:
        body = json.dumps(answer.target.json_body)
        text += f"; {answer.tried} body(ies) tried, the last {_clip(body)}: give a working one in --requests"
    return text


def _cause(answer: FirstAnswer, upstream: str) -> str:
    uncaptured = [h for h in answer.outbound if not h.captured and h.errors]
    if uncaptured:
        h = uncaptured[0]
        return (
            f"; its call to {h.label} failed ({h.last_error}): diagnose does not capture that host; point "
            f"it at a test instance with --env, or --capture-host {h.host}=openai if it speaks an LLM API"
        )
    refused = [h for h in answer.outbound if h.captured and h.errors]
    if refused:
        h = refused[0]
        where = "the fake LLM" if h.label == upstream else f"{h.label} (sent to the fake LLM as {h.dialect})"
        return f"; its call to {where} got {h.last_error}"
    return f"; the app logged: {_clip(answer.log_line)}" if answer.log_line else ""


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_QUOTED else text[: _MAX_QUOTED - 1] + "…"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _logged_error(path: Path, offset: int, *, wait_s: float) -> str:
    """The app's last error line since `offset`, read again for up to `wait_s` until one shows up."""
    give_up = time.monotonic() + wait_s
    while True:
        line = _last_error_line(path, offset)
        if line or time.monotonic() >= give_up:
            return line
        time.sleep(_LOG_POLL_S)


def _last_error_line(path: Path, offset: int) -> str:
    """The last line that names an exception (`openai.APIConnectionError: Connection error.`) that the
    app logged since `offset`."""
    try:
        with path.open("rb") as log:
            log.seek(offset)
            text = log.read(1_000_000).decode("utf-8", errors="replace")
    except OSError:
        return ""
    lines = [line.strip() for line in text.splitlines() if _ERROR_LINE.match(line.strip())]
    return lines[-1] if lines else ""
