"""Import statements and module paths: what each import binds, and where a dotted module lives on disk.

An import binds a local name to a dotted target and a level (0 absolute, 1 `from .`, 2 `from ..`); the
project index turns that into one of its modules or, outside the project, a qualified name such as
`openai.AsyncOpenAI` (the spelling `ecosystem.py` uses).
"""

from __future__ import annotations

import ast
import functools
import sys
from pathlib import Path

__all__ = ["STDLIB", "import_bindings", "module_name_for", "package_root"]

# Top-level names that are never the project's own modules, whatever files sit next to the importer.
STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}


def module_name_for(path: Path) -> str:
    """The dotted module name of `path` as its package layout says (`app.routers.chat`), for messages."""
    root = package_root(path.parent)
    relative = path.with_suffix("").relative_to(root).parts
    parts = relative[:-1] if path.name == "__init__.py" else relative
    return ".".join(parts) or path.stem


@functools.lru_cache(maxsize=4096)
def package_root(directory: Path) -> Path:
    """The directory a module in `directory` is imported from: above the last `__init__.py` going up."""
    while (directory / "__init__.py").is_file() and directory.parent != directory:
        directory = directory.parent
    return directory


def import_bindings(node: ast.Import | ast.ImportFrom) -> list[tuple[str, str, int]]:
    """(local name, dotted target, level) for each name an import statement binds.

    `import a.b` binds `a` to `a` (attribute access then reaches `a.b`); `import a.b as c` binds `c` to
    `a.b`; `from .m import f as g` binds `g` to `m.f` at level 1. Star imports bind nothing.
    """
    if isinstance(node, ast.Import):
        found: list[tuple[str, str, int]] = []
        for alias in node.names:
            head = alias.name.partition(".")[0]
            found.append((alias.asname, alias.name, 0) if alias.asname else (head, head, 0))
        return found
    source = node.module or ""
    return [
        (alias.asname or alias.name, f"{source}.{alias.name}" if source else alias.name, node.level)
        for alias in node.names
        if alias.name != "*"
    ]
