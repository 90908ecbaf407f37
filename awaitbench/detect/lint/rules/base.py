"""What a rule is and what it sees: the `Rule` record, the walk `Context`, and a `Report`."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from awaitbench.detect.lint.callgraph import CallGraph
from awaitbench.detect.lint.findings import Severity
from awaitbench.detect.lint.index import FunctionInfo, ModuleInfo, Scope
from awaitbench.detect.lint.values import Resolver

__all__ = ["Context", "Report", "Rule"]


@dataclass(frozen=True)
class Report:
    """A rule's raw finding: where, what, and its expected cost when it differs from the rule's own
    (`Rule.severity`); the engine adds the path, the code and why it matters."""

    node: ast.AST
    message: str
    severity: Severity | None = None


@dataclass
class Context:
    """Where the walk is: the module, the innermost scope and function, and the chain of ancestors."""

    module: ModuleInfo
    resolver: Resolver
    graph: CallGraph
    scope: Scope
    function: FunctionInfo | None = None
    ancestors: list[ast.AST] = field(default_factory=list)

    @property
    def in_async(self) -> bool:
        """Inside an `async def` (not inside a plain function or lambda nested in one)."""
        return self.function is not None and self.function.is_async


@dataclass(frozen=True, kw_only=True)
class Rule:
    """A rule: its identity, its documentation, and its check.

    Args:
        code: `AWB1xx`, what `--select`, `--ignore` and `# noqa` name.
        pitfall: the catalogue scenario id (`sync_client`); `tests/detect` checks it exists.
        name: a kebab-case name for SARIF (`sync-client-in-async`).
        summary: one line: what the rule reports.
        fix: what to change, shown with every finding.
        why: a generic one-line "why it matters", used when the caller passes no cost text.
        severity: the expected cost of a finding when its report does not say (high, medium, low).
        node_types: the AST node types `check` is called with.
        check: yields Reports for one node.
        in_scripts: also run on entry-point scripts outside the service (an ingestion job is no request
            path, but a retry storm or a coroutine that never runs is a bug anywhere).
    """

    code: str
    pitfall: str
    name: str
    summary: str
    fix: str
    why: str
    severity: Severity
    node_types: tuple[type[ast.AST], ...]
    check: Callable[[ast.AST, Context], Iterable[Report]]
    in_scripts: bool = False
