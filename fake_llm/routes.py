"""The API routes in one place: each one's path, its wire dialect and the parser its bodies go through.

OpenAI's routes (and Azure's, which carry OpenAI's bodies under other URLs: `fake_llm.azure`) are parsed by
`fake_llm.parsing`, Anthropic's `/v1/messages` by `fake_llm.anthropic_request`,
both within the same limits (`LimitsConfig`: JSON depth, output tokens, ...) and both raising `BadRequest`,
which the engine writes in the route's dialect (`fake_llm.dialects`). `parse_request` is what the parse cache
and its helper process call (`fake_llm.parse_cache`, `fake_llm.parse_worker`), whatever the route.
"""

from __future__ import annotations

from typing import Final, Literal

from fake_llm.anthropic_request import MessagesRequest
from fake_llm.azure import AZURE, AzureRoute
from fake_llm.config import LimitsConfig
from fake_llm.dialects import ANTHROPIC, OPENAI, Dialect
from fake_llm.parsing import ChatRequest, EmbeddingsRequest, ResponsesRequest, parse_json

__all__ = ["API_PATHS", "DIALECTS", "ApiRequest", "OpenAIRoute", "Route", "parse_request"]

OpenAIRoute = Literal["chat.completions", "responses", "embeddings"]
Route = OpenAIRoute | Literal["messages"] | AzureRoute
ApiRequest = ChatRequest | ResponsesRequest | EmbeddingsRequest | MessagesRequest

API_PATHS: Final[dict[str, Route]] = {
    "/v1/chat/completions": "chat.completions",
    "/v1/responses": "responses",
    "/v1/embeddings": "embeddings",
    "/v1/messages": "messages",
}
"""The API routes by exact path (served as raw ASGI, before FastAPI: `fake_llm.app`); Azure's, whose paths
carry a deployment name, are matched by `fake_llm.azure.azure_route`."""

DIALECTS: Final[dict[Route, Dialect]] = {
    "chat.completions": OPENAI,
    "responses": OPENAI,
    "embeddings": OPENAI,
    "messages": ANTHROPIC,
    "azure.chat.completions": AZURE,
    "azure.responses": AZURE,
    "azure.embeddings": AZURE,
}
"""How each route writes its errors, rate-limit headers and request id."""

_AZURE_BODIES: Final[dict[Route, Route]] = {
    "azure.chat.completions": "chat.completions",
    "azure.responses": "responses",
    "azure.embeddings": "embeddings",
}


def parse_request(route: Route, body: bytes, limits: LimitsConfig) -> ApiRequest:
    """Parse and validate a body for `route` within `limits`; raises BadRequest (in the route's words).

    Not cached here: `fake_llm.parse_cache.ParseCache` keeps the results, within a memory budget.
    """
    document = parse_json(body, max_depth=limits.max_json_depth)
    route = _AZURE_BODIES.get(route, route)
    if route == "chat.completions":
        return ChatRequest.parse(document, limits)
    if route == "responses":
        return ResponsesRequest.parse(document, limits)
    if route == "messages":
        return MessagesRequest.parse(document, limits)
    return EmbeddingsRequest.parse(document, limits)
