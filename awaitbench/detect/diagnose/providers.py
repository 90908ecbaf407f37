"""The LLM providers diagnose stands in for: which hosts speak which dialect, and where their paths go.

One table for both halves: the capture (`capture`) rewrites a call by its `Route` (`api.groq.com` +
`/openai/v1/chat/completions` -> openai, `/v1/chat/completions`); the bench fills each provider's key
variable with a fake key.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Literal, get_args

__all__ = [
    "DIALECTS",
    "PROVIDERS",
    "Dialect",
    "Provider",
    "Route",
    "RouteTable",
    "key_variables",
    "parse_capture_host",
]

Dialect = Literal["openai", "anthropic", "azure", "gemini", "bedrock"]
DIALECTS: tuple[Dialect, ...] = get_args(Dialect)
_BASE: dict[Dialect, str] = {"openai": "/v1", "anthropic": "/v1", "azure": "", "gemini": "", "bedrock": ""}
"""Where each dialect's paths start on the fake LLM (`prefix` of a route is replaced by this)."""


@dataclass(frozen=True, kw_only=True)
class Route:
    """Calls to `host` (an fnmatch pattern, any port) whose path starts with `prefix` speak `dialect`;
    on the fake LLM their path is the dialect's base followed by what comes after `prefix`."""

    host: str
    dialect: Dialect
    prefix: str = ""
    up_to_version: bool = False
    """A host the user added: whatever precedes the path's first `/v1` segment is its prefix."""

    def matches(self, host: str, path: str) -> bool:
        return fnmatch.fnmatchcase(host.lower(), self.host) and _under(path, self.prefix)

    def target_path(self, path: str) -> str:
        rest = path[len(self.prefix) :]
        if self.up_to_version and _BASE[self.dialect]:
            _, found, after = rest.partition("/v1/")
            rest = "/" + after if found else ("" if rest.endswith("/v1") else rest)
        return _BASE[self.dialect] + rest


def _under(path: str, prefix: str) -> bool:
    return not prefix or path == prefix or path.startswith(prefix + "/")


@dataclass(frozen=True, kw_only=True)
class Provider:
    """One provider: its routes (most specific prefix first) and the variables its SDK reads a key from."""

    name: str
    routes: tuple[Route, ...]
    key_env: tuple[str, ...] = ()


def _openai_compatible(name: str, host: str, prefix: str, *key_env: str) -> Provider:
    return Provider(name=name, routes=(Route(host=host, dialect="openai", prefix=prefix),), key_env=key_env)


PROVIDERS: tuple[Provider, ...] = (
    _openai_compatible("OpenAI", "api.openai.com", "/v1", "OPENAI_API_KEY"),
    Provider(
        name="Azure OpenAI",
        routes=(
            Route(host="*.openai.azure.com", dialect="azure"),
            Route(host="*.cognitiveservices.azure.com", dialect="azure"),
        ),
        key_env=("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_KEY", "AZURE_API_KEY"),
    ),
    Provider(
        name="Anthropic",  # /v1/messages, and its OpenAI-compatible /v1/chat/completions: both under /v1
        routes=(Route(host="api.anthropic.com", dialect="anthropic", prefix="/v1"),),
        key_env=("ANTHROPIC_API_KEY", "CLAUDE_API_KEY"),
    ),
    Provider(
        name="Gemini",
        routes=(
            Route(host="generativelanguage.googleapis.com", dialect="openai", prefix="/v1beta/openai"),
            Route(host="generativelanguage.googleapis.com", dialect="gemini"),
        ),
        key_env=("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    ),
    Provider(
        name="Amazon Bedrock",
        routes=(Route(host="bedrock-runtime.*.amazonaws.com", dialect="bedrock"),),
    ),
    _openai_compatible("Groq", "api.groq.com", "/openai/v1", "GROQ_API_KEY"),
    _openai_compatible("Cerebras", "api.cerebras.ai", "/v1", "CEREBRAS_API_KEY"),
    _openai_compatible("Together", "api.together.xyz", "/v1", "TOGETHER_API_KEY"),
    _openai_compatible("Together", "api.together.ai", "/v1"),
    _openai_compatible("Fireworks", "api.fireworks.ai", "/inference/v1", "FIREWORKS_API_KEY"),
    Provider(
        name="DeepSeek",  # its documented base URL has no /v1; both forms work
        routes=(
            Route(host="api.deepseek.com", dialect="openai", prefix="/v1"),
            Route(host="api.deepseek.com", dialect="openai"),
        ),
        key_env=("DEEPSEEK_API_KEY",),
    ),
    _openai_compatible("Mistral", "api.mistral.ai", "/v1", "MISTRAL_API_KEY"),
    _openai_compatible("OpenRouter", "openrouter.ai", "/api/v1", "OPENROUTER_API_KEY"),
    _openai_compatible("Perplexity", "api.perplexity.ai", "", "PERPLEXITY_API_KEY", "PPLX_API_KEY"),
    _openai_compatible("xAI", "api.x.ai", "/v1", "XAI_API_KEY"),
    _openai_compatible("DeepInfra", "api.deepinfra.com", "/v1/openai", "DEEPINFRA_API_KEY"),
    _openai_compatible("SambaNova", "api.sambanova.ai", "/v1", "SAMBANOVA_API_KEY"),
    _openai_compatible("Moonshot", "api.moonshot.ai", "/v1", "MOONSHOT_API_KEY"),
    _openai_compatible("DashScope", "dashscope*.aliyuncs.com", "/compatible-mode/v1", "DASHSCOPE_API_KEY"),
    _openai_compatible("Hugging Face", "router.huggingface.co", "/v1", "HF_TOKEN"),
)


def key_variables() -> tuple[str, ...]:
    """Every API-key variable of the table, in its order, once each."""
    return tuple(dict.fromkeys(name for p in PROVIDERS for name in p.key_env))


_API_PATH = re.compile(
    r"^(?P<prefix>.*?)(?:/v1)?/(?P<endpoint>chat/completions|completions|embeddings|responses|messages)$"
)
"""A path that ends in an OpenAI or Anthropic endpoint: a self-hosted or proxied LLM API (vLLM, Ollama's
and LM Studio's OpenAI-compatible servers, LiteLLM), whatever its host."""


class RouteTable:
    """The built-in routes, after the user's own (`--capture-host HOST[=dialect]`, tried first), then
    any host whose path ends in an OpenAI or Anthropic endpoint (`/v1/chat/completions`, `/v1/messages`)."""

    def __init__(self, extra: tuple[Route, ...] = ()) -> None:
        self.routes = (*extra, *(r for p in PROVIDERS for r in p.routes))

    def find(self, host: str, path: str) -> Route | None:
        """The route a call to `host` with `path` takes (None: not an LLM API the table knows)."""
        found = next((r for r in self.routes if r.matches(host, path)), None)
        if found is not None:
            return found
        api = _API_PATH.match(path)
        if api is None:
            return None
        dialect: Dialect = "anthropic" if api["endpoint"] == "messages" else "openai"
        return Route(host=host.lower(), dialect=dialect, prefix=path[: len(path) - len(api["endpoint"]) - 1])

    def knows_host(self, host: str) -> bool:
        return any(fnmatch.fnmatchcase(host.lower(), r.host) for r in self.routes)


def parse_capture_host(text: str) -> Route:
    """`HOST[=dialect]` (`llm.internal.example=openai`) -> a route (dialect openai when not given); for
    openai and anthropic whatever precedes a call's first `/v1` segment is dropped, other dialects keep
    the path.

    Raises:
        ValueError: an empty host, a host with a scheme or path, or an unknown dialect (named).
    """
    host, _, dialect = text.partition("=")
    host, dialect = host.strip().lower(), (dialect.strip() or "openai")
    if not host or "/" in host or ":" in host:
        raise ValueError(f"{text!r} is not HOST[=dialect] (a host name, e.g. llm.internal.example=openai)")
    if dialect not in DIALECTS:
        raise ValueError(f"{text!r}: the dialect must be one of {', '.join(DIALECTS)}, not {dialect!r}")
    return Route(host=host, dialect=dialect, up_to_version=True)
