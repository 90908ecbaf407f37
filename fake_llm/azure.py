"""Azure OpenAI's routes, a dialect of the one engine: the paths, what a request must carry, the error shape.

OpenAI's bodies, engine and limits under Azure's URLs, credentials, `api-version`, errors and rate-limit
headers."""

from __future__ import annotations

import json
from typing import Final, Literal

from fake_llm.asgi import Headers, Scope
from fake_llm.capacity import RateDecision
from fake_llm.parsing import BadRequest

__all__ = ["AZURE", "DEFAULT_API_VERSION", "NOT_FOUND", "AzureDialect", "AzureRoute", "azure_route"]

AzureRoute = Literal["azure.chat.completions", "azure.responses", "azure.embeddings", "azure.completions"]

# A GA version of the data-plane inference API (any non-empty value is accepted).
DEFAULT_API_VERSION: Final = "2024-10-21"

_DEPLOYMENTS = "/openai/deployments/"
_V1 = "/openai/v1/"
_DEPLOYMENT_ROUTES: Final[dict[str, AzureRoute]] = {
    "chat/completions": "azure.chat.completions",
    "embeddings": "azure.embeddings",
    "completions": "azure.completions",
}
_OTHER_ROUTES: Final[dict[str, AzureRoute]] = {
    "/openai/responses": "azure.responses",
    "/openai/v1/chat/completions": "azure.chat.completions",
    "/openai/v1/completions": "azure.completions",
    "/openai/v1/embeddings": "azure.embeddings",
    "/openai/v1/responses": "azure.responses",
}
NOT_FOUND: Final = "Resource not found"
_NO_VERSION = (
    "Resource not found (fake_llm, as Azure: this route needs the api-version query parameter, "
    f"e.g. ?api-version={DEFAULT_API_VERSION}; AzureOpenAI sends its api_version= or OPENAI_API_VERSION)"
)
_NO_KEY = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an active subscription and use a correct regional API endpoint for your resource. (fake_llm "
    "accepts any key: send an api-key header or Authorization: Bearer <token>.)"
)


def azure_route(path: str) -> AzureRoute | None:
    """The Azure API route `path` names, or None (`/openai/deployments/{deployment}/...` needs a name)."""
    route = _OTHER_ROUTES.get(path)
    if route is not None or not path.startswith(_DEPLOYMENTS):
        return route
    deployment, _, tail = path[len(_DEPLOYMENTS) :].partition("/")
    return _DEPLOYMENT_ROUTES.get(tail) if deployment else None


def _has_api_version(query_string: bytes) -> bool:
    for pair in query_string.split(b"&"):
        name, _, value = pair.partition(b"=")
        if name == b"api-version" and value:
            return True
    return False


def _authenticated(headers: Headers) -> bool:
    for name, value in headers:
        if name == b"api-key" and value.strip():
            return True
        if name == b"authorization" and value[:7].lower() == b"bearer " and value[7:].strip():
            return True
    return False


# Codes Azure writes for a status when there is no more specific one (it uses the bare number for most).
_CODES: Final[dict[int, str]] = {400: "BadRequest", 500: "InternalServerError", 503: "ServiceUnavailable"}
_FAULTS: Final[dict[str, tuple[str, str]]] = {
    "429": (
        "429",
        "Requests to this Azure OpenAI deployment have exceeded the rate limit of your current pricing tier. "
        "Please retry after the time in the retry-after header (injected by fake_llm).",
    ),
    "500": (
        "InternalServerError",
        "The server had an error while processing your request (injected by fake_llm).",
    ),
    "503": (
        "ServiceUnavailable",
        "The service is temporarily unable to process your request (injected by fake_llm).",
    ),
    "529": ("529", "The server is overloaded (injected by fake_llm)."),
}


class AzureDialect:
    """Azure OpenAI: `{"error": {"code", "message"}}`, `x-ratelimit-*`, credentials and api-version."""

    request_id_header = b"x-request-id"

    def error_body(
        self, status: int, message: str, *, param: str | None = None, code: str | None = None
    ) -> bytes:
        if code == "model_not_found":
            code = "DeploymentNotFound"  # the deployment (Azure's model) is not among --models
        code = code or _CODES.get(status, str(status))
        return json.dumps({"error": {"code": code, "message": message}}).encode()

    def error_headers(self, status: int) -> Headers:
        return []

    def fault_body(self, status: str, retry_after_s: float) -> bytes:
        code, message = _FAULTS[status]
        return json.dumps({"error": {"code": code, "message": message}}).encode()

    def rate_headers(self, decision: RateDecision) -> Headers:
        headers: Headers = []
        for bucket in decision.buckets:
            kind = bucket.kind.encode()
            headers += [
                (b"x-ratelimit-limit-" + kind, b"%d" % bucket.limit),
                (b"x-ratelimit-remaining-" + kind, b"%d" % bucket.remaining),
            ]
        return headers

    def throttled_headers(self, retry_after_s: float) -> Headers:
        return [(b"x-ratelimit-remaining-requests", b"0")]

    def check_request(self, scope: Scope) -> str | None:
        """The deployment the path names (None on the routes that take the model from the body).

        Raises:
            BadRequest: 404 without `api-version` on a dated route, 401 without a credential.
        """
        path: str = scope["path"]
        if not path.startswith(_V1) and not _has_api_version(scope["query_string"]):
            raise BadRequest(_NO_VERSION, status=404, code="404", param="api-version")
        if not _authenticated(scope["headers"]):
            raise BadRequest(_NO_KEY, status=401, code="401")
        if path.startswith(_DEPLOYMENTS):
            return path[len(_DEPLOYMENTS) :].partition("/")[0]
        return None


AZURE: Final = AzureDialect()
