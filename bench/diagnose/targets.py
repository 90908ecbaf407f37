"""The requests a diagnosis sends: one `RequestTarget` per route, from a `--requests` TOML file."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.errors import UsageError

__all__ = ["FORM", "JSON", "METHODS", "RequestTarget", "Unexercised", "load_requests_file", "parse_requests"]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
_KEYS = {"method", "path", "json", "headers", "name"}


@dataclass(frozen=True, kw_only=True)
class RequestTarget:
    """One route to exercise and the request that exercises it.

    Args:
        json_body / has_body: the body (any JSON value; a form's fields for `FORM`), and whether one is sent.
        content_type: `JSON` or `FORM` (the fields urlencoded).
        alternatives: other bodies to try, in order, when the route refuses this one (400 or 422).
        headers: sent with it (over `--header`).
    """

    method: str
    path: str
    name: str
    json_body: Any = None
    has_body: bool = False
    content_type: str = JSON
    alternatives: tuple[Any, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def body_text(self) -> str | None:
        if not self.has_body:
            return None
        if self.content_type == FORM and isinstance(self.json_body, dict):
            return urlencode(
                {k: v if isinstance(v, str) else json.dumps(v) for k, v in self.json_body.items()}
            )
        return json.dumps(self.json_body)

    def request_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        if self.has_body and not any(k.lower() == "content-type" for k in headers):
            headers["content-type"] = self.content_type
        return headers

    def variants(self) -> tuple[RequestTarget, ...]:
        """This request, then one per alternative body."""
        others = tuple(replace(self, json_body=body, alternatives=()) for body in self.alternatives)
        return (replace(self, alternatives=()), *others)


@dataclass(frozen=True, kw_only=True)
class Unexercised:
    """An operation that cannot be exercised, and why (always listed, never dropped silently)."""

    method: str
    path: str
    name: str
    reason: str


def load_requests_file(path: Path) -> tuple[RequestTarget, ...]:
    """Read and check a requests file.

    Raises:
        UsageError: unreadable or invalid TOML, no `[[request]]`, or a bad entry (named by index and name).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--requests {path}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise UsageError(f"--requests {path}: not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"--requests {path}: not valid TOML ({exc})") from None
    return parse_requests(data, origin=f"--requests {path}")


def parse_requests(data: Mapping[str, Any], *, origin: str) -> tuple[RequestTarget, ...]:
    """`[[request]]` tables -> targets (see the module docstring); raises UsageError naming the entry."""
    unknown = sorted(set(data) - {"request"})
    if unknown:
        raise UsageError(f"{origin}: unknown top-level key(s) {', '.join(unknown)}; only [[request]] tables")
    entries = data.get("request")
    if not isinstance(entries, list) or not entries:
        raise UsageError(f"{origin}: no [[request]] table; add one per route (method, path, optional json)")
    targets = [_entry(i, entry, origin) for i, entry in enumerate(entries, start=1)]
    seen: dict[str, int] = {}
    for i, target in enumerate(targets, start=1):
        if target.name in seen:
            raise UsageError(
                f"{origin}: [[request]] #{i} has the name '{target.name}' of #{seen[target.name]}: "
                "give each request its own name"
            )
        seen[target.name] = i
    return tuple(targets)


def _entry(index: int, entry: Any, origin: str) -> RequestTarget:
    where = f"{origin}: [[request]] #{index}"
    if not isinstance(entry, dict):
        raise UsageError(f"{where} is not a table")
    if isinstance(entry.get("name"), str):
        where += f" ('{entry['name']}')"
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_KEYS))}")
    method = entry.get("method")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise UsageError(f"{where}: 'method' must be one of {', '.join(METHODS)}, got {method!r}")
    path = entry.get("path")
    if not isinstance(path, str) or not path.startswith("/") or any(c.isspace() for c in path):
        raise UsageError(f"{where}: 'path' must start with '/' and have no spaces, got {path!r}")
    headers = entry.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise UsageError(
            f"{where}: 'headers' must be a table of strings, e.g. headers = {{ x-user = \"1\" }}"
        )
    name = entry.get("name", f"{method.upper()} {path}")
    if not isinstance(name, str) or not name.strip():
        raise UsageError(f"{where}: 'name' must be a non-empty string")
    body = entry.get("json")
    return RequestTarget(
        method=method.upper(),
        path=path,
        name=name,
        json_body=_plain(body),
        has_body="json" in entry,
        headers=headers,
    )


def _plain(value: Any) -> Any:
    """TOML dates and times are not JSON: send them as ISO text."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
