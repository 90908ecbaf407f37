"""How each API family spells what the engine decided: error bodies, rate-limit headers, the request id.

One engine for OpenAI, Anthropic, Azure, Gemini and Bedrock; docs/fake_llm.md shows each family's shapes."""

from __future__ import annotations

import json
import math
import time
from typing import Final, Protocol

from fake_llm.asgi import Headers, Scope, error_body
from fake_llm.capacity import RateDecision
from fake_llm.parsing import BadRequest

__all__ = ["ANTHROPIC", "OPENAI", "AnthropicDialect", "Dialect", "OpenAIDialect"]


class Dialect(Protocol):
    """What the engine needs from a wire format besides its reply bodies."""

    request_id_header: bytes

    def error_body(
        self, status: int, message: str, *, param: str | None = None, code: str | None = None
    ) -> bytes:
        """The error document for `status` with `message` (which names the field at fault)."""
        ...

    def error_headers(self, status: int) -> Headers:
        """Headers an error reply with `status` carries besides the body (Bedrock's exception name)."""
        ...

    def fault_body(self, status: str, retry_after_s: float) -> bytes:
        """The error document of an injected fault ("429", "500", "503", "529") or a refused 429, whose
        client may come back after `retry_after_s`."""
        ...

    def rate_headers(self, decision: RateDecision) -> Headers:
        """The rate-limit headers reporting `decision`'s budgets."""
        ...

    def throttled_headers(self, retry_after_s: float) -> Headers:
        """Extra headers on a 429 the rate limiter did not decide (injected, or the queue is full)."""
        ...

    def check_request(self, scope: Scope) -> str | None:
        """Raise BadRequest if the request lacks what the API requires (a header, a query parameter);
        returns the model the URL names (an Azure deployment), or None when the body names it."""
        ...


def _duration(seconds: float) -> bytes:
    # OpenAI's format for x-ratelimit-reset-*: "1s", "6m0s", "20ms".
    if seconds < 1:
        return f"{max(1, math.ceil(seconds * 1000))}ms".encode()
    minutes, secs = divmod(math.ceil(seconds), 60)
    return (f"{minutes}m{secs}s" if minutes else f"{secs}s").encode()


_OPENAI_FAULTS: Final[dict[str, tuple[str, str, str]]] = {
    "429": ("Rate limit reached (injected by fake_llm).", "requests", "rate_limit_exceeded"),
    "500": (
        "The server had an error while processing your request (injected by fake_llm).",
        "server_error",
        "internal_error",
    ),
    "503": (
        "The server is overloaded or not ready yet (injected by fake_llm).",
        "server_error",
        "service_unavailable",
    ),
    "529": ("The server is overloaded (injected by fake_llm).", "server_error", "overloaded"),
}


class OpenAIDialect:
    """`/v1/chat/completions`, `/v1/responses`, `/v1/embeddings`, `/v1/completions`."""

    request_id_header = b"x-request-id"

    def error_body(
        self, status: int, message: str, *, param: str | None = None, code: str | None = None
    ) -> bytes:
        type_ = "invalid_request_error" if status < 500 else "server_error"
        return error_body(message, type_=type_, param=param, code=code)

    def error_headers(self, status: int) -> Headers:
        return []

    def fault_body(self, status: str, retry_after_s: float) -> bytes:
        message, type_, code = _OPENAI_FAULTS[status]
        return error_body(message, type_=type_, code=code)

    def rate_headers(self, decision: RateDecision) -> Headers:
        headers: Headers = []
        for bucket in decision.buckets:
            kind = bucket.kind.encode()
            headers += [
                (b"x-ratelimit-limit-" + kind, b"%d" % bucket.limit),
                (b"x-ratelimit-remaining-" + kind, b"%d" % bucket.remaining),
                (b"x-ratelimit-reset-" + kind, _duration(bucket.reset_s)),
            ]
        return headers

    def throttled_headers(self, retry_after_s: float) -> Headers:
        return []

    def check_request(self, scope: Scope) -> str | None:
        return None


# Anthropic's error types by status (docs: "HTTP errors"); 503 is not in the list, so it is an api_error.
_ANTHROPIC_TYPES: Final[dict[int, str]] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
_ANTHROPIC_FAULTS: Final[dict[str, str]] = {
    "429": "Number of requests has exceeded your rate limit (injected by fake_llm).",
    "500": "Internal server error (injected by fake_llm).",
    "503": "Service unavailable (injected by fake_llm).",
    "529": "Overloaded (injected by fake_llm).",
}


def _rfc3339(seconds_from_now: float) -> bytes:
    """The instant `seconds_from_now` ahead, as Anthropic's reset headers write it (UTC, whole seconds)."""
    return time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + math.ceil(seconds_from_now))
    ).encode()


class AnthropicDialect:
    """`/v1/messages`: Anthropic's error shape, `anthropic-ratelimit-*` headers, `request-id`."""

    request_id_header = b"request-id"

    def error_body(
        self, status: int, message: str, *, param: str | None = None, code: str | None = None
    ) -> bytes:
        type_ = _ANTHROPIC_TYPES.get(status, "invalid_request_error" if status < 500 else "api_error")
        return json.dumps({"type": "error", "error": {"type": type_, "message": message}}).encode()

    def error_headers(self, status: int) -> Headers:
        return []

    def fault_body(self, status: str, retry_after_s: float) -> bytes:
        return self.error_body(int(status), _ANTHROPIC_FAULTS[status])

    def rate_headers(self, decision: RateDecision) -> Headers:
        headers: Headers = []
        for bucket in decision.buckets:
            prefix = b"anthropic-ratelimit-" + bucket.kind.encode()
            headers += [
                (prefix + b"-limit", b"%d" % bucket.limit),
                (prefix + b"-remaining", b"%d" % bucket.remaining),
                (prefix + b"-reset", _rfc3339(bucket.reset_s)),
            ]
        return headers

    def throttled_headers(self, retry_after_s: float) -> Headers:
        # No configured budget to report (the limiter is off): say what a client needs, none left until when.
        return [
            (b"anthropic-ratelimit-requests-remaining", b"0"),
            (b"anthropic-ratelimit-requests-reset", _rfc3339(retry_after_s)),
        ]

    def check_request(self, scope: Scope) -> str | None:
        for name, _ in scope["headers"]:
            if name == b"anthropic-version":
                return None
        raise BadRequest("anthropic-version: header is required", param="anthropic-version")


OPENAI: Final = OpenAIDialect()
ANTHROPIC: Final = AnthropicDialect()
