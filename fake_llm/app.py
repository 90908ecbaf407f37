"""The ASGI app: the API routes as raw ASGI on the hot path, everything else through FastAPI.

The origin rule covers every route: the API checks it with its header rules, the control routes here."""

from __future__ import annotations

import json

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.exceptions import HTTPException

from fake_llm.asgi import Receive, Scope, Send, send_response
from fake_llm.azure import AZURE, NOT_FOUND
from fake_llm.bedrock import BEDROCK, read_as_json
from fake_llm.config import FakeLLMConfig
from fake_llm.dialects import OPENAI
from fake_llm.engine import Engine
from fake_llm.gemini import GEMINI, gemini_caller, gemini_model
from fake_llm.metrics import CONTENT_TYPE, render_metrics
from fake_llm.origins import OriginPolicy
from fake_llm.routes import API_PATHS, DIALECTS, FAMILY_PREFIXES, family_route

__all__ = ["DEFAULT_MODELS", "FakeLLMApp", "create_app"]

DEFAULT_MODELS: tuple[str, ...] = ("fake-chat", "fake-embedding")


class FakeLLMApp:
    """ASGI callable: API paths go straight to the Engine, the rest to a FastAPI app."""

    def __init__(self, config: FakeLLMConfig) -> None:
        self.config = config
        self.engine = Engine(config)
        self.control = _control_app(self.engine)
        self._origins = OriginPolicy(config.limits.origins())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            route = API_PATHS.get(scope["path"])
            if route is None and scope["path"].startswith(FAMILY_PREFIXES):
                route, missing = family_route(scope["path"])
                if missing is not None:  # the family's answer to any other URL under its prefix
                    message = NOT_FOUND if missing is AZURE else f"Unknown request URL: {scope['path']}"
                    body = missing.error_body(404, message)
                    await send_response(send, 404, body, missing.error_headers(404), b"application/json")
                    return
                if route is not None and DIALECTS[route] is BEDROCK:
                    read_as_json(scope)
            if route is not None:
                if scope["method"] == "POST":
                    await self.engine.handle(route, scope, receive, send)
                else:
                    dialect = DIALECTS[route]
                    body = dialect.error_body(405, f"{scope['path']} only accepts POST")
                    headers = [(b"allow", b"POST"), *dialect.error_headers(405)]
                    await send_response(send, 405, body, headers, b"application/json")
                return
            if not self._origin_allowed(scope):
                body = OPENAI.error_body(
                    403,
                    "Requests from this browser origin are refused: fake_llm answers loopback origins only "
                    "(start it with --allowed-origins to allow others).",
                    code="origin_not_allowed",
                )
                await send_response(send, 403, body, [], b"application/json")
                return
        await self.control(scope, receive, send)

    def close(self) -> None:
        """Release the engine's helper process (see `Engine.close`)."""
        self.engine.close()

    def _origin_allowed(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"origin" and not self._origins.allows(value):
                return False
        return True


def create_app(config: FakeLLMConfig | None = None) -> FakeLLMApp:
    """A fresh app (own counters, limits and schedules) for `config` (defaults when None)."""
    return FakeLLMApp(config or FakeLLMConfig())


def _gemini(request: Request) -> bool:
    return gemini_caller(request.scope["headers"], request.scope["query_string"])


def _model_doc(model_id: str, request: Request) -> dict[str, object]:
    # The Anthropic SDK sends `anthropic-version` on every call, google-genai its key: each gets its shape.
    if _gemini(request):
        return gemini_model(model_id)
    if "anthropic-version" in request.headers:
        created = "2023-11-14T22:13:20Z"
        return {"type": "model", "id": model_id, "display_name": model_id, "created_at": created}
    return {"id": model_id, "object": "model", "created": 1700000000, "owned_by": "awaitbench"}


def _model_not_found(model_id: str, request: Request) -> JSONResponse:
    if _gemini(request):
        body = GEMINI.error_body(404, f"models/{model_id} is not found.")
        return JSONResponse(json.loads(body), status_code=404)
    message = f"The model `{model_id}` does not exist or you do not have access to it."
    error = {"message": message, "type": "invalid_request_error", "param": None, "code": "model_not_found"}
    return JSONResponse({"error": error}, status_code=404)


def _control_app(engine: Engine) -> FastAPI:
    app = FastAPI(title="awaitbench fake_llm", docs_url=None, redoc_url=None, openapi_url=None)
    models = engine.config.model_ids() or DEFAULT_MODELS
    strict = bool(engine.config.model_ids())

    @app.exception_handler(HTTPException)
    async def _openai_error(request: Request, exc: HTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 404:
            message = f"Unknown request URL: {request.method} {request.url.path}."
        return JSONResponse(
            {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}},
            status_code=exc.status_code,
        )

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/models")
    @app.get("/v1beta/models")
    async def list_models(request: Request) -> dict[str, object]:
        data = [_model_doc(m, request) for m in models]
        if _gemini(request):
            return {"models": data}
        if "anthropic-version" in request.headers:
            return {"data": data, "has_more": False, "first_id": models[0], "last_id": models[-1]}
        return {"object": "list", "data": data}

    @app.get("/v1/models/{model_id}")
    @app.get("/v1beta/models/{model_id}")
    async def get_model(model_id: str, request: Request) -> JSONResponse:
        if strict and model_id not in models:
            return _model_not_found(model_id, request)
        return JSONResponse(_model_doc(model_id, request))

    @app.get("/stats")
    async def stats() -> dict[str, object]:
        return engine.stats.snapshot().to_json()

    @app.post("/stats/reset")
    async def reset() -> dict[str, object]:
        engine.stats.reset()
        return engine.stats.snapshot().to_json()

    @app.get("/metrics")
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse(render_metrics(engine.stats), media_type=CONTENT_TYPE)

    return app
