"""Send every call to a known LLM API to the fake LLM, whatever URL the app's code holds.

Installed by `awaitbench.detect.serve` before the app is imported: httpx (and httpx2), aiohttp and urllib3
are wrapped, so `OpenAI(base_url="https://api.groq.com/openai/v1")` reaches the fake LLM in its dialect
(`providers`); every call and name lookup is noted in an `OutboundLog`. docs/diagnose.md, "Which upstream".
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import ipaddress
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from awaitbench.detect.diagnose.outbound import OutboundLog
from awaitbench.detect.diagnose.providers import Route, RouteTable

__all__ = ["Capture", "install", "watch_loop"]

_MARK = "__awaitbench_capture__"
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, kw_only=True)
class Capture:
    """Where captured calls go (`upstream_host:upstream_port`, plain HTTP), which hosts are captured
    (`table`; `redirect=False` notes calls without sending any elsewhere), and the log."""

    upstream_host: str
    upstream_port: int
    table: RouteTable = field(default_factory=RouteTable)
    redirect: bool = True
    log: OutboundLog = field(default_factory=OutboundLog)

    def route(self, host: str | None, port: int | None, path: str) -> Route | None:
        """The route a call to `host` takes (None: not captured, or already the fake LLM)."""
        if not self.redirect or not host or self.is_upstream(host, port):
            return None
        return self.table.find(host, path or "/")

    @contextlib.contextmanager
    def call(self, host: str | None, port: int | None, route: Route | None, via: str) -> Iterator[_Call]:
        """Note one call to `host` (captured when `route`, or made to the fake LLM itself), with the
        exception it raised or the error status it got (set `status` on the yielded object)."""
        if not host:
            yield _Call()
            return
        captured = route is not None or self.is_upstream(host, port)
        dialect = route.dialect if route is not None else None
        call = _Call()
        try:
            yield call
        except BaseException as exc:
            self.log.note(host, port, via=via, captured=captured, dialect=dialect, error=exc)
            raise
        error = f"HTTP {call.status}" if call.status is not None and call.status >= 400 else None
        self.log.note(host, port, via=via, captured=captured, dialect=dialect, error=error)

    def is_upstream(self, host: str, port: int | None) -> bool:
        return port == self.upstream_port and _loopback(host)

    def note_lookup(self, host: Any, port: Any, error: BaseException | None = None) -> None:
        """A name the process resolved (a database driver, urllib): noted unless it is an address or
        this machine's name that resolved."""
        if not isinstance(host, str) or not host or (error is None and _local(host)):
            return
        number = port if isinstance(port, int) else (int(port) if str(port).isdigit() else None)
        if number is not None and self.is_upstream(host, number):
            return
        self.log.note(host, number, via="socket", error=error, call=False)


@dataclass
class _Call:
    status: int | None = None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _local(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _optional(name: str) -> Any:
    """The module `name` when it is installed (imported now), else None."""
    try:
        found = importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        found = False
    return importlib.import_module(name) if found else None


def _wrap(owner: Any, name: str, make: Callable[[Any], Any]) -> None:
    """Replace `owner.name` by `make(original)`, once."""
    original = getattr(owner, name, None)
    if original is None or getattr(original, _MARK, False):
        return
    wrapper = make(original)
    setattr(wrapper, _MARK, True)
    setattr(owner, name, wrapper)


def _patch_httpx(capture: Capture, module_name: str) -> None:
    module = _optional(module_name)
    if module is None:
        return

    def steer(request: Any) -> tuple[str | None, int | None, Route | None]:
        url = request.url
        host, port = url.host, url.port or _DEFAULT_PORTS.get(url.scheme)
        route = capture.route(host, port, url.path)
        if route is not None:
            request.url = url.copy_with(
                scheme="http",
                host=capture.upstream_host,
                port=capture.upstream_port,
                path=route.target_path(url.path),
            )
            request.headers["Host"] = f"{capture.upstream_host}:{capture.upstream_port}"
        return host, port, route

    def sync(original: Any) -> Any:
        def handle_request(self: Any, request: Any) -> Any:
            host, port, route = steer(request)
            with capture.call(host, port, route, module_name) as call:
                response = original(self, request)
                call.status = response.status_code
                return response

        return handle_request

    def asynchronous(original: Any) -> Any:
        async def handle_async_request(self: Any, request: Any) -> Any:
            host, port, route = steer(request)
            with capture.call(host, port, route, module_name) as call:
                response = await original(self, request)
                call.status = response.status_code
                return response

        return handle_async_request

    _wrap(module.HTTPTransport, "handle_request", sync)
    _wrap(module.AsyncHTTPTransport, "handle_async_request", asynchronous)


def _patch_aiohttp(capture: Capture) -> None:
    aiohttp = _optional("aiohttp")
    if aiohttp is None or not hasattr(aiohttp.ClientSession, "_build_url"):
        return
    from yarl import URL

    named = aiohttp.ClientSession._build_url  # the URL as the app names it, base_url joined

    def build(original: Any) -> Any:
        def _build_url(self: Any, str_or_url: Any) -> Any:
            url = original(self, str_or_url)
            route = capture.route(url.host, url.port, url.path)
            if route is None:
                return url
            return URL.build(
                scheme="http",
                host=capture.upstream_host,
                port=capture.upstream_port,
                path=route.target_path(url.raw_path),
                query_string=url.raw_query_string,
                encoded=True,
            )

        return _build_url

    def request(original: Any) -> Any:
        async def _request(self: Any, method: str, str_or_url: Any, **kwargs: Any) -> Any:
            url = named(self, str_or_url)
            route = capture.route(url.host, url.port, url.path)
            with capture.call(url.host, url.port, route, "aiohttp") as call:
                response = await original(self, method, str_or_url, **kwargs)
                call.status = response.status
                return response

        return _request

    _wrap(aiohttp.ClientSession, "_request", request)
    _wrap(aiohttp.ClientSession, "_build_url", build)


def _patch_urllib3(capture: Capture) -> None:
    """A captured pool's calls go through a companion pool to the fake LLM (same timeout, size and
    retries), so a session or client built per request still opens its own connections."""
    urllib3 = _optional("urllib3")
    if urllib3 is None:
        return
    pool_class = urllib3.connectionpool.HTTPConnectionPool

    def companion(pool: Any) -> Any:
        found = pool.__dict__.get("_awaitbench_capture_pool")
        if found is None:
            size = getattr(getattr(pool, "pool", None), "maxsize", 1) or 1
            found = pool_class(
                capture.upstream_host,
                capture.upstream_port,
                timeout=pool.timeout,
                maxsize=size,
                block=pool.block,
                retries=pool.retries,
            )
            pool.__dict__["_awaitbench_capture_pool"] = found
        return found

    def make(original: Any) -> Any:
        def urlopen(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            parts = urlsplit(url)
            route = capture.route(self.host, self.port, parts.path)
            pool, target = self, url
            if route is not None:
                pool, kwargs["assert_same_host"] = companion(self), False
                target = route.target_path(parts.path) + (f"?{parts.query}" if parts.query else "")
            with capture.call(self.host, self.port, route, "urllib3") as call:
                response = original(pool, method, target, *args, **kwargs)
                call.status = response.status
                return response

        return urlopen

    _wrap(pool_class, "urlopen", make)


def _patch_lookups(capture: Capture) -> None:
    def make(original: Any) -> Any:
        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                found = original(host, port, *args, **kwargs)
            except OSError as exc:
                capture.note_lookup(host, port, exc)
                raise
            capture.note_lookup(host, port)
            return found

        return getaddrinfo

    _wrap(socket, "getaddrinfo", make)


def install(capture: Capture) -> Capture:
    """Wrap the HTTP clients installed in this process and the name lookups (idempotent)."""
    _patch_httpx(capture, "httpx")
    _patch_httpx(capture, "httpx2")
    _patch_aiohttp(capture)
    _patch_urllib3(capture)
    _patch_lookups(capture)
    return capture


def watch_loop(capture: Capture, loop: Any) -> None:
    """Note the names and connections `loop` resolves and opens itself (uvloop does both in C, out of
    reach of `socket.getaddrinfo`): a database driver's host shows up too."""

    def lookups(original: Any) -> Any:
        async def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                found = await original(host, port, *args, **kwargs)
            except OSError as exc:
                capture.note_lookup(host, port, exc)
                raise
            capture.note_lookup(host, port)
            return found

        return getaddrinfo

    def connections(original: Any) -> Any:
        async def create_connection(factory: Any, host: Any = None, port: Any = None, **kwargs: Any) -> Any:
            try:
                return await original(factory, host, port, **kwargs)
            except OSError as exc:
                capture.note_lookup(host, port, exc)
                raise

        return create_connection

    for name, make in (("getaddrinfo", lookups), ("create_connection", connections)):
        bound = getattr(loop, name)
        wrapper = make(bound)
        setattr(wrapper, _MARK, True)
        with contextlib.suppress(AttributeError, TypeError):  # a loop class without an instance dict
            setattr(loop, name, wrapper)
