"""What a scenario is, as data: the bench and the report read these objects, never the apps' internals.

A scenario module defines its variants as ASGI app factories (one process each: a blocking variant must
never share an event loop with the variant it is compared to) plus one `SCENARIO` object of the types
below. Nothing here runs at import."""

from __future__ import annotations

import math
import os
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from fake_llm.settings import SettingValue, check_settings

__all__ = [
    "COMMON_SIGNALS",
    "HEADLINE_PLACEHOLDERS",
    "SDK_APP_CEILING_RPS",
    "DatabaseProfile",
    "Headline",
    "Prediction",
    "RequestSpec",
    "Role",
    "Scenario",
    "Signal",
    "TheoryInput",
    "UpstreamProfile",
    "Variant",
    "closed_loop",
    "fixed_latency",
    "littles_law_rps",
]

Role = Literal["pitfall", "fix", "reference"]


@dataclass(frozen=True, kw_only=True)
class TheoryInput:
    """The knobs a theory function predicts from.

    Args:
        users: concurrent closed-loop users (no think time).
        upstream_latency_ms: nominal latency of one upstream (fake LLM) call.
        workers: app worker processes.
    """

    users: int
    upstream_latency_ms: float
    workers: int = 1
    cpu_cores: int | None = None

    @property
    def cores(self) -> int:
        """CPU cores available to the app (`cpu_cores`, else this machine's count)."""
        return self.cpu_cores or os.cpu_count() or 1


@dataclass(frozen=True, kw_only=True)
class Prediction:
    """Predicted steady-state figures for one variant at one load.

    `capacity_rps` is the most the variant serves whatever the load (its bottleneck: W / L for a blocked
    loop, 40 / L for the threadpool, ...); infinite when the theory sets no limit (the app's CPU does).
    An open loop offered more than this queues without end: it is the knee of the latency curve.
    `throughput_rps` is goodput; `failed_rps` the answers that are errors (a pool's timeouts): Little's law
    counts both, X = U / R = throughput + failed.
    """

    throughput_rps: float
    latency_ms: float
    note: str = ""
    capacity_rps: float = math.inf
    failed_rps: float = 0.0


def littles_law_rps(users: int, latency_ms: float) -> float:
    """X = U / R: the throughput a closed loop of `users` reaches when each request takes `latency_ms`."""
    if latency_ms <= 0:
        raise ValueError("`latency_ms` must be positive")
    return users * 1000.0 / latency_ms


def closed_loop(
    *, users: int, latency_ms: float, capacity_rps: float = math.inf, note: str = ""
) -> Prediction:
    """A closed loop of `users` in front of a server whose unloaded response time is `latency_ms` and
    whose bottleneck serves at most `capacity_rps`.

    Little's law gives X = min(U / latency, capacity); when the bottleneck binds, the users who are not
    being served wait in its queue, so R = U / X grows linearly with U.
    """
    if capacity_rps <= 0:
        raise ValueError("`capacity_rps` must be positive")
    throughput = min(littles_law_rps(users, latency_ms), capacity_rps)
    return Prediction(
        throughput_rps=throughput,
        latency_ms=users * 1000.0 / throughput,
        note=note,
        capacity_rps=capacity_rps,
    )


@dataclass(frozen=True, kw_only=True)
class Variant:
    """One app of a scenario.

    Args:
        id: short id (`sync_in_async`), unique within the scenario.
        title: a few words for chart legends.
        role: "pitfall" (the bad variant), "fix", or "reference" (a further variant shown for context).
        factory: import string "module:function" of a zero-argument app factory (uvicorn --factory).
        summary: one sentence: what this variant does differently.
    """

    id: str
    title: str
    role: Role
    factory: str
    summary: str = ""


@dataclass(frozen=True, kw_only=True)
class UpstreamProfile:
    """The fake LLM a scenario is measured against.

    Args:
        latency_ms: nominal latency of one upstream call, used by the theory.
        fake_llm: fake_llm settings by name, typed (e.g. `{"max_concurrency": 10, "hang_rate": 0.1}`);
            checked against `fake_llm.settings.SETTINGS` here, so a misspelt name or a wrong type fails
            when the scenario is defined.

    Raises:
        ConfigError: an unknown setting or a value of the wrong type (the message names the setting).
    """

    latency_ms: float
    fake_llm: Mapping[str, SettingValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fake_llm", check_settings(self.fake_llm, origin="UpstreamProfile.fake_llm"))


def fixed_latency(latency_ms: float, *, output_tokens: int = 8, **settings: SettingValue) -> UpstreamProfile:
    """An upstream whose every call takes ~`latency_ms`: all of it as time to first token, no per-token
    delay, so the theory's L is the same for streamed and buffered calls. `settings` are further fake_llm
    settings by name (a concurrency cap, a hang rate)."""
    latency = {"ttft_ms": float(latency_ms), "itl_ms": 0.0, "output_tokens": output_tokens}
    return UpstreamProfile(latency_ms=latency_ms, fake_llm={**latency, **settings})


@dataclass(frozen=True, kw_only=True)
class DatabaseProfile:
    """The PostgreSQL database a scenario's apps use (`DATABASE_URL`): the bench starts a fresh server for
    the run (or uses `--db-url`) and runs `seed_sql` (schema and deterministic data) before the first point.
    """

    seed_sql: str


@dataclass(frozen=True, kw_only=True)
class Signal:
    """A measured figure that proves the pitfall where req/s and p99 do not (429s, lost writes, first byte).

    Args:
        name: the label a reader sees, e.g. "records written/request".
        figure: where the number comes from in a measured point: "failures", "upstream_429s",
            "upstream_calls_per_request", "new_connections_per_request", "ttfb_p50_ms", a database
            scenario's "db_active_peak", "db_active_mean", "db_idle_in_transaction_at_peak",
            "db_idle_in_transaction_mean", "db_pool_checked_out_peak",
            "db_pool_waiting_peak", "db_pool_timeouts", or "app:<counter>/request" for a counter the
            variant app reports at /app-stats.
        better: which way is better ("lower" for 429s, "higher" for records written).
        unit: the unit shown after the number ("" for counts and per-request ratios).
        kind: "count" figures differ whenever they are unequal; "rate" figures only by `min_gap` and 15 %.
        digits: decimals shown.
        min_gap: the smallest absolute difference worth showing (0.01 vs 0.03 connections is noise).
    """

    name: str
    figure: str
    better: Literal["higher", "lower"]
    unit: str = ""
    kind: Literal["count", "rate"] = "rate"
    digits: int = 1
    min_gap: float = 0.0


# What every scenario's pair is checked for: the upstream's own evidence and the first byte.
COMMON_SIGNALS: tuple[Signal, ...] = (
    Signal(name="failed requests", figure="failures", better="lower", kind="count", digits=0),
    Signal(name="upstream 429s", figure="upstream_429s", better="lower", kind="count", digits=0),
    Signal(name="upstream calls/request", figure="upstream_calls_per_request", better="lower", min_gap=0.5),
    Signal(
        name="new connections/request",
        figure="new_connections_per_request",
        better="lower",
        digits=2,
        min_gap=0.25,
    ),
    Signal(name="first byte p50 ms", figure="ttfb_p50_ms", better="lower", digits=0, min_gap=20.0),
)


# What one app process on the 2-core reference machine serves with a shared AsyncOpenAI before its CPU
# is the limit (docs/bench.md, client_backend: ~250-450 req/s). A scenario's reference load keeps its
# fix well below this, so the pair differs by the pitfall, not by who runs out of CPU first.
SDK_APP_CEILING_RPS = 300.0

# The words a headline's `text` may use, filled by bench.results.summary for a pitfall worse than its fix.
HEADLINE_PLACEHOLDERS = ("ratio", "pitfall", "fix", "pitfall_pct", "fix_pct", "loss_pct")


@dataclass(frozen=True, kw_only=True)
class Headline:
    """The one figure that shows what the pitfall costs, and the load at which to read it.

    Args:
        metric: where the number comes from in a measured point (the vocabulary of `Signal.figure`,
            plus "throughput_rps", "latency_p50_ms", "latency_p99_ms", "failed_share",
            "unanswered_share", "cpu_ms_per_request").
        name: the label a reader sees, e.g. "first byte p50".
        better: which way is better for the user.
        users: the reference load: the pitfall bites there while the fix is not CPU-bound (derived from
            the theory; one of the scenario's `loads`).
        text: the slide's words when the pitfall is worse, e.g. "{ratio} fewer req/s", "first byte
            {ratio} later", "loses {loss_pct} of writes", "{pitfall_pct} of requests never answer".
            `{ratio}` is "x4.5" (the pitfall's side over the fix's, > 1), `{pitfall}` / `{fix}` the values
            with `digits` decimals, `*_pct` a share as a percentage, `loss_pct` = 1 - pitfall / fix.
        unit: the unit shown after the values ("ms", "req/s", "" for ratios).
        digits: decimals shown.
        min_gap: the smallest absolute difference worth calling a difference (0.02 for a 2 % share).
        caveat: why the cost may not show on a small or busy machine, said next to the numbers when the
            pitfall is not worse there (e.g. the process pool needs a core of its own).
    """

    metric: str
    name: str
    better: Literal["higher", "lower"]
    users: int
    text: str
    unit: str = ""
    digits: int = 1
    min_gap: float = 0.0
    caveat: str = ""


@dataclass(frozen=True, kw_only=True)
class RequestSpec:
    """The request each simulated user sends to the variant app, in a closed loop."""

    method: Literal["GET", "POST"] = "POST"
    path: str = "/ask"
    json_body: Mapping[str, Any] | None = field(default_factory=lambda: {"question": "What is async?"})
    stream: bool = False


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """A pitfall, its fix, and how to tell them apart.

    Args:
        id: catalogue id (`sync_client`).
        title: a few words.
        pitfall: one paragraph: what goes wrong and why.
        fix: one paragraph: what the fix changes.
        signature: the measured signal that proves the pitfall.
        variants: the apps, the pitfall and its fix first.
        pitfall_variant / fix_variant: ids of the pair the summary compares.
        upstream: the fake LLM configuration the scenario needs.
        request: what each user sends.
        theory: predicts each variant's throughput and latency from (users, upstream latency, workers).
        core: one of the core six of the design card.
        app_env: extra environment for the variant apps (scenario knobs such as the fan-out width).
        signals: the figures beyond req/s and p99 that prove the pitfall, compared for every pair.
        evidence_at_upstream: the proof is in what the upstream saw (concurrency, connections, 429s):
            reports draw the upstream chart for this scenario.
        database: the PostgreSQL database the apps read `DATABASE_URL` for (None: they use none).
        headline: the one metric that shows the pitfall's cost, and its reference load.
        loads: the user counts of the default suite, chosen from the theory: below, at and beyond the
            pitfall's limit (at least four for the core six, two for the others); `--users` overrides.
    """

    id: str
    title: str
    pitfall: str
    fix: str
    signature: str
    variants: tuple[Variant, ...]
    pitfall_variant: str
    fix_variant: str
    upstream: UpstreamProfile
    theory: Callable[[TheoryInput], Mapping[str, Prediction]]
    headline: Headline
    loads: tuple[int, ...]
    request: RequestSpec = field(default_factory=RequestSpec)
    core: bool = False
    app_env: Mapping[str, str] = field(default_factory=dict)
    signals: tuple[Signal, ...] = COMMON_SIGNALS
    evidence_at_upstream: bool = False
    database: DatabaseProfile | None = None

    def __post_init__(self) -> None:
        if not self.loads or list(self.loads) != sorted(set(self.loads)) or self.loads[0] < 1:
            raise ValueError(f"scenario '{self.id}': `loads` must be ascending, unique, positive user counts")
        if self.headline.users not in self.loads:
            raise ValueError(
                f"scenario '{self.id}': the headline's reference load {self.headline.users} is not one of "
                f"its loads {self.loads}; add it to `loads` or pick one of them"
            )
        used = {name for _, name, _, _ in string.Formatter().parse(self.headline.text) if name}
        unknown = used - set(HEADLINE_PLACEHOLDERS)
        if unknown:
            raise ValueError(
                f"scenario '{self.id}': headline text uses {sorted(unknown)}; the placeholders are "
                f"{', '.join(HEADLINE_PLACEHOLDERS)}"
            )

    def variant(self, variant_id: str) -> Variant:
        from scenarios.errors import UnknownScenarioError

        for v in self.variants:
            if v.id == variant_id:
                return v
        known = ", ".join(v.id for v in self.variants)
        raise UnknownScenarioError(f"scenario '{self.id}' has no variant '{variant_id}' (variants: {known})")
