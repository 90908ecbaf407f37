"""The one typed configuration of the fake LLM: small frozen sections, validated once.

Every field is an `option`: a flag, a config-file key and an env var (`fake_llm.settings`), with its bounds;
the checks that span fields are below. Errors are ConfigError naming the flag and the fix.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Literal, get_args

from awaitbench.options import Check, above, at_least, between, check_fields, option
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
# Like a one-sided bound, it leaves nan and the infinities to the finite-number check (and its message).
_PROBABILITY = Check(text="a probability between 0 and 1", ok=lambda p: not math.isfinite(p) or 0 <= p <= 1)


@dataclass(frozen=True, kw_only=True)
class LatencyConfig:
    """What the model "costs": time to first token, inter-token latency, output length, prefill."""

    ttft_ms: float = option(20.0, help="mean time to first token (ms)", check=at_least(0))
    ttft_dist: Distribution = option("constant", help="distribution of the TTFT")
    ttft_spread_ms: float = option(
        0.0, help="TTFT spread (ms): std-dev, or half-width for uniform", check=at_least(0)
    )
    itl_ms: float = option(
        2.0, help="mean inter-token latency (ms), sampled once per request", check=at_least(0)
    )
    itl_dist: Distribution = option("constant", help="distribution of the inter-token latency")
    itl_spread_ms: float = option(0.0, help="inter-token latency spread (ms)", check=at_least(0))
    output_tokens: int = option(
        16,
        help="mean output length in tokens when the request sets no max_tokens",
        check=at_least(1, "a completion has at least one token"),
    )
    output_tokens_dist: Distribution = option("constant", help="distribution of the output length")
    output_tokens_spread: float = option(0.0, help="output length spread (tokens)", check=at_least(0))
    honour_max_tokens: bool = option(True, help="a request's max_tokens fixes its output length exactly")
    prefill_ms_per_input_token: float = option(
        0.0, help="extra TTFT per input token (ms), the prefill cost", check=at_least(0)
    )


@dataclass(frozen=True, kw_only=True)
class NetworkConfig:
    """A simulated network, so a client that builds a connection per request pays what it would pay."""

    rtt_ms: float = option(0.0, help="simulated round trip added to every request (ms)", check=at_least(0))
    handshake_ms: float = option(
        0.0,
        help="simulated TCP+TLS handshake, charged on a connection's first API request (ms)",
        check=at_least(0),
    )
    tls: bool = option(False, help="serve HTTPS with a locally generated certificate (real TLS handshakes)")
    tls_dir: str = option(
        "", help="where --tls writes ca.pem/cert.pem/key.pem (default: a temporary directory)"
    )


@dataclass(frozen=True, kw_only=True)
class CapacityConfig:
    """A busy provider: a concurrency cap with a queue, and per-minute rate limits."""

    max_concurrency: int = option(
        0,
        help="requests served at once; more wait in a FIFO queue (0 = no cap)",
        check=at_least(0, "0 = no cap"),
    )
    queue_limit: int = option(
        -1,
        help="queued requests beyond this get 429 (-1 = unbounded, 0 = 429 as soon as the cap is full)",
        check=at_least(-1, "-1 = unbounded"),
    )
    rpm: int = option(
        0,
        help="requests per minute (token bucket) before 429 (0 = no limit)",
        check=at_least(0, "0 = no limit"),
    )
    tpm: int = option(
        0,
        help="tokens (prompt + planned output) per minute before 429 (0 = no limit)",
        check=at_least(0, "0 = no limit"),
    )
    load_factor: float = option(
        1.0,
        help="latency under load: TTFT and ITL are multiplied by a factor growing linearly from 1 (one "
        "request in service) to this at --load-capacity requests in service (1 = off)",
        check=at_least(1, "1 = latency does not grow with load"),
    )
    load_capacity: int = option(
        0,
        help="requests in service at which the --load-factor multiplier is reached (0 = --max-concurrency)",
        check=at_least(0, "0 = --max-concurrency"),
    )

    def load_capacity_requests(self) -> int:
        """Where the load multiplier reaches `load_factor`: `load_capacity`, else the concurrency cap."""
        return self.load_capacity or self.max_concurrency


@dataclass(frozen=True, kw_only=True)
class FaultConfig:
    """Injected failures: probabilities and exact schedules (retry tests need exact sequences)."""

    error_rate_429: float = option(0.0, help="share of requests answered 429", check=_PROBABILITY)
    error_rate_500: float = option(0.0, help="share of requests answered 500", check=_PROBABILITY)
    error_rate_503: float = option(0.0, help="share of requests answered 503", check=_PROBABILITY)
    error_rate_529: float = option(
        0.0, help="share of requests answered 529 (overloaded, Anthropic's code)", check=_PROBABILITY
    )
    hang_rate: float = option(
        0.0, help="share of requests that never answer until the client disconnects", check=_PROBABILITY
    )
    disconnect_rate: float = option(
        0.0,
        help="share of requests whose connection is cut (streams: after half the tokens; else before the "
        "answer)",
        check=_PROBABILITY,
    )
    trickle_rate: float = option(
        0.0,
        help="share of requests sent slowly (streams: one token per --trickle-ms; JSON: 8 pieces)",
        check=_PROBABILITY,
    )
    trickle_ms: float = option(200.0, help="pause between trickled pieces (ms)", check=at_least(0))
    retry_after_ms: int = option(
        1000,
        help="Retry-After / retry-after-ms on injected 429/503/529 and queue-full 429 (ms)",
        check=at_least(1),
    )
    fault_kind: FaultKind = option("500", help="the fault the schedules below inject")
    fault_first_n: int = option(0, help="the first N API requests get --fault-kind", check=at_least(0))
    fault_every_k: int = option(
        0, help="every Kth API request gets --fault-kind (0 = off)", check=at_least(0, "0 = off")
    )
    fault_window_s: str = option(
        "", help="'START-END': requests arriving in that window (seconds after start) get --fault-kind"
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

    host: str = option("127.0.0.1", help="interface to bind")
    port: int = option(8000, help="TCP port to bind", check=between(0, 65535))
    loop: Loop = option("uvloop", help="event loop")
    http: Http = option("httptools", help="HTTP parser")
    seed: int = option(0, help="seed for latency samples, faults and generated text")
    models: str = option("", help="comma-separated model ids; when set, other models get 404 (default: any)")
    timeout_graceful_shutdown_s: float = option(
        3.0, help="on shutdown, cancel requests still running after this", check=at_least(0)
    )
    keep_alive_s: int = option(
        30, help="idle keep-alive connections are closed after this many seconds", check=at_least(1)
    )


@dataclass(frozen=True, kw_only=True)
class LimitsConfig:
    """What one request or connection may ask of the server, so no single client can stall or exhaust it.

    Why each exists (docs/fake_llm.md, "Limits and security"): without them one request with
    `max_tokens: 1e9`, 10,000 embeddings inputs or a 200 MB body grew the process until the kernel killed
    it, and connections that never sent a byte exhausted the open-file limit.
    """

    max_output_tokens: int = option(
        32768,
        help="largest output a request may ask for (max_tokens, Anthropic's too, max_completion_tokens, "
        "max_output_tokens, x-fake-output-tokens); more is a 400",
        check=at_least(1),
    )
    max_embedding_inputs: int = option(
        2048, help="inputs in one /v1/embeddings request; more is a 400", check=at_least(1)
    )
    max_embedding_input_tokens: int = option(
        8192,
        help="estimated tokens (~4 characters each) in one embeddings input; a longer one is a 400",
        check=at_least(1),
    )
    max_body_bytes: int = option(
        4 * 1024 * 1024,
        help="request bodies larger than this get 413 (checked while the body is read)",
        check=at_least(1024, "a small chat request"),
    )
    max_header_bytes: int = option(
        64 * 1024,
        help="a request line and headers larger than this get 431 and the connection is closed",
        check=at_least(1024, "an SDK's headers"),
    )
    max_json_depth: int = option(
        64,
        help="JSON bodies nested deeper than this (arrays and objects) get 400",
        check=between(2, _MAX_JSON_DEPTH, "deeper would hit Python's recursion limit"),
    )
    parse_cache_bytes: int = option(
        64 * 1024 * 1024,
        help="memory kept for parsed request bodies that repeat (bytes; 0 = no cache)",
        check=at_least(0, "0 = no cache"),
    )
    header_timeout_s: float = option(
        10.0,
        help="close a connection that sends no complete request head this long after opening (a later head "
        "or a request body: no progress for one to two times this)",
        check=above(0),
    )
    allowed_origins: str = option(
        "",
        help="comma-separated browser origins allowed besides loopback ones (e.g. 'https://app.example'; "
        "'*' = any); a request with another Origin header gets 403",
    )

    def origins(self) -> frozenset[str]:
        """The extra allowed origins, normalised (lower case, no trailing slash)."""
        return frozenset(o.strip().lower().rstrip("/") for o in self.allowed_origins.split(",") if o.strip())


@dataclass(frozen=True, kw_only=True)
class FakeLLMConfig:
    """The whole configuration; build it with `fake_llm.cli.load_config` (the layers) or directly."""

    server: ServerConfig = field(default_factory=ServerConfig)
    latency: LatencyConfig = field(default_factory=LatencyConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    capacity: CapacityConfig = field(default_factory=CapacityConfig)
    faults: FaultConfig = field(default_factory=FaultConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)

    def __post_init__(self) -> None:
        check_fields(self, ConfigError)
        _check_across(self)

    def model_ids(self) -> tuple[str, ...]:
        return tuple(m.strip() for m in self.server.models.split(",") if m.strip())


def _check(ok: bool, flag: str, problem: str) -> None:
    if not ok:
        raise ConfigError(f"{flag} {problem}")


def _check_across(config: FakeLLMConfig) -> None:
    """The checks that span settings, or need more words than a bound."""
    cap, faults, limits = config.capacity, config.faults, config.limits
    _check(
        cap.load_factor == 1 or cap.load_capacity_requests() > 0,
        "--load-factor",
        "needs --load-capacity (or --max-concurrency): the number of requests in service at which it applies",
    )
    rates = ("429", "500", "503", "529")
    total = sum(getattr(faults, f"error_rate_{code}") for code in rates)
    total += faults.hang_rate + faults.disconnect_rate + faults.trickle_rate
    _check(
        total <= 1.0,
        "--error-rate-429",
        f"plus the other fault rates must not exceed 1 (they sum to {total:g})",
    )
    _check_window(faults)
    _check(
        bool(config.server.host.strip()),
        "--host",
        "must not be empty (127.0.0.1 = this machine only; 0.0.0.0 = every interface)",
    )
    _check(
        config.latency.output_tokens <= limits.max_output_tokens,
        "--output-tokens",
        f"must be <= --max-output-tokens ({limits.max_output_tokens}); raise that limit to ask for more",
    )
    for origin in limits.origins():
        _check(
            origin == "*" or _ORIGIN.fullmatch(origin) is not None,
            "--allowed-origins",
            f"entries must look like 'https://host[:port]' (or be '*'), not {origin!r}",
        )


def _check_window(faults: FaultConfig) -> None:
    if not faults.fault_window_s:
        return
    try:
        start, end = faults.window() or (0.0, 0.0)
    except ValueError:
        raise ConfigError(
            "--fault-window-s must look like 'START-END' in seconds (e.g. '5-10'), "
            f"not {faults.fault_window_s!r}"
        ) from None
    _check(
        0 <= start < end and math.isfinite(end),
        "--fault-window-s",
        f"needs finite 0 <= START < END, got {faults.fault_window_s!r}",
    )
