"""Everything a scenario variant needs that is not the pitfall, written once, so a variant is a slide.

`AppConfig` (the upstream from the environment; `override_config` for in-process tests),
`new_app(client=...)` (health, `/app-stats`, error mapping, the lifespan client) and the `/ask` bodies.
Nothing runs at import."""

from __future__ import annotations

import contextlib
import inspect
import os
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, overload

import openai
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from scenarios.errors import ScenarioConfigError

if TYPE_CHECKING:
    import httpx2

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_MODEL",
    "UPSTREAM_TIMEOUT_S",
    "Answer",
    "AppConfig",
    "Llm",
    "Question",
    "Resource",
    "async_openai",
    "env_float",
    "env_int",
    "new_app",
    "override_config",
    "sync_openai",
]

DEFAULT_MODEL = "fake-chat"
DEFAULT_API_KEY = "sk-awaitbench-fake"
# Every shared client states its timeout, as a production app should; only the `timeouts`
# scenario's pitfall keeps the SDK's default (600 s) to show what it costs. Far above any scenario's latency.
UPSTREAM_TIMEOUT_S = 60.0

ClientT = TypeVar("ClientT", covariant=True)  # an Llm of a client is an Llm[object]


@dataclass(frozen=True, kw_only=True)
class AppConfig:
    """Where the upstream is and which model to ask; the single source every variant reads.

    Args:
        base_url: the OpenAI-compatible base URL, e.g. `http://127.0.0.1:9000/v1`.
        api_key: sent as the bearer token (the fake LLM accepts any).
        model: the model name put in every request.
        http_client / sync_http_client: build the HTTP client under each SDK client that `async_openai` /
            `sync_openai` make; None (the environment's config) = the SDK's own transport over the network.
            In-process tests route them to fake_llm's ASGI app.
    """

    base_url: str
    api_key: str = DEFAULT_API_KEY
    model: str = DEFAULT_MODEL
    http_client: Callable[[], httpx2.AsyncClient] | None = None
    sync_http_client: Callable[[], httpx2.Client] | None = None

    def new_http_client(self) -> httpx2.AsyncClient | None:
        """The transport an async SDK client of this config uses: None = the SDK's own, over the network."""
        return self.http_client() if self.http_client is not None else None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AppConfig:
        """Read the config; a missing base URL is an error rather than a silent call to a real API.

        Raises:
            ScenarioConfigError: `OPENAI_BASE_URL` is unset or not an http(s) URL.
        """
        env = os.environ if environ is None else environ
        base_url = env.get("OPENAI_BASE_URL", "").strip()
        if not base_url.startswith(("http://", "https://")):
            shown = f"'{base_url}'" if base_url else "not set"
            raise ScenarioConfigError(
                f"OPENAI_BASE_URL is {shown}: set it to an OpenAI-compatible server, e.g. "
                "start 'awaitbench fake-llm --port 9000' and export OPENAI_BASE_URL=http://127.0.0.1:9000/v1"
            )
        return cls(
            base_url=base_url,
            api_key=env.get("OPENAI_API_KEY") or DEFAULT_API_KEY,
            model=env.get("AWAITBENCH_MODEL") or DEFAULT_MODEL,
        )


# Set only by `override_config`: a variant factory takes no arguments (uvicorn --factory calls it), so
# this is how a test hands it a config without changing a line of the variant.
_OVERRIDE: ContextVar[AppConfig | None] = ContextVar("awaitbench_app_config", default=None)


@contextlib.contextmanager
def override_config(config: AppConfig) -> Iterator[AppConfig]:
    """Apps built by `new_app` inside this block use `config` instead of reading the environment."""
    token = _OVERRIDE.set(config)
    try:
        yield config
    finally:
        _OVERRIDE.reset(token)


def _env_number(name: str, default: float, minimum: float, parse: Callable[[str], float]) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = parse(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ScenarioConfigError(
            f"{name} must be a number >= {minimum:g}, got '{raw}': fix it or unset it (default {default:g})"
        )
    return value


def env_int(name: str, *, default: int, minimum: int = 0) -> int:
    """A scenario knob from the environment (`AWAITBENCH_*`), validated; raises ScenarioConfigError."""
    return int(_env_number(name, default, minimum, int))


def env_float(name: str, *, default: float, minimum: float = 0.0) -> float:
    """A float scenario knob from the environment, validated; raises ScenarioConfigError."""
    return _env_number(name, default, minimum, float)


# ------------------------------------------------------------------------------------------ clients


def async_openai(config: AppConfig, **options: Any) -> openai.AsyncOpenAI:
    """The client a real async app uses: the official SDK on its default transport, with a timeout.

    `options` go to `openai.AsyncOpenAI` as they are (e.g. `max_retries=0`, or another `timeout`).
    """
    options.setdefault("timeout", UPSTREAM_TIMEOUT_S)
    return openai.AsyncOpenAI(
        base_url=config.base_url, api_key=config.api_key, http_client=config.new_http_client(), **options
    )


def sync_openai(config: AppConfig) -> openai.OpenAI:
    """The blocking SDK client: fine in a thread, a disaster on the event loop. It states its timeout like
    the async one (`awaitbench diagnose` reads a sync client's deadline from its socket: the SDK's default
    600 s would be a `timeouts` finding on every variant built on it)."""
    http_client = config.sync_http_client() if config.sync_http_client is not None else None
    return openai.OpenAI(
        base_url=config.base_url, api_key=config.api_key, http_client=http_client, timeout=UPSTREAM_TIMEOUT_S
    )


async def _maybe_await(result: Any) -> None:
    if inspect.isawaitable(result):
        await result


async def _close(client: Any) -> None:
    # SDK clients have close() (sync or async); aiohttp sessions too; httpx has aclose().
    closer = getattr(client, "aclose", None) or getattr(client, "close", None)
    if closer is not None:
        await _maybe_await(closer())


# ------------------------------------------------------------------------------------------ bodies


class Question(BaseModel):
    """The body of `POST /ask`."""

    question: str = "What is async?"


class Answer(BaseModel):
    """The JSON answer: the model's text and how many upstream calls produced it."""

    answer: str
    upstream_calls: int = 1

    @classmethod
    def of(cls, *completions: Any) -> Answer:
        """Join one or more chat completions into one answer."""
        texts = [c.choices[0].message.content or "" for c in completions]
        return cls(answer=" | ".join(texts), upstream_calls=len(completions))


# ------------------------------------------------------------------------------------------ the app


class Llm(Generic[ClientT]):
    """What a variant's routes hold: the config, the shared client (once started) and its counters."""

    def __init__(self, config: AppConfig, client_factory: Callable[[AppConfig], ClientT] | None) -> None:
        self.config = config
        self.stats: Counter[str] = Counter()
        self._factory = client_factory
        self._client: ClientT | None = None

    @property
    def client(self) -> ClientT:
        """The shared client; it exists only between lifespan startup and shutdown."""
        if self._client is None:
            raise RuntimeError("the shared client is not open: the app's lifespan has not started")
        return self._client

    def prompt(self, question: Question | str, *, stream: bool = False) -> dict[str, Any]:
        """Keyword arguments for `chat.completions.create` asking `question`."""
        text = question.question if isinstance(question, Question) else question
        args: dict[str, Any] = {"model": self.config.model, "messages": [{"role": "user", "content": text}]}
        if stream:
            args["stream"] = True
        return args

    def prompts(self, question: Question, parts: Sequence[str]) -> list[dict[str, Any]]:
        """Independent sub-questions about `question` (for the scenarios that make several calls)."""
        return [self.prompt(f"{part}: {question.question}") for part in parts]

    @contextlib.asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        if self._factory is not None:
            self._client = self._factory(self.config)
        try:
            yield
        finally:
            client, self._client = self._client, None
            if client is not None:
                await _close(client)


class Resource(Protocol):
    """Something the app opens at startup and closes at shutdown (a database pool), whose counters
    `/app-stats` reports beside the app's own. `open` and `close` may be coroutine functions."""

    stats: Counter[str]

    def open(self) -> Any: ...

    def close(self) -> Any: ...


def _upstream_error(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"error": f"upstream: {type(exc).__name__}: {exc}"}, status_code=502)


def _deadline_error(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"error": "upstream deadline exceeded"}, status_code=504)


@overload
def new_app(
    *,
    title: str,
    client: Callable[[AppConfig], ClientT],
    on_startup: Callable[[], Any] | None = None,
    on_shutdown: Callable[[], Any] | None = None,
    resources: Sequence[Resource] = (),
) -> tuple[FastAPI, Llm[ClientT]]: ...


@overload
def new_app(
    *,
    title: str,
    client: None = None,
    on_startup: Callable[[], Any] | None = None,
    on_shutdown: Callable[[], Any] | None = None,
    resources: Sequence[Resource] = (),
) -> tuple[FastAPI, Llm[None]]: ...


def new_app(
    *,
    title: str,
    client: Callable[[AppConfig], Any] | None = None,
    on_startup: Callable[[], Any] | None = None,
    on_shutdown: Callable[[], Any] | None = None,
    resources: Sequence[Resource] = (),
) -> tuple[FastAPI, Llm[Any]]:
    """An app with `/health`, `/app-stats` and a managed shared client; routes are the variant's job.

    Args:
        title: shown in the OpenAPI page.
        client: builds the shared client at startup (closed at shutdown); None = the variant has none.
        on_startup: runs inside the event loop before the first request (e.g. resize the threadpool).
        on_shutdown: releases a resource the variant owns (e.g. a process pool's `shutdown`).
        resources: opened in order after the client, closed in reverse before it; their counters are
            part of `/app-stats` (a database pool's peaks).

    Raises:
        ScenarioConfigError: the environment does not describe an upstream (see `AppConfig.from_env`).
    """
    llm: Llm[Any] = Llm(_OVERRIDE.get() or AppConfig.from_env(), client)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with llm.lifespan(app), contextlib.AsyncExitStack() as opened:
            for resource in resources:
                await _maybe_await(resource.open())
                opened.push_async_callback(_close, resource)
            if on_startup is not None:
                await _maybe_await(on_startup())
            try:
                yield
            finally:
                if on_shutdown is not None:
                    await _maybe_await(on_shutdown())

    app = FastAPI(title=title, lifespan=lifespan, openapi_url=None)
    app.add_exception_handler(openai.APIError, _upstream_error)
    app.add_exception_handler(TimeoutError, _deadline_error)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/app-stats")
    async def app_stats() -> dict[str, int]:
        counters = Counter(llm.stats)
        for resource in resources:
            counters.update(resource.stats)
        return dict(counters)

    return app, llm
