"""The API routes in one place: each one's path, its wire dialect and the parser its bodies go through."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Final, Literal

from fake_llm.anthropic_request import MessagesRequest
from fake_llm.azure import AZURE, AzureRoute, azure_route
from fake_llm.bedrock import BEDROCK, BEDROCK_PREFIX, BedrockRoute, bedrock_route
from fake_llm.bedrock_request import ConverseRequest, InvokeRequest
from fake_llm.config import LimitsConfig
from fake_llm.dialects import ANTHROPIC, OPENAI, Dialect
from fake_llm.gemini import GEMINI, GEMINI_PREFIXES, GeminiRoute, gemini_route
from fake_llm.gemini_request import GeminiEmbedRequest, GenerateRequest
from fake_llm.parsing import ChatRequest, CompletionRequest, EmbeddingsRequest, ResponsesRequest, parse_json

__all__ = [
    "API_FAMILIES",
    "API_PATHS",
    "DIALECTS",
    "FAMILY_PREFIXES",
    "ApiFamily",
    "ApiRequest",
    "OpenAIRoute",
    "Route",
    "family_route",
    "parse_request",
]

ApiFamily = Literal["openai", "anthropic", "azure", "gemini", "bedrock"]
API_FAMILIES: Final[dict[ApiFamily, str]] = {
    "openai": "/v1",
    "anthropic": "",
    "azure": "",
    "gemini": "",
    "bedrock": "",
}
"""The APIs fake_llm speaks, by name, each with the path its SDK's base URL takes after fake_llm's root
(`OPENAI_BASE_URL=http://127.0.0.1:8000/v1`, `GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:8000`); every route
keeps the real API's path, so a request captured on its way to the real host is served as it is."""

OpenAIRoute = Literal["chat.completions", "responses", "embeddings", "completions"]
Route = OpenAIRoute | Literal["messages"] | AzureRoute | GeminiRoute | BedrockRoute
ApiRequest = (
    ChatRequest
    | CompletionRequest
    | ResponsesRequest
    | EmbeddingsRequest
    | MessagesRequest
    | GenerateRequest
    | GeminiEmbedRequest
    | ConverseRequest
    | InvokeRequest
)

API_PATHS: Final[dict[str, Route]] = {
    "/v1/chat/completions": "chat.completions",
    "/v1/responses": "responses",
    "/v1/embeddings": "embeddings",
    "/v1/completions": "completions",
    "/v1/messages": "messages",
}
"""The API routes by exact path (served as raw ASGI, before FastAPI: `fake_llm.app`); those whose paths
carry a name (an Azure deployment, a Gemini or Bedrock model) are matched by `family_route`."""

FAMILY_PREFIXES: Final = ("/openai/", BEDROCK_PREFIX, *GEMINI_PREFIXES)
"""Where the routes `family_route` matches live; only a path outside `API_PATHS` is tried against them."""


def family_route(path: str) -> tuple[Route | None, Dialect | None]:
    """The route a path under `FAMILY_PREFIXES` names, or (None, the dialect whose 404 answers it).

    A Gemini path that names no method (`/v1/models/{id}`, the model catalogue) is neither: (None, None),
    for the control app.
    """
    if path.startswith("/openai/"):
        route: Route | None = azure_route(path)
        return route, None if route is not None else AZURE
    if path.startswith(BEDROCK_PREFIX):
        route = bedrock_route(path)
        return route, None if route is not None else BEDROCK
    route = gemini_route(path)
    return route, GEMINI if route is None and ":" in path else None


DIALECTS: Final[dict[Route, Dialect]] = {
    "chat.completions": OPENAI,
    "responses": OPENAI,
    "embeddings": OPENAI,
    "completions": OPENAI,
    "messages": ANTHROPIC,
    "azure.chat.completions": AZURE,
    "azure.responses": AZURE,
    "azure.embeddings": AZURE,
    "azure.completions": AZURE,
    "gemini.generate": GEMINI,
    "gemini.stream": GEMINI,
    "gemini.embed": GEMINI,
    "gemini.embed_one": GEMINI,
    "gemini.count_tokens": GEMINI,
    "bedrock.converse": BEDROCK,
    "bedrock.converse_stream": BEDROCK,
    "bedrock.invoke": BEDROCK,
    "bedrock.invoke_stream": BEDROCK,
}
"""How each route writes its errors, rate-limit headers and request id."""

_PARSERS: Final[dict[Route, Callable[[dict[str, object], LimitsConfig], ApiRequest]]] = {
    "chat.completions": ChatRequest.parse,
    "responses": ResponsesRequest.parse,
    "embeddings": EmbeddingsRequest.parse,
    "completions": CompletionRequest.parse,
    "messages": MessagesRequest.parse,
    "azure.chat.completions": ChatRequest.parse,
    "azure.responses": ResponsesRequest.parse,
    "azure.embeddings": EmbeddingsRequest.parse,
    "azure.completions": CompletionRequest.parse,
    "gemini.generate": partial(GenerateRequest.parse, stream=False),
    "gemini.stream": partial(GenerateRequest.parse, stream=True),
    "gemini.embed": partial(GeminiEmbedRequest.parse, method="batch"),
    "gemini.embed_one": partial(GeminiEmbedRequest.parse, method="single"),
    "gemini.count_tokens": partial(GeminiEmbedRequest.parse, method="count"),
    "bedrock.converse": partial(ConverseRequest.parse, stream=False),
    "bedrock.converse_stream": partial(ConverseRequest.parse, stream=True),
    "bedrock.invoke": partial(InvokeRequest.parse, stream=False),
    "bedrock.invoke_stream": partial(InvokeRequest.parse, stream=True),
}


def parse_request(route: Route, body: bytes, limits: LimitsConfig) -> ApiRequest:
    """Parse and validate a body for `route` within `limits`; raises BadRequest (in the route's words).

    Not cached here: `fake_llm.parse_cache.ParseCache` keeps the results, within a memory budget.
    """
    return _PARSERS[route](parse_json(body, max_depth=limits.max_json_depth), limits)
