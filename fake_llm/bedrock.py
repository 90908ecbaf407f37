"""Amazon Bedrock Runtime, a dialect of the one engine: its routes, what a request must carry, its errors.

boto3's `bedrock-runtime` client with `endpoint_url=` calls `POST /model/{modelId}/{operation}` (the model id
percent-encoded, `:` as `%3A`; the path arrives decoded), signed with any credentials; errors are
`{"message"}` with the exception's name in `x-amzn-ErrorType`, which botocore raises as that exception.
"""

from __future__ import annotations

import json
from typing import Final, Literal

from fake_llm.asgi import Headers, Scope
from fake_llm.capacity import RateDecision
from fake_llm.parsing import MAX_MODEL_CHARS, BadRequest

__all__ = ["BEDROCK", "BEDROCK_PREFIX", "BedrockDialect", "BedrockRoute", "bedrock_route", "read_as_json"]

BedrockRoute = Literal[
    "bedrock.converse", "bedrock.converse_stream", "bedrock.invoke", "bedrock.invoke_stream"
]
BEDROCK_PREFIX: Final = "/model/"
_OPERATIONS: Final[dict[str, BedrockRoute]] = {
    "converse": "bedrock.converse",
    "converse-stream": "bedrock.converse_stream",
    "invoke": "bedrock.invoke",
    "invoke-with-response-stream": "bedrock.invoke_stream",
}
# The modelled exception botocore raises for each status (bedrock-runtime's service model).
_EXCEPTIONS: Final[dict[int, str]] = {
    400: "ValidationException",
    401: "AccessDeniedException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    408: "ModelTimeoutException",
    424: "ModelErrorException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
    529: "ModelNotReadyException",
}
_FAULTS: Final[dict[str, str]] = {
    "429": "Too many requests, please wait before trying again. (injected by fake_llm)",
    "500": "The server encountered an internal error while processing the request. (injected by fake_llm)",
    "503": "Bedrock is unable to process your request. (injected by fake_llm)",
    "529": "Model is not ready to serve inference requests. (injected by fake_llm)",
}
_NO_SIGNATURE = (
    "Missing Authentication Token (fake_llm accepts any AWS credentials: boto3 signs with whatever access "
    "key it is given)"
)


def bedrock_route(path: str) -> BedrockRoute | None:
    """The Bedrock Runtime route `path` names (`/model/{modelId}/converse`, ...), or None."""
    if not path.startswith(BEDROCK_PREFIX):
        return None
    model, _, operation = path[len(BEDROCK_PREFIX) :].rpartition("/")
    return _OPERATIONS.get(operation) if model else None


def read_as_json(scope: Scope) -> None:
    """A signed request without `Content-Type` is JSON, as Bedrock reads it (boto3's `invoke_model` sends
    none unless given `contentType`); an unsigned one keeps the JSON-only rule (a browser cannot sign)."""
    headers: Headers = scope["headers"]
    names = {name for name, _ in headers}
    if b"content-type" not in names and b"authorization" in names:
        scope["headers"] = [*headers, (b"content-type", b"application/json")]


class BedrockDialect:
    """Bedrock Runtime: `{"message"}` and `x-amzn-ErrorType`, `x-amzn-RequestId`, a signature required."""

    request_id_header = b"x-amzn-requestid"

    def error_body(
        self, status: int, message: str, *, param: str | None = None, code: str | None = None
    ) -> bytes:
        return json.dumps({"message": message}).encode()

    def error_headers(self, status: int) -> Headers:
        name = _EXCEPTIONS.get(status, "ValidationException" if status < 500 else "InternalServerException")
        return [(b"x-amzn-errortype", name.encode())]

    def fault_body(self, status: str, retry_after_s: float) -> bytes:
        return self.error_body(int(status), _FAULTS[status])

    def rate_headers(self, decision: RateDecision) -> Headers:
        return []  # Bedrock reports no budgets in headers

    def throttled_headers(self, retry_after_s: float) -> Headers:
        return []

    def check_request(self, scope: Scope) -> str | None:
        """The model id the path names.

        Raises:
            BadRequest: 403 for a request with no `Authorization` header (unsigned), 400 for a model id over
                `MAX_MODEL_CHARS`.
        """
        if not any(name == b"authorization" and value.strip() for name, value in scope["headers"]):
            raise BadRequest(_NO_SIGNATURE, status=403)
        path: str = scope["path"]
        model = path[len(BEDROCK_PREFIX) :].rpartition("/")[0]
        if len(model) > MAX_MODEL_CHARS:
            raise BadRequest(
                f"1 validation error detected: Value at 'modelId' failed to satisfy constraint: Member must "
                f"have length less than or equal to {MAX_MODEL_CHARS}",
                param="modelId",
            )
        return model


BEDROCK: Final = BedrockDialect()
