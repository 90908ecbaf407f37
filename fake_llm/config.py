"""The one typed configuration of the fake LLM: small frozen sections, validated once.

Every field is also a CLI flag, a config-file key and an env var: `awaitbench/commands/fake_llm.py` and
`fake_llm.settings` generate those from the `help` metadata here, so an option is written down once.
Validation raises ConfigError naming the setting and how to fix it.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from fake_llm.errors import ConfigError

__all__ = [
    "DISTRIBUTIONS",
    "FAULT_KINDS",
    "CapacityConfig",
    "Distribution",
    "FakeLLMConfig",
    "FaultConfig",
    "FaultKind",
    "Http",
    "LatencyConfig",
    "LimitsConfig",
    "Loop",
    "NetworkConfig",
    "ServerConfig",
    "setting",
]

Distribution = Literal["constant", "uniform", "normal", "lognormal"]
DISTRIBUTIONS: tuple[Distribution, ...] = get_args(Distribution)
FaultKind = Literal["429", "500", "503", "529", "hang", "disconnect", "trickle"]
FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)
Loop = Literal["uvloop", "asyncio"]
Http = Literal["httptools", "h11"]
# json.loads and repr() recurse once per level; Python's default recursion limit is 1000.
_MAX_JSON_DEPTH = 500
_ORIGIN = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s,]+")


def setting(default: Any, help: str, *, choices: tuple[str, ...] | None = None) -> Any:
    """A dataclass field carrying the help text (and choices) its CLI flag and docs are generated from."""
    return field(default=default, metadata={"help": help, "choices": choices})


@dataclass(frozen=True, kw_only=True)
class LatencyConfig:
    """What the model "costs": time to first token, inter-token latency, output length, prefill."""

    ttft_ms: float = setting(20.0, "mean time to first token (ms)")
    ttft_dist: Distribution = setting("constant", "distribution of the TTFT", choices=DISTRIBUTIONS)
    ttft_spread_ms: float = setting(0.0, "TTFT spread (ms): std-dev, or half-width for uniform")
    itl_ms: float = setting(2.0, "mean inter-token latency (ms), sampled once per request")
    itl_dist: Distribution = setting(
        "constant", "distribution of the inter-token latency", choices=DISTRIBUTIONS
    )
    itl_spread_ms: float = setting(0.0, "inter-token latency spread (ms)")
    output_tokens: int = setting(16, "mean output length in tokens when the request sets no max_tokens")
    output_tokens_dist: Distribution = setting(
        "constant", "distribution of the output length", choices=DISTRIBUTIONS
    )
    output_tokens_spread: float = setting(0.0, "output length spread (tokens)")
    honour_max_tokens: bool = setting(True, "a request's max_tokens fixes its output length exactly")
    prefill_ms_per_input_token: float = setting(0.0, "extra TTFT per input token (ms), the prefill cost")


@dataclass(frozen=True, kw_only=True)
class NetworkConfig:
    """A simulated network, so a client that builds a connection per request pays what it would pay."""

    rtt_ms: float = setting(0.0, "simulated round trip added to every request (ms)")
    handshake_ms: float = setting(
        0.0, "simulated TCP+TLS handshake, charged on a connection's first API request (ms)"
    )
    tls: bool = setting(False, "serve HTTPS with a locally generated certificate (real TLS handshakes)")
    tls_dir: str = setting("", "where --tls writes ca.pem/cert.pem/key.pem (default: a temporary directory)")


@dataclass(frozen=True, kw_only=True)
class CapacityConfig:
    """A busy provider: a concurrency cap with a queue, and per-minute rate limits."""

    max_concurrency: int = setting(0, "requests served at once; more wait in a FIFO queue (0 = no cap)")
    queue_limit: int = setting(
        -1, "queued requests beyond this get 429 (-1 = unbounded, 0 = 429 as soon as the cap is full)"
    )
    rpm: int = setting(0, "requests per minute (token bucket) before 429 (0 = no limit)")
    tpm: int = setting(0, "tokens (prompt + planned output) per minute before 429 (0 = no limit)")
    load_factor: float = setting(
        1.0,
        "latency under load: TTFT and ITL are multiplied by a factor growing linearly from 1 (one request "
        "in service) to this at --load-capacity requests in service (1 = off)",
    )
    load_capacity: int = setting(
        0, "requests in service at which the --load-factor multiplier is reached (0 = --max-concurrency)"
    )

    def load_capacity_requests(self) -> int:
        """Where the load multiplier reaches `load_factor`: `load_capacity`, else the concurrency cap."""
        return self.load_capacity or self.max_concurrency


@dataclass(frozen=True, kw_only=True)
class FaultConfig:
    """Injected failures: probabilities and exact schedules (retry tests need exact sequences)."""

    error_rate_429: float = setting(0.0, "share of requests answered 429")
    error_rate_500: float = setting(0.0, "share of requests answered 500")
    error_rate_503: float = setting(0.0, "share of requests answered 503")
    error_rate_529: float = setting(0.0, "share of requests answered 529 (overloaded, Anthropic's code)")
    hang_rate: float = setting(0.0, "share of requests that never answer until the client disconnects")
    disconnect_rate: float = setting(
        0.0,
        "share of requests whose connection is cut (streams: after half the tokens; else before the answer)",
    )
    trickle_rate: float = setting(
        0.0, "share of requests sent slowly (streams: one token per --trickle-ms; JSON: 8 pieces)"
    )
    trickle_ms: float = setting(200.0, "pause between trickled pieces (ms)")
    retry_after_ms: int = setting(
        1000, "Retry-After / retry-after-ms on injected 429/503/529 and queue-full 429 (ms)"
    )
    fault_kind: FaultKind = setting("500", "the fault the schedules below inject", choices=FAULT_KINDS)
    fault_first_n: int = setting(0, "the first N API requests get --fault-kind")
    fault_every_k: int = setting(0, "every Kth API request gets --fault-kind (0 = off)")
    fault_window_s: str = setting(
        "", "'START-END': requests arriving in that window (seconds after start) get --fault-kind"
    )

    def window(self) -> tuple[float, float] | None:
        """The parsed fault window, or None when unset."""
        if not self.fault_window_s:
            return None
        start, _, end = self.fault_window_s.partition("-")
        return float(start), float(end)


@dataclass(frozen=True, kw_only=True)
class ServerConfig:
    """Where and how to serve."""

    host: str = setting("127.0.0.1", "interface to bind")
    port: int = setting(8000, "TCP port to bind")
    loop: Loop = setting("uvloop", "event loop", choices=get_args(Loop))
    http: Http = setting("httptools", "HTTP parser", choices=get_args(Http))
    seed: int = setting(0, "seed for latency samples, faults and generated text")
    models: str = setting("", "comma-separated model ids; when set, other models get 404 (default: any)")
    timeout_graceful_shutdown_s: float = setting(3.0, "on shutdown, cancel requests still running after this")
    keep_alive_s: int = setting(30, "idle keep-alive connections are closed after this many seconds")


@dataclass(frozen=True, kw_only=True)
class LimitsConfig:
    """What one request or connection may ask of the server, so no single client can stall or exhaust it.

    Why each exists (docs/fake_llm.md, "Limits and security"): without them one request with
    `max_tokens: 1e9`, 10,000 embeddings inputs or a 200 MB body grew the process until the kernel killed
    it, and connections that never sent a byte exhausted the open-file limit.
    """

    max_output_tokens: int = setting(
        32768,
        "largest output a request may ask for (max_tokens, Anthropic's too, max_completion_tokens, "
        "max_output_tokens, x-fake-output-tokens); more is a 400",
    )
    max_embedding_inputs: int = setting(2048, "inputs in one /v1/embeddings request; more is a 400")
    max_embedding_input_tokens: int = setting(
        8192, "estimated tokens (~4 characters each) in one embeddings input; a longer one is a 400"
    )
    max_body_bytes: int = setting(
        4 * 1024 * 1024, "request bodies larger than this get 413 (checked while the body is read)"
    )
    max_header_bytes: int = setting(
        64 * 1024, "a request line and headers larger than this get 431 and the connection is closed"
    )
    max_json_depth: int = setting(64, "JSON bodies nested deeper than this (arrays and objects) get 400")
    parse_cache_bytes: int = setting(
        64 * 1024 * 1024, "memory kept for parsed request bodies that repeat (bytes; 0 = no cache)"
    )
    header_timeout_s: float = setting(
        10.0,
        "close a connection that sends no complete request head this long after opening (a later head or "
        "a request body: no progress for one to two times this)",
    )
    allowed_origins: str = setting(
        "",
        "comma-separated browser origins allowed besides loopback ones (e.g. 'https://app.example'; "
        "'*' = any); a request with another Origin header gets 403",
    )

    def origins(self) -> frozenset[str]:
        """The extra allowed origins, normalised (lower case, no trailing slash)."""
        return frozenset(o.strip().lower().rstrip("/") for o in self.allowed_origins.split(",") if o.strip())


@dataclass(frozen=True, kw_only=True)
class FakeLLMConfig:
    """The whole configuration; build it with `fake_llm.settings.load_config` or directly."""

    server: ServerConfig = field(default_factory=ServerConfig)
    latency: LatencyConfig = field(default_factory=LatencyConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    capacity: CapacityConfig = field(default_factory=CapacityConfig)
    faults: FaultConfig = field(default_factory=FaultConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)

    def __post_init__(self) -> None:
        _validate(self)

    def model_ids(self) -> tuple[str, ...]:
        return tuple(m.strip() for m in self.server.models.split(",") if m.strip())


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _check(ok: bool, name: str, problem: str) -> None:
    if not ok:
        raise ConfigError(f"{_flag(name)} {problem}")


def _validate_capacity(cap: CapacityConfig) -> None:
    _check(cap.max_concurrency >= 0, "max_concurrency", "must be >= 0 (0 = no cap)")
    _check(cap.queue_limit >= -1, "queue_limit", "must be >= -1 (-1 = unbounded)")
    _check(cap.rpm >= 0, "rpm", "must be >= 0 (0 = no limit)")
    _check(cap.tpm >= 0, "tpm", "must be >= 0 (0 = no limit)")
    _check(cap.load_factor >= 1, "load_factor", "must be >= 1 (1 = latency does not grow with load)")
    _check(cap.load_capacity >= 0, "load_capacity", "must be >= 0 (0 = --max-concurrency)")
    _check(
        cap.load_factor == 1 or cap.load_capacity_requests() > 0,
        "load_factor",
        "needs --load-capacity (or --max-concurrency): the number of requests in service at which it applies",
    )


def _validate(config: FakeLLMConfig) -> None:
    sections = (config.server, config.latency, config.network, config.capacity, config.faults, config.limits)
    for section in sections:
        for f in dataclasses.fields(section):
            value = getattr(section, f.name)
            choices = f.metadata.get("choices")
            if choices is not None and value not in choices:
                raise ConfigError(f"{_flag(f.name)} must be one of {', '.join(choices)}, not {value!r}")
            if isinstance(value, float):
                _check(math.isfinite(value), f.name, f"must be a finite number, not {value!r}")
    lat, net, cap, faults, srv = config.latency, config.network, config.capacity, config.faults, config.server
    for name in (
        "ttft_ms",
        "ttft_spread_ms",
        "itl_ms",
        "itl_spread_ms",
        "output_tokens_spread",
        "prefill_ms_per_input_token",
    ):
        _check(getattr(lat, name) >= 0, name, "must be >= 0")
    _check(lat.output_tokens >= 1, "output_tokens", "must be >= 1 (a completion has at least one token)")
    _check(net.rtt_ms >= 0, "rtt_ms", "must be >= 0")
    _check(net.handshake_ms >= 0, "handshake_ms", "must be >= 0")
    _validate_capacity(cap)
    _validate_faults(faults)
    _check(0 <= srv.port <= 65535, "port", "must be between 0 and 65535")
    _check(
        bool(srv.host.strip()),
        "host",
        "must not be empty (127.0.0.1 = this machine only; 0.0.0.0 = every interface)",
    )
    _check(srv.keep_alive_s >= 1, "keep_alive_s", "must be >= 1")
    _check(srv.timeout_graceful_shutdown_s >= 0, "timeout_graceful_shutdown_s", "must be >= 0")
    _validate_limits(config.limits, lat)


def _validate_faults(faults: FaultConfig) -> None:
    rates = (
        "error_rate_429",
        "error_rate_500",
        "error_rate_503",
        "error_rate_529",
        "hang_rate",
        "disconnect_rate",
        "trickle_rate",
    )
    for name in rates:
        _check(0.0 <= getattr(faults, name) <= 1.0, name, "must be a probability between 0 and 1")
    total = sum(getattr(faults, name) for name in rates)
    _check(
        total <= 1.0,
        "error_rate_429",
        f"plus the other fault rates must not exceed 1 (they sum to {total:g})",
    )
    _check(faults.retry_after_ms >= 1, "retry_after_ms", "must be >= 1")
    _check(faults.trickle_ms >= 0, "trickle_ms", "must be >= 0")
    _check(faults.fault_first_n >= 0, "fault_first_n", "must be >= 0")
    _check(faults.fault_every_k >= 0, "fault_every_k", "must be >= 0 (0 = off)")
    if faults.fault_window_s:
        try:
            start, end = faults.window() or (0.0, 0.0)
        except ValueError:
            raise ConfigError(
                "--fault-window-s must look like 'START-END' in seconds (e.g. '5-10'), "
                f"not {faults.fault_window_s!r}"
            ) from None
        _check(
            0 <= start < end and math.isfinite(end),
            "fault_window_s",
            f"needs finite 0 <= START < END, got {faults.fault_window_s!r}",
        )


def _validate_limits(limits: LimitsConfig, lat: LatencyConfig) -> None:
    for name in ("max_output_tokens", "max_embedding_inputs", "max_embedding_input_tokens"):
        _check(getattr(limits, name) >= 1, name, "must be >= 1")
    _check(
        lat.output_tokens <= limits.max_output_tokens,
        "output_tokens",
        f"must be <= --max-output-tokens ({limits.max_output_tokens}); raise that limit to ask for more",
    )
    _check(limits.max_body_bytes >= 1024, "max_body_bytes", "must be >= 1024 (a small chat request)")
    _check(limits.max_header_bytes >= 1024, "max_header_bytes", "must be >= 1024 (an SDK's headers)")
    _check(
        2 <= limits.max_json_depth <= _MAX_JSON_DEPTH,
        "max_json_depth",
        f"must be between 2 and {_MAX_JSON_DEPTH} (deeper would hit Python's recursion limit)",
    )
    _check(limits.parse_cache_bytes >= 0, "parse_cache_bytes", "must be >= 0 (0 = no cache)")
    _check(limits.header_timeout_s > 0, "header_timeout_s", "must be > 0")
    for origin in limits.origins():
        _check(
            origin == "*" or _ORIGIN.fullmatch(origin) is not None,
            "allowed_origins",
            f"entries must look like 'https://host[:port]' (or be '*'), not {origin!r}",
        )
