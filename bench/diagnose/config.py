"""`DiagnoseConfig`: the one typed configuration of `awaitbench diagnose`, validated before anything
starts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from awaitbench.detect.diagnose.providers import parse_capture_host
from awaitbench.options import Options, between, check_fields, option
from bench.errors import UsageError
from fake_llm.routes import ApiFamily

__all__ = [
    "OPTIONS",
    "RESERVED_ENV",
    "UPSTREAM_ENV",
    "DiagnoseConfig",
    "FailOn",
    "parse_capture_hosts",
    "parse_env_pairs",
    "parse_headers",
]

FailOn = Literal["never", "low", "medium", "high"]
UPSTREAM_ENV: Final[dict[ApiFamily, str]] = {
    "openai": "OPENAI_BASE_URL",
    "anthropic": "ANTHROPIC_BASE_URL",
    "azure": "AZURE_OPENAI_ENDPOINT",
    "gemini": "GOOGLE_GEMINI_BASE_URL",
    "bedrock": "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
}
"""The variable each API's SDK reads its upstream from; diagnose sets them all to the fake LLM."""
RESERVED_ENV = (*UPSTREAM_ENV.values(), "OPENAI_API_BASE")
"""The variables diagnose points at the fake LLM itself; `--env` cannot set them."""
_TOKEN = set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def parse_env_pairs(pairs: tuple[str, ...]) -> dict[str, str]:
    """`("KEY=VALUE", ...)` -> a dict; raises UsageError naming the bad entry."""
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key or not key.replace("_", "a").isalnum():
            raise UsageError(f"--env {pair!r} is not KEY=VALUE (e.g. --env AWAITBENCH_BLOCK_MS=50)")
        if key in RESERVED_ENV:
            raise UsageError(f"--env {key}=... is set by diagnose itself (it points at the fake LLM)")
        env[key] = value
    return env


def parse_headers(lines: tuple[str, ...]) -> dict[str, str]:
    """`("Authorization: Bearer t", ...)` -> a dict; raises UsageError naming the bad entry."""
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        name, value = name.strip(), value.strip()
        if not sep or not name or not set(name) <= _TOKEN or "\n" in value or "\r" in value:
            raise UsageError(
                f"--header {line!r} is not 'Name: value' (e.g. --header 'Authorization: Bearer t')"
            )
        headers[name] = value
    return headers


def parse_capture_hosts(texts: tuple[str, ...]) -> tuple[str, ...]:
    """Each `HOST[=dialect]` checked (`providers.parse_capture_host`); raises UsageError naming it."""
    for text in texts:
        try:
            parse_capture_host(text)
        except ValueError as exc:
            raise UsageError(f"--capture-host {exc}") from None
    return texts


@dataclass(frozen=True, kw_only=True)
class DiagnoseConfig:
    """Everything a diagnosis needs; see docs/diagnose.md for what each phase measures.

    Raises:
        UsageError: a value out of range, naming its flag.
    """

    app: str = ""
    env: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    capture_hosts: tuple[str, ...] = ()
    factory: bool = option(False, help="the import string names an app factory (like uvicorn --factory)")
    app_dir: Path = option(Path("."), help="directory put first on sys.path to import the app", metavar="DIR")
    requests: Path | None = option(
        None,
        help="TOML file of [[request]] tables to send (default: the app's OpenAPI schema)",
        metavar="FILE",
    )
    db_seed: Path | None = option(
        None,
        help="SQL run in a fresh PostgreSQL whose DATABASE_URL the app gets (unless --env sets DATABASE_URL)",
        metavar="FILE",
    )
    upstream_latency_ms: float = option(
        100.0, help="latency of every fake LLM call (L)", metavar="L", check=between(1, 60_000)
    )
    users: int = option(
        20, help="concurrent users of the load phase (N)", metavar="N", check=between(1, 2000)
    )
    one_user_requests: int = option(
        5, help="requests of the one-user phase (R₁, k, connections)", check=between(2, 1000)
    )
    load_s: float = option(
        4.0, help="length of each load phase, warm-up included (s)", check=between(0.2, 600)
    )
    warmup_s: float = option(
        1.0, help="start of a load phase not counted in its throughput (s)", check=between(0, 600)
    )
    hang_s: float = option(
        5.0, help="how long the hang probe waits for the route to answer (s)", check=between(0.2, 3600)
    )
    max_deadline_s: float = option(
        120.0,
        help="a hung upstream call cut later than this (or never) is a finding (s)",
        check=between(0.1, 86_400),
    )
    retry_after_ms: int = option(
        500, help="Retry-After of the fake LLM's 429s in the retry probe (ms)", check=between(1, 60_000)
    )
    request_timeout_s: float = option(
        30.0, help="a request of a load phase unanswered after this fails (s)", check=between(0.5, 3600)
    )
    capture: bool = option(
        True,
        help="send the app's calls to known LLM provider hosts to the fake LLM, whatever URL its code holds",
    )
    loop: Literal["uvloop", "asyncio"] = option("uvloop", help="event loop the app runs on")
    block_ms: float = option(
        20.0, help="a loop that does not run for this long is blocked (ms)", check=between(2, 10_000)
    )
    startup_timeout_s: float = option(
        60.0, help="how long the app may take to start (s)", check=between(1, 3600)
    )
    json: Path | None = option(
        None, help="write the diagnosis as JSON (schema: awaitbench/detect/diagnose/schema.json)"
    )
    out: Path | None = option(
        None, help="write an HTML page and summary.md into this directory", metavar="DIR"
    )
    theme: Literal["paper", "talk"] = option("paper", help="chart theme of --out")
    fail_on: FailOn = option("never", help="exit 1 when a finding is at or above this severity")

    def __post_init__(self) -> None:
        check_fields(self, UsageError)
        if self.warmup_s >= self.load_s:
            raise UsageError(
                f"--warmup-s ({self.warmup_s:g}) must be shorter than --load-s ({self.load_s:g}): "
                "nothing would be measured"
            )
        if self.app.count(":") != 1 or self.app.startswith(":") or self.app.endswith(":"):
            raise UsageError(
                f"'{self.app}' is not an import string: write MODULE:ATTR, e.g. myservice.main:app"
            )

    @property
    def settings(self) -> dict[str, object]:
        """The settings that shape the figures, as the JSON records them."""
        return {
            "users": self.users,
            "upstream_latency_ms": self.upstream_latency_ms,
            "one_user_requests": self.one_user_requests,
            "load_s": self.load_s,
            "warmup_s": self.warmup_s,
            "hang_s": self.hang_s,
            "max_deadline_s": self.max_deadline_s,
            "retry_after_ms": self.retry_after_ms,
            "loop": self.loop,
            "block_ms": self.block_ms,
            "capture": self.capture,
            "capture_hosts": list(self.capture_hosts),
        }


OPTIONS = Options(
    DiagnoseConfig, env_prefix="AWAITBENCH_DIAGNOSE_", error=UsageError, docs="docs/diagnose.md"
)
