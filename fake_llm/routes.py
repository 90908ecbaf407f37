"""The API routes in one place: each one's path, its wire dialect and the parser its bodies go through.

OpenAI's routes are parsed by `fake_llm.parsing`, Anthropic's `/v1/messages` by `fake_llm.anthropic_request`,
both within the same limits (`LimitsConfig`: JSON depth, output tokens, ...) and both raising `BadRequest`,
which the engine writes in the route's dialect (`fake_llm.dialects`). `parse_request` is what the parse cache
and its helper process call (`fake_llm.parse_cache`, `fake_llm.parse_worker`), whatever the route.
"""

from __future__ import annotations

from typing import Final, Literal

from fake_llm.anthropic_request import MessagesRequest
from fake_llm.config import LimitsConfig
from fake_llm.dialects import ANTHROPIC, OPENAI, Dialect
from fake_llm.parsing import ChatRequest, EmbeddingsRequest, ResponsesRequest, parse_json

__all__ = ["API_PATHS", "DIALECTS", "ApiRequest", "Route", "parse_request"]

Route = Literal["chat.completions", "responses", "embeddings", "messages"]
ApiRequest = ChatRequest | ResponsesRequest | EmbeddingsRequest | MessagesRequest

API_PATHS: Final[dict[str, Route]] = {
    "/v1/chat/completions": "chat.completions",
    "/v1/responses": "responses",
    "/v1/embeddings": "embeddings",
    "/v1/messages": "messages",
}
"""The API routes by path (served as raw ASGI, before FastAPI: `fake_llm.app`)."""

DIALECTS: Final[dict[Route, Dialect]] = {
    "chat.completions": OPENAI,
    "responses": OPENAI,
    "embeddings": OPENAI,
    "messages": ANTHROPIC,
}
"""How each route writes its errors, rate-limit headers and request id."""


def parse_request(route: Route, body: bytes, limits: LimitsConfig) -> ApiRequest:
    """Parse and validate a body for `route` within `limits`; raises BadRequest (in the route's words).

    Not cached here: `fake_llm.parse_cache.ParseCache` keeps the results, within a memory budget.
    """
    document = parse_json(body, max_depth=limits.max_json_depth)
    if route == "chat.completions":
        return ChatRequest.parse(document, limits)
    if route == "responses":
        return ResponsesRequest.parse(document, limits)
    if route == "messages":
        return MessagesRequest.parse(document, limits)
    return EmbeddingsRequest.parse(document, limits)
