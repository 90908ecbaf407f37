"""Google's Gemini API, a dialect of the one engine: its routes, what a request must carry, its error shape.

The `google-genai` SDK with `http_options={"base_url": ...}` (or `GOOGLE_GEMINI_BASE_URL`) calls
`POST /{v1,v1beta}/models/{model}:{method}` and `GET /{v1,v1beta}/models[/{model}]` (the catalogue: the
control app, with `gemini_model`); the model is the URL's, the key an `x-goog-api-key` header or `key=`.
"""

from __future__ import annotations

import json
from typing import Final, Literal

from fake_llm.asgi import Headers, Scope
from fake_llm.capacity import RateDecision
from fake_llm.parsing import MAX_MODEL_CHARS, BadRequest

__all__ = [
    "GEMINI",
    "GEMINI_PREFIXES",
    "GeminiDialect",
    "GeminiRoute",
    "gemini_caller",
    "gemini_model",
    "gemini_route",
]

GeminiRoute = Literal[
    "gemini.generate", "gemini.stream", "gemini.embed", "gemini.embed_one", "gemini.count_tokens"
]
GEMINI_PREFIXES: Final = ("/v1/models/", "/v1beta/models/")
_METHODS: Final[dict[str, GeminiRoute]] = {
    "generateContent": "gemini.generate",
    "streamGenerateContent": "gemini.stream",
    "batchEmbedContents": "gemini.embed",
    "embedContent": "gemini.embed_one",
    "countTokens": "gemini.count_tokens",
}
# google.rpc.Code names by HTTP status (Google's error documents carry both).
_STATUS: Final[dict[int, str]] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
    529: "UNAVAILABLE",
}
_FAULTS: Final[dict[str, str]] = {
    "429": "Resource has been exhausted (e.g. check quota). (injected by fake_llm)",
    "500": "An internal error has occurred. Please retry or report it. (injected by fake_llm)",
    "503": "The model is overloaded. Please try again later. (injected by fake_llm)",
    "529": "The model is overloaded. Please try again later. (injected by fake_llm)",
}
_NO_KEY = (
    "Method doesn't allow unregistered callers (callers without established identity). Please use API Key "
    "or other form of API consumer identity to call this API. (fake_llm accepts any key: send an "
    "x-goog-api-key header or ?key=.)"
)
_NOT_SSE = (
    "fake_llm streams streamGenerateContent as server-sent events only: add ?alt=sse to the URL "
    "(google-genai does)."
)


def gemini_route(path: str) -> GeminiRoute | None:
    """The Gemini API route `path` names (`/v1/models/{model}:{method}`, `v1beta` too), or None."""
    for prefix in GEMINI_PREFIXES:
        if path.startswith(prefix):
            model, colon, method = path[len(prefix) :].rpartition(":")
            return _METHODS.get(method) if colon and model and "/" not in model else None
    return None


def _query_has(query_string: bytes, name: bytes, value: bytes | None = None) -> bool:
    for pair in query_string.split(b"&"):
        key, _, found = pair.partition(b"=")
        if key == name and found and (value is None or found == value):
            return True
    return False


def gemini_caller(headers: Headers, query_string: bytes) -> bool:
    """Whether a request comes from a Gemini client: it carries an `x-goog-api-key` header or `key=`."""
    return any(name == b"x-goog-api-key" and value.strip() for name, value in headers) or _query_has(
        query_string, b"key"
    )


def gemini_model(model_id: str) -> dict[str, object]:
    """The Gemini API's Model document for `model_id` (`models.list` and `models.get`)."""
    return {
        "name": f"models/{model_id}",
        "baseModelId": model_id,
        "version": "001",
        "displayName": model_id,
        "description": "A model served by awaitbench's fake_llm.",
        "inputTokenLimit": 1_048_576,
        "outputTokenLimit": 65_536,
        "supportedGenerationMethods": [
            "generateContent",
            "countTokens",
            "embedContent",
            "batchEmbedContents",
        ],
    }


def _duration(seconds: float) -> str:
    """A google.protobuf.Duration in its JSON form ("17s", "0.05s")."""
    return f"{seconds:.3f}".rstrip("0").rstrip(".") + "s"


class GeminiDialect:
    """The Gemini API: `{"error": {"code", "message", "status"}}`; a 429 says when to retry in `details`."""

    request_id_header = b"x-request-id"

    def error_body(
        self, status: int, message: str, *, param: str | None = None, code: str | None = None
    ) -> bytes:
        name = _STATUS.get(status, "INVALID_ARGUMENT" if status < 500 else "INTERNAL")
        return json.dumps({"error": {"code": status, "message": message, "status": name}}).encode()

    def error_headers(self, status: int) -> Headers:
        return []

    def fault_body(self, status: str, retry_after_s: float) -> bytes:
        error: dict[str, object] = {
            "code": int(status),
            "message": _FAULTS[status],
            "status": _STATUS[int(status)],
        }
        if status == "429":
            retry = {
                "@type": "type.googleapis.com/google.rpc.RetryInfo",
                "retryDelay": _duration(retry_after_s),
            }
            error["details"] = [retry]
        return json.dumps({"error": error}).encode()

    def rate_headers(self, decision: RateDecision) -> Headers:
        return []  # Google reports no budgets in headers: a 429's RetryInfo says when to come back

    def throttled_headers(self, retry_after_s: float) -> Headers:
        return []

    def check_request(self, scope: Scope) -> str | None:
        """The model the path names.

        Raises:
            BadRequest: 403 without an API key; 400 for a stream without `alt=sse` or a model name over
                `MAX_MODEL_CHARS`.
        """
        if not gemini_caller(scope["headers"], scope["query_string"]):
            raise BadRequest(_NO_KEY, status=403)
        path: str = scope["path"]
        model, _, method = path.rpartition(":")
        if method == "streamGenerateContent" and not _query_has(scope["query_string"], b"alt", b"sse"):
            raise BadRequest(_NOT_SSE, param="alt")
        model = model.rpartition("/")[2]
        if len(model) > MAX_MODEL_CHARS:
            raise BadRequest(
                f"* model: at most {MAX_MODEL_CHARS} characters, got {len(model)}", param="model"
            )
        return model


GEMINI: Final = GeminiDialect()
