"""Import and alias resolution: which public name does a local name stand for?

`from openai import OpenAI as O`, `import openai as oa`, `import time as t`, `from time import sleep` and
relative imports inside a package all become fully qualified names (`openai.OpenAI`, `time.sleep`,
`scenarios._plumbing.async_openai`), the spelling `known.py` and the package index use.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

__all__ = ["import_bindings", "module_name_for"]


def module_name_for(path: Path) -> tuple[str, Path]:
    """The dotted module name of `path` and the root directory its top-level package lives in.

    The package is found the way Python would import it: walk up while the directory has an
    `__init__.py`. A file outside any package is a top-level module named after itself.
    """
    path = path.resolve()
    package, root = _package_of(path.parent)
    name = package if path.name == "__init__.py" else ".".join(p for p in (package, path.stem) if p)
    return name, root


@functools.lru_cache(maxsize=4096)
def _package_of(directory: Path) -> tuple[str, Path]:
    """(dotted package name, root) of a directory; cached, since every file of a package asks."""
    if not (directory / "__init__.py").is_file():
        return "", directory
    parent, root = _package_of(directory.parent)
    return (f"{parent}.{directory.name}" if parent else directory.name), root


def _absolute(module: str | None, level: int, current: str, is_package: bool) -> str:
    if level == 0:
        return module or ""
    base = current.split(".") if current else []
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def import_bindings(
    node: ast.Import | ast.ImportFrom, current: str, is_package: bool
) -> list[tuple[str, str]]:
    """(local name, qualified name) pairs an import statement binds.

    `import a.b` binds `a` to `a` (attribute access then reaches `a.b`); `import a.b as c` binds `c` to
    `a.b`; `from .m import f as g` in package `p` binds `g` to `p.m.f`. Star imports bind nothing.
    """
    pairs: list[tuple[str, str]] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                pairs.append((alias.asname, alias.name))
            else:
                head = alias.name.partition(".")[0]
                pairs.append((head, head))
        return pairs
    source = _absolute(node.module, node.level, current, is_package)
    for alias in node.names:
        if alias.name == "*":
            continue
        qualified = f"{source}.{alias.name}" if source else alias.name
        pairs.append((alias.asname or alias.name, qualified))
    return pairs
