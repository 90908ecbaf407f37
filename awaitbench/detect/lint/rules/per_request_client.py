"""AWB103 per_request_client — an LLM/HTTP client built inside a request handler, or by a function the
handler calls, or by an uncached FastAPI dependency: a new SSL context and connection pool per request."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from awaitbench.detect.lint.callgraph import call_label, kept_values
from awaitbench.detect.lint.rules.base import Context, Report, Rule

__all__ = ["RULE"]

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _short(qualified: str) -> str:
    last = qualified.rpartition(".")[2]
    return last if last[:1].isupper() else qualified


def _in_handler_call(node: ast.Call, ctx: Context) -> Iterator[Report]:
    function = ctx.function
    if function is None or function.node not in ctx.graph.handlers(ctx.module):
        return
    built = ctx.graph.constructed_client(node, ctx.scope)
    if built is not None:
        if id(node) not in kept_values(function):
            yield Report(
                node,
                f"`{call_label(node)}(...)` is built inside request handler `{function.qualname}`: "
                "a new client (SSL context, connection pool, handshake) on every request",
            )
        return
    callee = ctx.graph.per_call_target(node, ctx.scope)
    if callee is None or callee is function:
        return
    chain = ctx.graph.client_build_chain(callee)
    if chain is not None:
        path = " -> ".join([function.qualname, *chain])
        yield Report(
            node,
            f"`{call_label(node)}(...)` builds a new {_short(chain[-1])} on every request "
            f"to `{function.qualname}` ({path})",
        )


def _dependencies(node: ast.AST, ctx: Context) -> Iterator[Report]:
    if node not in ctx.graph.handlers(ctx.module):
        return
    handler = ctx.module.functions[node]
    for depends, dependency in ctx.graph.dependencies(handler):
        chain = ctx.graph.client_build_chain(dependency)
        if chain is not None:
            yield Report(
                depends,
                f"dependency `{dependency.qualname}` builds a new {_short(chain[-1])} for every request "
                f"to `{handler.qualname}` ({' -> '.join(chain)}); cache it or build the client in lifespan",
            )


def check(node: ast.AST, ctx: Context) -> Iterator[Report]:
    if isinstance(node, ast.Call):
        yield from _in_handler_call(node, ctx)
    elif isinstance(node, _FUNCTIONS):
        yield from _dependencies(node, ctx)


RULE = Rule(
    code="AWB103",
    pitfall="per_request_client",
    name="client-per-request",
    summary="An LLM/HTTP client is constructed per request (in a handler, a helper it calls, or an "
    "uncached dependency).",
    fix="Build one client at startup (lifespan, module level, or a functools.cache'd dependency), share "
    "it, and close it on shutdown.",
    why="every request pays the client's set-up and a new TCP/TLS connection; sockets pile up.",
    severity="high",
    node_types=(ast.Call, ast.FunctionDef, ast.AsyncFunctionDef),
    check=check,
)
