"""A whole diagnosis as plain data, and its versioned JSON (`awaitbench/detect/diagnose/schema.json`).

`Diagnosis.to_json()` is what `awaitbench diagnose --json FILE` writes; `validate_document` checks a
document against the schema and rejects versions this code does not know. Reports render the objects.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from awaitbench.detect.diagnose.evidence import RouteEvidence
from awaitbench.detect.diagnose.findings import Finding
from awaitbench.detect.diagnose.outbound import OutboundHost

__all__ = ["SCHEMA_VERSION", "Diagnosis", "DocumentError", "RouteDiagnosis", "schema", "validate_document"]

SCHEMA_VERSION = 1


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

    app: str
    started_at: str
    duration_s: float
    phase_seconds: Mapping[str, float]
    settings: Mapping[str, object]
    machine: Mapping[str, object]
    routes: tuple[RouteDiagnosis, ...]
    tool: str = field(default="awaitbench diagnose")
    upstream: str = ""
    outbound: tuple[OutboundHost, ...] = ()

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for route in self.routes for f in route.findings)

    def to_json(self) -> dict[str, Any]:
        document = {"schema_version": SCHEMA_VERSION, **asdict(self)}
        loaded: dict[str, Any] = json.loads(json.dumps(document, allow_nan=False))
        return loaded

    @classmethod
    def from_json(cls, document: Any) -> Diagnosis:
        """The document `to_json` wrote, back as objects.

        Raises:
            DocumentError: an unknown `schema_version` or a document the schema rejects.
        """
        validate_document(document)
        fields = {k: v for k, v in document.items() if k != "schema_version"}
        built: Diagnosis = _build(cls, fields)
        return built


def _build(kind: Any, value: Any) -> Any:
    """`value` (parsed JSON) as an instance of the annotation `kind`: dataclasses, tuples, mappings,
    optionals, literals and scalars, recursively (the document's types use nothing else)."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        return _build(next(a for a in args if a is not type(None)), value)
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        hints = typing.get_type_hints(kind)
        names = [f.name for f in dataclasses.fields(kind)]
        return kind(**{name: _build(hints[name], value[name]) for name in names if name in value})
    if origin is tuple:
        return tuple(_build(args[0], item) for item in value)
    if origin in (dict, Mapping, collections.abc.Mapping):
        return {key: _build(args[1], item) for key, item in value.items()}
    if kind is float:
        return float(value)
    return value


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of the document (draft 2020-12)."""
    text = resources.files("awaitbench.detect.diagnose").joinpath("schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def validate_document(document: Any) -> None:
    """Raises DocumentError for an unknown `schema_version` or a document the schema rejects."""
    import jsonschema

    if not isinstance(document, dict):
        raise DocumentError("a diagnosis document is a JSON object")
    version = document.get("schema_version")
    if version != SCHEMA_VERSION:
        raise DocumentError(
            f"schema_version {version!r} is not supported (this awaitbench reads {SCHEMA_VERSION})"
        )
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema()).iter_errors(document))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        message = error.message if len(error.message) <= 200 else error.message[:200] + "…"
        raise DocumentError(f"diagnosis document at {where}: {message}")
