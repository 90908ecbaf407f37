"""The life of one API request: admit, queue, plan its latency, then answer on schedule.

Every wait sleeps to an absolute deadline from the request's arrival; `handle` records the outcome,
`_serve` admits, `_plan` decides, `_send_whole` or `_send_stream` answers. A client that goes away is a
499 at once."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import math
import random
from collections.abc import Coroutine, Iterable, Iterator
from typing import NamedTuple

from fake_llm.anthropic_request import MessagesRequest
from fake_llm.anthropic_wire import MessagesRenderer
from fake_llm.asgi import BodyTooLarge, Headers, Receive, Scope, Send, read_body, send_response
from fake_llm.bedrock_request import ConverseRequest, InvokeRequest
from fake_llm.bedrock_wire import ConverseRenderer, InvokeStreamRenderer
from fake_llm.bodies import first_chunk, send_rest
from fake_llm.capacity import ConcurrencyGate, QueueFull, RateLimiter
from fake_llm.config import FakeLLMConfig, FaultKind
from fake_llm.connections import Connection, ConnectionTracker
from fake_llm.dialects import Dialect
from fake_llm.distributions import sample
from fake_llm.faults import FaultPicker
from fake_llm.gemini_request import GeminiEmbedRequest, GenerateRequest
from fake_llm.gemini_wire import GeminiRenderer
from fake_llm.http_cycle import TRUSTED_HEADERS
from fake_llm.openai_wire import (
    ChatRenderer,
    CompletionRenderer,
    ResponsesRenderer,
    TokenChunks,
    chat_completion,
    embeddings_pieces,
)
from fake_llm.origins import OriginPolicy
from fake_llm.parse_cache import ParseCache
from fake_llm.parse_worker import ParseUnavailable, ParseWorker
from fake_llm.parsing import BadRequest, ChatRequest, CompletionRequest, EmbeddingsRequest, ResponsesRequest
from fake_llm.request_headers import HeaderOverrides, HeaderRules
from fake_llm.routes import DIALECTS, ApiRequest, Route
from fake_llm.stats import ServerStats
from fake_llm.textgen import CACHED_PROMPT_BYTES, WHOLE_REPLY_TOKENS, LazyTokens, completion_tokens

__all__ = [
    "DIALECTS",
    "MAX_PENDING_CHUNKS",
    "Admitted",
    "Engine",
    "Exchange",
    "Plan",
    "Route",
    "StreamReply",
    "WholeReply",
    "stream_headers",
    "whole_headers",
]

_log = logging.getLogger("fake_llm")
_JSON = b"application/json"
_TRICKLE_PIECES = 8
_ERROR_FAULTS = frozenset({"429", "500", "503", "529"})
_RETRIED_FAULTS = frozenset({"429", "503", "529"})  # the ones that carry Retry-After
_ZERO_MS = b"0.000"
# Embedding values a hot reply may carry (a 1536-dimension vector as JSON floats fits one 64 KiB chunk).
_NOW_MAX_EMBEDDED = 2048
MAX_PENDING_CHUNKS = 256
"""Streamed chunks held before a write, beyond which a stream flushes (and yields, when generated lazily)."""


class Plan(NamedTuple):
    """What was decided for one admitted request before answering it; immutable once built.

    A NamedTuple rather than a frozen dataclass: one is built per request on the hot path, and a frozen
    dataclass's `__init__` (one `object.__setattr__` per field) costs several times as much.

    Args:
        request: the parsed request (its route follows from the type).
        fault: the fault to inject while answering ("disconnect", "trickle"), else None.
        n_tokens: completion tokens to send (0 for embeddings).
        arrival: loop time the request arrived.
        start: loop time service began (after the queue; `arrival` when it did not queue).
        first: deadline of the first token (of the whole answer for embeddings).
        end: deadline of the last token.
        itl_s: the inter-token latency the stream is scheduled with.
    """

    request: ApiRequest
    fault: FaultKind | None
    n_tokens: int
    arrival: float
    start: float
    first: float
    end: float
    itl_s: float


def _fixed(*, dist: str, mean: float, spread: float) -> float | None:
    """The value `sample` would always return for these settings, or None if it really draws."""
    return mean if dist == "constant" or spread <= 0 or mean <= 0 else None


def _ms(seconds: float) -> bytes:
    # bytes %-formatting: the same digits as an f-string, without the str -> bytes copy (2.5x faster).
    return b"%.3f" % (seconds * 1000)


def _wake(woken: asyncio.Future[None]) -> None:
    # A lost connection cancels its request task, and with it this future, possibly in the same loop
    # iteration as the timer fires (the timer is then already queued, too late for `timer.cancel()`):
    # a done future is left alone, where `set_result` would raise InvalidStateError into the loop's log.
    if not woken.done():
        woken.set_result(None)


def _wake_at(loop: asyncio.AbstractEventLoop, deadline: float) -> tuple[asyncio.Future[None], asyncio.Handle]:
    """A future the loop completes at `deadline`, and its timer (cancel it in a `finally`).

    Used instead of `asyncio.sleep` on the hot path: no coroutine per wait, and a two-line callback at the
    wake-up (`_wake`, ~50 ns); a stream waits once per token, so this counts. Cancelling the timer when the
    wait ends any other way (a cancelled task) keeps it from running at all.
    """
    woken: asyncio.Future[None] = loop.create_future()
    return woken, loop.call_at(deadline, _wake, woken)


async def _sleep_until(loop: asyncio.AbstractEventLoop, deadline: float) -> None:
    """`asyncio.sleep` to an absolute deadline, on `_wake_at` (the inline form is used in the token loop)."""
    woken, timer = _wake_at(loop, deadline)
    try:
        await woken
    finally:
        timer.cancel()


def _retry_after(wait_s: float) -> Headers:
    return [
        (b"retry-after", str(max(1, math.ceil(wait_s))).encode()),
        (b"retry-after-ms", str(max(1, math.ceil(wait_s * 1000))).encode()),
    ]


def stream_headers(plan: Plan, now: float, headers: Headers, content_type: bytes) -> Headers:
    """The response headers of a stream whose first token goes out `now`, with its timing headers."""
    _, _, _, arrival, start, first, end, _ = plan
    headers += [
        (b"x-fake-intended-ms", _ms(first - start)),
        (b"x-fake-intended-total-ms", _ms(end - start)),
        (b"x-fake-actual-ms", _ms(now - arrival)),
        (b"cache-control", b"no-cache"),
    ]
    return [(b"content-type", content_type), *headers]


def whole_headers(plan: Plan, now: float, headers: Headers, length: int | None) -> Headers:
    """The response headers of a whole reply sent `now` (`length` None: framed chunked), with its timing."""
    _, _, _, arrival, start, _, end, _ = plan
    headers += [(b"x-fake-intended-ms", _ms(end - start)), (b"x-fake-actual-ms", _ms(now - arrival))]
    if length is None:
        return [(b"content-type", _JSON), *headers]
    return [(b"content-type", _JSON), (b"content-length", b"%d" % length), *headers]


def _stream_start(plan: Plan, now: float, headers: Headers, content_type: bytes) -> dict[str, object]:
    """The `http.response.start` of a stream whose first token is due `now`, with its timing headers."""
    started = stream_headers(plan, now, headers, content_type)
    return {"type": "http.response.start", "status": 200, "headers": started, TRUSTED_HEADERS: True}


async def _end_stream(send: Send, pending: list[bytes], tail: Iterable[bytes]) -> None:
    """Send what is pending and the stream's closing piece(s)."""
    if isinstance(tail, tuple):  # a chat or Anthropic tail: one small piece, no text
        pending.extend(tail)
        await send({"type": "http.response.body", "body": b"".join(pending), "more_body": False})
    else:  # Responses: closing events that carry the whole text, generated while sent
        await send_rest(send, b"".join(pending), iter(tail))


class WholeReply(NamedTuple):
    """A reply sent whole at `deadline`: bytes, or pieces generated while sent (`fake_llm.bodies`)."""

    deadline: float
    payload: bytes | Iterator[bytes]


class Admitted(NamedTuple):
    """A request the hot path may serve (`Engine.admit_now`): admitted, parsed, its reply whole;
    `embedded` is an embeddings reply already rendered (None for completions)."""

    route: Route
    request: ApiRequest
    overrides: HeaderOverrides
    n_tokens: int
    embedded: bytes | None


Renderer = (
    ChatRenderer
    | CompletionRenderer
    | ResponsesRenderer
    | MessagesRenderer
    | GeminiRenderer
    | ConverseRenderer
    | InvokeStreamRenderer
)


class StreamReply(NamedTuple):
    """A reply streamed token by token: its renderer, its tokens and why it ends."""

    renderer: Renderer
    chunks: TokenChunks
    finish_reason: str


def _renderer(
    request: ChatRequest
    | CompletionRequest
    | ResponsesRequest
    | MessagesRequest
    | GenerateRequest
    | ConverseRequest
    | InvokeRequest,
    request_id: str,
) -> Renderer:
    """The renderer of `request`'s route (its reply's wire format)."""
    if isinstance(request, ChatRequest):
        return ChatRenderer(
            request_id=request_id,
            model=request.model,
            prompt_tokens=request.input_tokens,
            include_usage=request.include_usage,
        )
    if isinstance(request, MessagesRequest):
        return MessagesRenderer(
            request_id=request_id, model=request.model, prompt_tokens=request.input_tokens
        )
    if isinstance(request, ResponsesRequest):
        return ResponsesRenderer(
            request_id=request_id, model=request.model, prompt_tokens=request.input_tokens
        )
    return request.renderer(request_id)  # the other requests name their reply's format


class Exchange:
    """Mutable bookkeeping of one request, read by whatever records it (`Engine.handle`'s `finally`)."""

    __slots__ = ("status", "tokens_in", "tokens_out")

    def __init__(self) -> None:
        self.status = "000"
        self.tokens_in = 0
        self.tokens_out = 0


class Engine:
    """Serves the API routes for one server process; owns the stats, limits and fault schedule."""

    def __init__(self, config: FakeLLMConfig) -> None:
        self.config = config
        self.stats = ServerStats()
        self.tracker = ConnectionTracker(self.stats)
        self._gate = ConcurrencyGate(config.capacity, self.stats)
        self._limiter = RateLimiter(config.capacity)
        self._rate_limited = self._limiter.enabled
        self._faults = FaultPicker(config.faults, seed=config.server.seed)
        self._rng = random.Random(config.server.seed)
        self._models = frozenset(config.model_ids())
        self._ids = itertools.count(1)
        self._rtt_s = config.network.rtt_ms / 1000
        self._handshake_s = config.network.handshake_ms / 1000
        lat = config.latency
        # Constant latencies (the usual case) need no draw per request.
        self._ttft_fixed_ms = _fixed(dist=lat.ttft_dist, mean=lat.ttft_ms, spread=lat.ttft_spread_ms)
        self._itl_fixed_ms = _fixed(dist=lat.itl_dist, mean=lat.itl_ms, spread=lat.itl_spread_ms)
        self._prefill_ms_per_token = lat.prefill_ms_per_input_token
        limits = config.limits
        self._max_output_tokens = limits.max_output_tokens
        self._max_body_bytes = limits.max_body_bytes
        self._headers = HeaderRules(
            origins=OriginPolicy(limits.origins()), max_output_tokens=limits.max_output_tokens
        )
        self._parse_worker = ParseWorker()
        self._parsed = ParseCache(limits, self._parse_worker)
        retry_ms = config.faults.retry_after_ms
        self._retry_after_headers = [
            (b"retry-after", str(math.ceil(retry_ms / 1000)).encode()),
            (b"retry-after-ms", str(retry_ms).encode()),
        ]
        # The load model: factor = 1 + slope * (requests in service - 1), at most load_factor (see _plan).
        cap = config.capacity
        self._load_max = cap.load_factor
        self._load_slope = (cap.load_factor - 1) / max(1, cap.load_capacity_requests() - 1)
        self._in_service = 0
        output_fixed = _fixed(
            dist=lat.output_tokens_dist, mean=lat.output_tokens, spread=lat.output_tokens_spread
        )
        # What the hot path needs: no draw before a request is admitted, no wait but the reply's own timers.
        self.serves_now = not (
            self._faults.enabled or self._rate_limited or self._gate.limited or output_fixed is None
        )

    async def handle(self, route: Route, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one API request; never raises for a client's mistake, records the outcome either way."""
        loop = asyncio.get_running_loop()
        arrival = loop.time()
        self.stats.request_started()
        exchange = Exchange()
        conn = self.tracker.api_request(scope.get("client"))
        network_s = self._rtt_s
        if conn is not None:
            conn.task = asyncio.current_task()  # cancelled if the connection is lost
            if conn.api_requests == 1:
                network_s += self._handshake_s
        try:
            await self._serve(route, scope, receive, send, loop, arrival, network_s, conn, exchange)
        except asyncio.CancelledError:
            if conn is None or not conn.lost:
                raise  # shutdown, not the client
            self._client_gone(exchange)
        except Exception:
            _log.exception("fake_llm failed on %s", route)
            if exchange.status == "000":
                exchange.status = "500"
                dialect = DIALECTS[route]
                body = dialect.error_body(500, "fake_llm internal error")
                await send_response(send, 500, body, dialect.error_headers(500), _JSON)
        finally:
            if conn is not None:
                conn.task = None
            self.stats.request_finished(route, exchange.status, exchange.tokens_out, exchange.tokens_in)

    def _client_gone(self, exchange: Exchange) -> None:
        """The request's connection was lost mid-request: 499, and a disconnect if the answer had begun."""
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()  # the cancellation was ours, a way to stop at once; it is handled here
        self._gone(exchange)

    def _gone(self, exchange: Exchange) -> None:
        if exchange.status == "200":
            self.stats.disconnect()  # a cut stream or body: the client saw part of an answer
        else:
            exchange.tokens_out = 0
        exchange.status = "499"

    async def _serve(
        self,
        route: Route,
        scope: Scope,
        receive: Receive,
        send: Send,
        loop: asyncio.AbstractEventLoop,
        arrival: float,
        network_s: float,
        conn: Connection | None,
        exchange: Exchange,
    ) -> None:
        """Admit the request (or answer it with an error, or hang), queue it, then answer on schedule."""
        dialect = DIALECTS[route]
        try:
            overrides = self._headers.check(scope["headers"])
            named_model = dialect.check_request(scope)  # anthropic-version; Azure's api-version and key
            body = await read_body(receive, self._max_body_bytes)
            if body is None:
                exchange.status = "499"
                return
            scheduled_fault = self._faults.pick() if self._faults.enabled else None
            request = self._parsed.get(route, body) or await self._parsed.parse(route, body)
            if named_model is not None or self._models:
                request = self._served_model(request, named_model)
        except (BadRequest, BodyTooLarge, ParseUnavailable) as exc:
            await self._refuse(send, exc, exchange, dialect)
            return
        exchange.tokens_in = request.input_tokens
        fault = overrides.fault if overrides.fault_set else scheduled_fault
        headers: Headers = [(dialect.request_id_header, b"req_fake%d" % next(self._ids))]
        if fault is not None and fault in _ERROR_FAULTS:
            await self._error(send, loop, arrival + network_s, fault, headers, exchange, dialect)
            return
        if fault == "hang":
            await self._hang(receive, exchange)
            return
        n_tokens = self._output_tokens(request, overrides)
        tokens = request.input_tokens + n_tokens
        if self._rate_limited and (wait_s := self._rate_wait(tokens, headers, dialect)) is not None:
            await self._error(send, loop, arrival + network_s, "429", headers, exchange, dialect, wait_s)
            return
        gate = self._gate
        queued = False
        if gate.limited:
            try:
                queued = await gate.acquire()
            except QueueFull:
                await self._error(send, loop, arrival + network_s, "429", headers, exchange, dialect)
                return
        self._in_service += 1
        try:
            start = loop.time() if queued else arrival  # deadlines count from when service begins
            plan = self._plan(request, overrides, fault, n_tokens, arrival, start, network_s)
            await self._answer(plan, send, loop, conn, headers, exchange)
        finally:
            self._in_service -= 1
            if gate.limited:
                gate.release()

    def close(self) -> None:
        """Release what outlives requests (the parse helper process); the server calls it on exit."""
        self._parse_worker.close()

    def _served_model(self, request: ApiRequest, named_model: str | None) -> ApiRequest:
        """`request` as served: an Azure deployment (`named_model`) replaces the body's model, and a model
        outside `--models` is a 404."""
        if named_model is not None and request.model != named_model:
            request = dataclasses.replace(request, model=named_model)
        if self._models and request.model not in self._models:
            raise BadRequest(
                f"The model `{request.model}` does not exist or you do not have access to it.",
                param="model",
                status=404,
                code="model_not_found",
            )
        return request

    async def _hang(self, receive: Receive, exchange: Exchange) -> None:
        """Never answer: wait until the client leaves (a lost connection also cancels the wait)."""
        self.stats.hang()
        exchange.status = "499"
        while (await receive())["type"] != "http.disconnect":
            pass

    def _rate_wait(self, tokens: int, headers: Headers, dialect: Dialect) -> float | None:
        """Charge the rate limits; adds the limit headers (and Retry-After when refused) to `headers`.
        Returns None when allowed, else the wait (s) before the limits allow it."""
        decision = self._limiter.check(tokens)
        headers += dialect.rate_headers(decision)
        if decision.allowed:
            return None
        headers += _retry_after(decision.retry_after_s)
        return decision.retry_after_s

    async def _refuse(
        self,
        send: Send,
        exc: BadRequest | BodyTooLarge | ParseUnavailable,
        exchange: Exchange,
        dialect: Dialect,
    ) -> None:
        """Answer a request refused before it was served, in the route's error shape: the client's mistake
        (4xx), or a parse helper that is gone (503, logged on one line)."""
        if isinstance(exc, BodyTooLarge):
            exc = BadRequest(
                f"The request body is larger than {self._max_body_bytes} bytes (fake_llm --max-body-bytes).",
                status=413,
                code="request_too_large",
            )
        elif isinstance(exc, ParseUnavailable):
            _log.warning("fake_llm: %s", exc)
            exc = BadRequest(
                f"fake_llm could not parse this body: {exc}.", status=503, code="service_unavailable"
            )
        exchange.status = str(exc.status)
        error = dialect.error_body(exc.status, exc.message, param=exc.param, code=exc.code)
        await send_response(send, exc.status, error, dialect.error_headers(exc.status), _JSON)

    def _output_tokens(self, request: ApiRequest, o: HeaderOverrides) -> int:
        if isinstance(request, EmbeddingsRequest):
            return 0
        lat = self.config.latency
        if o.output_tokens is not None:
            return o.output_tokens
        if lat.honour_max_tokens and request.max_tokens is not None:
            return request.max_tokens
        drawn = sample(
            self._rng, dist=lat.output_tokens_dist, mean=lat.output_tokens, spread=lat.output_tokens_spread
        )
        n = min(max(1, round(drawn)), self._max_output_tokens)  # a drawn tail stays within the limit
        return min(n, request.max_tokens) if request.max_tokens is not None else n

    def _plan(
        self,
        request: ApiRequest,
        overrides: HeaderOverrides,
        fault: FaultKind | None,
        n_tokens: int,
        arrival: float,
        start: float,
        network_s: float,
    ) -> Plan:
        """Decide the answer's schedule: TTFT and ITL (overridden, constant or drawn), the deadlines."""
        lat = self.config.latency
        # Latency under load, for configured (not pinned) values: linear in the requests now in service.
        factor = 1.0
        if self._load_slope:
            factor = min(self._load_max, 1.0 + self._load_slope * (self._in_service - 1))
        prefill_ms = self._prefill_ms_per_token * request.input_tokens * factor
        ttft_ms = overrides.ttft_ms
        if ttft_ms is None:
            ttft_ms = self._ttft_fixed_ms
            if ttft_ms is None:
                ttft_ms = sample(self._rng, dist=lat.ttft_dist, mean=lat.ttft_ms, spread=lat.ttft_spread_ms)
            ttft_ms *= factor
        itl_ms = overrides.itl_ms
        if itl_ms is None:
            itl_ms = self._itl_fixed_ms
            if itl_ms is None:
                itl_ms = sample(self._rng, dist=lat.itl_dist, mean=lat.itl_ms, spread=lat.itl_spread_ms)
            itl_ms *= factor
        if fault == "trickle":
            self.stats.trickle()
            if not isinstance(request, EmbeddingsRequest) and request.stream:
                itl_ms = self.config.faults.trickle_ms
        itl_s = itl_ms / 1000
        first = start + network_s + (prefill_ms + ttft_ms) / 1000
        end = first + max(0, n_tokens - 1) * itl_s
        # Built with tuple.__new__, not the generated `Plan(...)`: that Python-level constructor cost
        # ~0.4 us per request (5% of the in-process hot path). The annotation keeps the fields type-checked.
        decided: tuple[ApiRequest, FaultKind | None, int, float, float, float, float, float] = (
            request, fault, n_tokens, arrival, start, first, end, itl_s
        )  # fmt: skip
        return tuple.__new__(Plan, decided)

    def _answer(
        self,
        plan: Plan,
        send: Send,
        loop: asyncio.AbstractEventLoop,
        conn: Connection | None,
        headers: Headers,
        exchange: Exchange,
    ) -> Coroutine[None, None, None]:
        """Render the planned answer; returns the send path (whole or streamed) for the caller to await.

        A plain function returning the coroutine rather than a coroutine awaiting it: one coroutine frame
        fewer on every request.
        """
        reply = self._render(plan, headers, exchange)
        if isinstance(reply, StreamReply):
            renderer, chunks, finish_reason = reply
            return self._send_stream(
                plan, renderer, chunks, finish_reason, send, loop, conn, headers, exchange
            )
        return self._send_whole(plan, reply.deadline, reply.payload, send, loop, conn, headers, exchange)

    def _render(
        self, plan: Plan, headers: Headers, exchange: Exchange, embedded: bytes | None = None
    ) -> WholeReply | StreamReply:
        """The planned answer, rendered (or its renderer, for a stream); adds the queue header. `embedded`:
        an embeddings reply already rendered (the hot path's, `admit_now`)."""
        # Unpacking the tuple once is cheaper than reading its fields by name (this is the hot path).
        request, _, n_tokens, arrival, start, first, end, _ = plan
        queue_ms = _ms(start - arrival) if start != arrival else _ZERO_MS
        headers.append((b"x-fake-queue-ms", queue_ms))
        seed = self.config.server.seed
        if isinstance(request, EmbeddingsRequest):
            return WholeReply(first, self._embeddings(request) if embedded is None else embedded)
        key = request.content_key
        # A usual reply is built whole from cached tokens; a large one (or one for a huge prompt, which
        # would bloat the cache) is generated a chunk at a time while it is sent.
        whole = n_tokens <= WHOLE_REPLY_TOKENS and len(key) <= CACHED_PROMPT_BYTES
        tokens = completion_tokens(seed, key, n_tokens) if whole else ()
        finish_reason = (
            "length" if request.max_tokens is not None and n_tokens >= request.max_tokens else "stop"
        )
        request_id = f"chatcmpl-fake{next(self._ids):010d}"
        if whole and not request.stream and isinstance(request, ChatRequest):  # the most common: no renderer
            exchange.tokens_out = n_tokens
            return WholeReply(
                end, chat_completion(request_id, request.model, request.input_tokens, tokens, finish_reason)
            )
        chunks: TokenChunks = (tokens,) if whole else LazyTokens(seed, key, n_tokens)
        renderer = _renderer(request, request_id)
        if request.stream:
            return StreamReply(renderer, chunks, finish_reason)
        exchange.tokens_out = n_tokens
        payload = (
            renderer.full(tokens, finish_reason)
            if whole
            else renderer.full_pieces(chunks, n_tokens, finish_reason)
        )
        return WholeReply(end, payload)

    def admit_now(self, route: Route, scope: Scope, body: bytes) -> Admitted | None:
        """What the hot path (`fake_llm.hot_path`) may serve with timers alone: a request admitted by the
        ASGI path's own rules, parsed in-process, with a whole reply, on a server with no faults, rate or
        concurrency limits; None otherwise, and the ASGI path (`handle`) answers it, refusals included.
        Changes nothing but the parse cache."""
        if not self.serves_now or len(body) > self._max_body_bytes:
            return None
        try:
            overrides = self._headers.check(scope["headers"])
            named_model = DIALECTS[route].check_request(scope)
            request = self._parsed.get(route, body) or self._parsed.parse_now(route, body)
            if request is None or overrides.fault_set:
                return None
            if named_model is not None or self._models:
                request = self._served_model(request, named_model)
        except BadRequest:
            return None
        n_tokens = self._output_tokens(request, overrides)  # no draw: serves_now needs a fixed length
        if isinstance(request, EmbeddingsRequest):
            if len(request.texts) * request.dimensions > _NOW_MAX_EMBEDDED:
                return None  # rendered while sent, a chunk at a time: the ASGI path's job
            embedded, rest = first_chunk(self._embeddings(request))
            return None if rest is not None else Admitted(route, request, overrides, n_tokens, embedded)
        if n_tokens > WHOLE_REPLY_TOKENS or len(request.content_key) > CACHED_PROMPT_BYTES:
            return None
        return Admitted(route, request, overrides, n_tokens, None)

    def begin_now(
        self, admitted: Admitted, client: object, arrival: float
    ) -> tuple[Plan, Headers, Exchange, WholeReply | StreamReply]:
        """Start serving an admitted request (counted in `/stats` from here; `finish_now` records it): its
        plan, its headers so far, its bookkeeping and its rendered reply, as `handle` would."""
        self.stats.request_started()
        exchange = Exchange()
        conn = self.tracker.api_request(client)
        network_s = self._rtt_s
        if conn is not None and conn.api_requests == 1:
            network_s += self._handshake_s
        route, request, overrides, n_tokens, embedded = admitted
        exchange.tokens_in = request.input_tokens
        headers: Headers = [(DIALECTS[route].request_id_header, b"req_fake%d" % next(self._ids))]
        self._in_service += 1
        plan = self._plan(request, overrides, None, n_tokens, arrival, arrival, network_s)
        return plan, headers, exchange, self._render(plan, headers, exchange, embedded)

    def lost_unread(self, route: Route, client: object) -> None:
        """A hot request whose client left before its body was whole: a 499, as `handle` records it."""
        self.stats.request_started()
        self.tracker.api_request(client)
        self.stats.request_finished(route, "499")

    def finish_now(self, route: Route, exchange: Exchange, *, client_gone: bool = False) -> None:
        """Record a request `begin_now` started (a 499 when its client went away first)."""
        if client_gone:
            self._gone(exchange)
        self._in_service -= 1
        self.stats.request_finished(route, exchange.status, exchange.tokens_out, exchange.tokens_in)

    def _embeddings(self, request: EmbeddingsRequest) -> Iterator[bytes]:
        if isinstance(request, GeminiEmbedRequest):
            return request.pieces(self.config.server.seed)  # Gemini's embeddings and token counts
        return embeddings_pieces(
            seed=self.config.server.seed,
            model=request.model,
            texts=request.texts,
            dimensions=request.dimensions,
            base64=request.base64,
            prompt_tokens=request.input_tokens,
        )

    async def _error(
        self,
        send: Send,
        loop: asyncio.AbstractEventLoop,
        deadline: float,
        status: str,
        headers: Headers,
        exchange: Exchange,
        dialect: Dialect,
        limiter_wait_s: float | None = None,
    ) -> None:
        """An error reply at `deadline`: an injected fault or a full queue (Retry-After: `retry_after_ms`), or
        the rate limiter's 429 (`limiter_wait_s`: its wait, already in the headers)."""
        retry_after_s = limiter_wait_s
        if retry_after_s is None:
            retry_after_s = self.config.faults.retry_after_ms / 1000
            if status in _RETRIED_FAULTS:
                headers = headers + self._retry_after_headers
                if status == "429" and not self._rate_limited:
                    headers += dialect.throttled_headers(retry_after_s)
        delay = deadline - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        exchange.status = status
        body = dialect.fault_body(status, retry_after_s)
        await send_response(send, int(status), body, headers + dialect.error_headers(int(status)), _JSON)

    async def _send_stream(
        self,
        plan: Plan,
        renderer: Renderer,
        chunks: TokenChunks,
        finish_reason: str,
        send: Send,
        loop: asyncio.AbstractEventLoop,
        conn: Connection | None,
        headers: Headers,
        exchange: Exchange,
    ) -> None:
        """SSE: headers with the first token, then each token at its deadline; tokens already due go out
        in one write (a lazily generated stream also writes, and yields, after each chunk of tokens that
        left more than `MAX_PENDING_CHUNKS` waiting). A disconnect fault cuts the connection after half
        the tokens."""
        _, fault, n_tokens, _, _, first, end, itl_s = plan
        if first > loop.time():
            await _sleep_until(loop, first)
        await send(_stream_start(plan, loop.time(), headers, renderer.content_type))
        exchange.status = "200"
        cut_at = n_tokens // 2 if fault == "disconnect" else -1
        pending = [renderer.stream_head()]
        index = 0
        for chunk in chunks:
            for token in chunk:
                if index == cut_at:
                    await send({"type": "http.response.body", "body": b"".join(pending), "more_body": True})
                    self._cut(conn)
                    exchange.tokens_out = index
                    return
                deadline = first + index * itl_s
                if deadline > loop.time():
                    if pending:
                        await send(
                            {"type": "http.response.body", "body": b"".join(pending), "more_body": True}
                        )
                        pending.clear()
                        exchange.tokens_out = index
                    woken, timer = _wake_at(loop, deadline)
                    try:
                        await woken
                    finally:
                        timer.cancel()
                pending.append(renderer.stream_token(index, token))
                index += 1
            if len(pending) > MAX_PENDING_CHUNKS:
                await send({"type": "http.response.body", "body": b"".join(pending), "more_body": True})
                pending.clear()
                exchange.tokens_out = index
                await asyncio.sleep(0)  # let other requests run while this one generates
        self.stats.scheduling_error((loop.time() - end) * 1000)
        await _end_stream(send, pending, renderer.stream_tail(chunks, n_tokens, finish_reason))
        exchange.tokens_out = n_tokens

    def _cut(self, conn: Connection | None) -> None:
        self.stats.disconnect()
        if conn is not None:
            conn.abort()

    async def _send_whole(
        self,
        plan: Plan,
        end: float,
        payload: bytes | Iterator[bytes],
        send: Send,
        loop: asyncio.AbstractEventLoop,
        conn: Connection | None,
        headers: Headers,
        exchange: Exchange,
    ) -> None:
        """Answer a non-streaming request at `end` (or cut it, or trickle it); a `payload` of pieces larger
        than one chunk goes out a chunk at a time, without content-length (`fake_llm.bodies`)."""
        body, rest = (payload, None) if isinstance(payload, bytes) else first_chunk(payload)
        if end > loop.time():
            woken, timer = _wake_at(loop, end)
            try:
                await woken
            finally:
                timer.cancel()
        fault = plan.fault
        if fault == "disconnect":
            self._cut(conn)
            exchange.tokens_out = 0
            exchange.status = "000"
            return
        now = loop.time()
        self.stats.scheduling_error((now - end) * 1000)
        exchange.status = "200"
        if rest is not None:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": whole_headers(plan, now, headers, None),
                    TRUSTED_HEADERS: True,  # no content-length: the cycle frames it chunked, as uvicorn does
                }
            )
            pause_s = self.config.faults.trickle_ms / 1000 if fault == "trickle" else 0.0
            await send_rest(send, body, rest, pause_s=pause_s)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": whole_headers(plan, now, headers, len(body)),
                TRUSTED_HEADERS: True,
            }
        )
        if fault != "trickle":
            await send({"type": "http.response.body", "body": body})
            return
        await self._trickle(body, send)

    async def _trickle(self, payload: bytes, send: Send) -> None:
        """The body in `_TRICKLE_PIECES` pieces, `trickle_ms` apart (a slow network as a client sees it)."""
        size = max(1, math.ceil(len(payload) / _TRICKLE_PIECES))
        pause_s = self.config.faults.trickle_ms / 1000
        for offset in range(0, len(payload), size):
            if offset:
                await asyncio.sleep(pause_s)
            last = offset + size >= len(payload)
            await send(
                {"type": "http.response.body", "body": payload[offset : offset + size], "more_body": not last}
            )
