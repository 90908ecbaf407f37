"""What the linter knows about third-party APIs, by fully qualified name.

Everything the rules treat as a client, a blocking call, a deadline or an offload to a thread is listed
here, in one place, so a reader can see exactly what is and is not recognised. Names are the public
import paths (`openai.AsyncOpenAI`, `time.sleep`); `names.py` maps a module's aliases onto them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "BLOCKING_CALLS",
    "CACHE_DECORATORS",
    "CLIENTS",
    "DEADLINE_CONTEXTS",
    "DEPENDS",
    "HTTP_READ_VERBS",
    "HTTP_VERBS",
    "KNOWN_ASYNC_CALLS",
    "LLM_RESOURCES",
    "NON_NETWORK_METHODS",
    "OFFLOAD_CALLS",
    "RETRY_DECORATORS",
    "ROUTE_DECORATORS",
    "ROUTE_REGISTRARS",
    "RUFF_DIRECT",
    "SEMAPHORES",
    "SLEEPS",
    "SYNC_HTTP_CALLS",
    "ClientSpec",
]

Family = Literal["llm", "http"]


@dataclass(frozen=True, kw_only=True)
class ClientSpec:
    """A client class: sync or async, LLM SDK or plain HTTP, and its defaults that matter here.

    `default_timeout_s` is None when the default is already short (httpx: 5 s) — only long defaults are
    a `timeouts` finding. `default_retries` is the SDK's own retry count (0 for plain HTTP clients).
    """

    name: str
    is_async: bool
    family: Family
    default_timeout_s: float | None
    default_retries: int


def _spec(name: str, is_async: bool, family: Family, timeout: float | None, retries: int) -> ClientSpec:
    return ClientSpec(
        name=name, is_async=is_async, family=family, default_timeout_s=timeout, default_retries=retries
    )


CLIENTS: dict[str, ClientSpec] = {
    spec.name: spec
    for spec in (
        _spec("openai.OpenAI", False, "llm", 600.0, 2),
        _spec("openai.AzureOpenAI", False, "llm", 600.0, 2),
        _spec("openai.AsyncOpenAI", True, "llm", 600.0, 2),
        _spec("openai.AsyncAzureOpenAI", True, "llm", 600.0, 2),
        _spec("anthropic.Anthropic", False, "llm", 600.0, 2),
        _spec("anthropic.AsyncAnthropic", True, "llm", 600.0, 2),
        _spec("anthropic.AnthropicBedrock", False, "llm", 600.0, 2),
        _spec("anthropic.AsyncAnthropicBedrock", True, "llm", 600.0, 2),
        _spec("anthropic.AnthropicVertex", False, "llm", 600.0, 2),
        _spec("anthropic.AsyncAnthropicVertex", True, "llm", 600.0, 2),
        _spec("httpx.Client", False, "http", None, 0),
        _spec("httpx.AsyncClient", True, "http", None, 0),
        _spec("requests.Session", False, "http", None, 0),
        _spec("requests.session", False, "http", None, 0),
        _spec("urllib3.PoolManager", False, "http", None, 0),
        _spec("aiohttp.ClientSession", True, "http", 300.0, 0),
    )
}

# The SDKs' resource attributes: `client.chat.completions.create(...)` is a network call on `client`.
LLM_RESOURCES = frozenset(
    {
        "audio",
        "batches",
        "beta",
        "chat",
        "completions",
        "containers",
        "conversations",
        "embeddings",
        "evals",
        "files",
        "fine_tuning",
        "images",
        "messages",
        "models",
        "moderations",
        "responses",
        "uploads",
        "vector_stores",
    }
)
HTTP_VERBS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "request", "send", "stream", "ws_connect"}
)
HTTP_READ_VERBS = frozenset({"get", "head", "options"})
# Methods of a client that return a configured copy of it rather than calling the network.
NON_NETWORK_METHODS = frozenset({"with_options", "copy"})

# Module-level sync HTTP calls (ruff ASYNC210 reports requests/urllib/httpx ones directly in async def).
SYNC_HTTP_CALLS = frozenset(
    {f"requests.{verb}" for verb in ("get", "post", "put", "patch", "delete", "head", "options", "request")}
    | {f"httpx.{verb}" for verb in ("get", "post", "put", "patch", "delete", "head", "options", "request")}
    | {"httpx.stream", "urllib.request.urlopen", "urllib3.request", "http.client.HTTPConnection"}
)

BLOCKING_CALLS = frozenset(
    {
        "time.sleep",
        "builtins.open",
        "builtins.input",
        "io.open",
        "os.system",
        "os.popen",
        "os.wait",
        "os.waitpid",
        "os.read",
        "os.sendfile",
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "shutil.copy",
        "shutil.copy2",
        "shutil.copyfile",
        "shutil.copytree",
        "shutil.rmtree",
        "shutil.move",
        "socket.create_connection",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "sqlite3.connect",
        "pickle.load",
        "json.load",
    }
)

# Which of the direct cases ruff's ASYNC rules already report (named in the message, see docs/lint.md).
RUFF_DIRECT: dict[str, str] = {
    "time.sleep": "ASYNC251",
    "builtins.open": "ASYNC230",
    "io.open": "ASYNC230",
    "builtins.input": "ASYNC250",
    "os.system": "ASYNC221",
    "os.popen": "ASYNC221",
    "os.wait": "ASYNC222",
    "os.waitpid": "ASYNC222",
    "subprocess.run": "ASYNC221",
    "subprocess.call": "ASYNC221",
    "subprocess.check_call": "ASYNC221",
    "subprocess.check_output": "ASYNC221",
    "subprocess.getoutput": "ASYNC221",
    "subprocess.getstatusoutput": "ASYNC221",
    **{name: "ASYNC210" for name in SYNC_HTTP_CALLS if not name.startswith("httpx.")},
    **{name: "ASYNC212" for name in SYNC_HTTP_CALLS if name.startswith("httpx.")},
}

# Calls that run their function argument on a thread (or process): not blocking the loop.
OFFLOAD_CALLS = frozenset(
    {
        "asyncio.to_thread",
        "anyio.to_thread.run_sync",
        "starlette.concurrency.run_in_threadpool",
        "fastapi.concurrency.run_in_threadpool",
    }
)

# Context managers that put a deadline on everything inside them.
DEADLINE_CONTEXTS = frozenset(
    {
        "asyncio.timeout",
        "asyncio.timeout_at",
        "anyio.fail_after",
        "anyio.move_on_after",
        "async_timeout.timeout",
        "trio.fail_after",
        "trio.move_on_after",
    }
)

SEMAPHORES = frozenset(
    {
        "asyncio.Semaphore",
        "asyncio.BoundedSemaphore",
        "anyio.Semaphore",
        "anyio.CapacityLimiter",
        "trio.Semaphore",
        "trio.CapacityLimiter",
        "aiolimiter.AsyncLimiter",
    }
)

SLEEPS = frozenset({"asyncio.sleep", "time.sleep", "anyio.sleep", "trio.sleep"})

# Awaitables whose result is the point: calling one without `await` does nothing.
KNOWN_ASYNC_CALLS = frozenset({"asyncio.sleep", "asyncio.wait_for", "asyncio.wait", "anyio.sleep"})

CACHE_DECORATORS = frozenset(
    {"functools.cache", "functools.lru_cache", "functools.cached_property", "async_lru.alru_cache"}
)
RETRY_DECORATORS = frozenset(
    {"tenacity.retry", "backoff.on_exception", "backoff.on_predicate", "retry.retry", "retrying.retry"}
)
DEPENDS = frozenset({"fastapi.Depends", "fastapi.params.Depends", "fastapi.Security"})

# `@app.get("/path")`, `@router.post(...)`, `@app.websocket(...)`: the attribute names of route decorators.
ROUTE_DECORATORS = frozenset(
    {
        "get",
        "post",
        "put",
        "patch",
        "delete",
        "head",
        "options",
        "trace",
        "api_route",
        "route",
        "websocket",
        "websocket_route",
    }
)
# `app.add_api_route("/p", endpoint)`, `Route("/p", endpoint)`: calls that register a handler.
ROUTE_REGISTRARS = frozenset({"add_api_route", "add_route", "add_websocket_route", "Route", "WebSocketRoute"})
