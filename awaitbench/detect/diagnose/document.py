"""A whole diagnosis as plain data, and its versioned JSON (`awaitbench/detect/diagnose/schema.json`).

`Diagnosis.to_json()` is what `awaitbench diagnose --json FILE` writes and `Diagnosis.from_json` reads it
back (a pydantic `TypeAdapter`; the schema is generated from these types); other versions are rejected.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import TypeAdapter, ValidationError

from awaitbench.detect.diagnose.evidence import RouteEvidence
from awaitbench.detect.diagnose.findings import Finding
from awaitbench.detect.diagnose.outbound import OutboundHost

__all__ = ["SCHEMA_VERSION", "Diagnosis", "DocumentError", "RouteDiagnosis", "validate_document"]

SchemaVersion = Literal[1]
SCHEMA_VERSION: Final[SchemaVersion] = 1


class DocumentError(ValueError):
    """A diagnosis document that is not valid (the message names the field and the version)."""


@dataclass(frozen=True, kw_only=True)
class RouteDiagnosis:
    """One route: whether it could be exercised (and why not), what was found, and the figures.

    Args:
        method / path / name: the route as requested.
        exercised: False when the route could not be exercised; `reason` says why.
        findings: most severe first; empty for a clean route.
        figures: every measurement the findings rest on (None when not exercised).
        notes: observations that are not findings (e.g. the deadline a hung call would meet).
        outbound: the hosts the route's requests called or resolved (warm-up and phases), and what
            happened: sent to the fake LLM, or not (with the error).
    """

    method: str
    path: str
    name: str
    exercised: bool
    reason: str | None = None
    findings: tuple[Finding, ...] = ()
    figures: RouteEvidence | None = None
    notes: tuple[str, ...] = ()
    outbound: tuple[OutboundHost, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True, kw_only=True)
class Diagnosis:
    """Everything `awaitbench diagnose` found in one app.

    Args:
        app: the import string (`examples.llm_service.app:app`).
        started_at: ISO 8601 UTC.
        duration_s: wall time of the whole diagnosis.
        phase_seconds: wall time spent per phase kind (`start`, `one_user`, `load`, ...).
        settings: the settings that shape the figures (users, latency, phase lengths).
        machine: cores, load average, Python, awaitbench version.
        routes: in the order they were exercised; not-exercised operations included.
        upstream: the fake LLM's address (`127.0.0.1:PORT`): a host of `outbound` that is this address
            is the fake LLM reached through the environment (`OPENAI_BASE_URL`, ...).
        outbound: every host the app called or resolved during the whole diagnosis, startup included.
    """

    schema_version: SchemaVersion = SCHEMA_VERSION
    app: str
    started_at: str
    duration_s: float
    phase_seconds: Mapping[str, float]
    settings: Mapping[str, object]
    machine: Mapping[str, object]
    routes: tuple[RouteDiagnosis, ...]
    tool: Literal["awaitbench diagnose"] = "awaitbench diagnose"
    upstream: str = ""
    outbound: tuple[OutboundHost, ...] = ()

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for route in self.routes for f in route.findings)

    def to_json(self) -> dict[str, Any]:
        """The document as JSON data. Raises ValueError for a figure that is NaN or infinite."""
        text = json.dumps(_ADAPTER.dump_python(self, mode="json"), allow_nan=False)
        loaded: dict[str, Any] = json.loads(text)
        return loaded

    @classmethod
    def from_json(cls, document: Any) -> Diagnosis:
        """The document `to_json` wrote (parsed JSON), back as objects; unknown keys are ignored.

        Raises:
            DocumentError: an unknown `schema_version`, or a field missing or of the wrong type.
        """
        if not isinstance(document, dict):
            raise DocumentError("a diagnosis document is a JSON object")
        version = document.get("schema_version")
        if version != SCHEMA_VERSION:
            raise DocumentError(
                f"schema_version {version!r} is not supported (this awaitbench reads {SCHEMA_VERSION})"
            )
        try:
            return _ADAPTER.validate_python(document)
        except ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            where = "/".join(str(part) for part in error["loc"]) or "(top level)"
            got = "" if error["type"] == "missing" else f", got {repr(error['input'])[:60]}"
            raise DocumentError(f"diagnosis document at {where}: {error['msg']}{got}") from None


_ADAPTER = TypeAdapter(Diagnosis)


def validate_document(document: Any) -> None:
    """Raises DocumentError for an unknown `schema_version` or a field missing or of the wrong type."""
    Diagnosis.from_json(document)
