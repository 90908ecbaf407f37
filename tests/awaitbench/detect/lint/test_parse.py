"""Newer syntax on this Python: the same-length rewrite keeps every line and the columns of the code the
rules read, and a file that still does not parse raises the original error."""

from __future__ import annotations

import ast

import pytest

from awaitbench.detect.lint.parse import downgrade, parse_source

MODERN = [
    'f"{d["key"]}"',
    "f'{\", \".join(items)}'",
    'f"""{\n    value  # a comment inside a field\n}"""',
    'f"{x!r:>{width}} {y=} {z = }"',
    'f"{f"{inner}"}" "tail" rb"raw"',
    'rf"\\d{count}" f"\\N{BULLET} {n}"',
    't"{name}"',
    "def first[T](pair: tuple[T, T]) -> T: return pair[0]",
    "class Box[T: int = int]: pass",
    "type Pair[T] = tuple[T, T]",
    "class Dao:\n    async def page[\n        T: Model,\n    ](self, out: type[T]) -> list[T]: ...",
    "type Rows[\n    T,\n] = list[T]",
]


@pytest.mark.parametrize("source", MODERN)
def test_the_rewrite_keeps_length_and_lines_and_parses(source: str) -> None:
    rewritten = downgrade(source)
    assert len(rewritten) == len(source) and rewritten.count("\n") == source.count("\n")
    ast.parse(rewritten)


def test_expressions_keep_their_columns() -> None:
    source = 'label = f"{client.models.list()} {d["k"]}"\n'
    call = next(n for n in ast.walk(parse_source(source, "m.py")) if isinstance(n, ast.Call))
    assert (call.lineno, call.col_offset) == (1, source.index("client"))


def test_only_f_strings_change_and_comments_stay() -> None:
    source = 'x = f"{a}" if b else "c"  # f"{comment}"\n'
    assert downgrade(source) == 'x = (  a,) if b else "c"  # f"{comment}"\n'


def test_a_file_that_does_not_parse_raises_its_own_error() -> None:
    with pytest.raises(SyntaxError) as caught:
        parse_source("def broken(:\n", "broken.py")
    assert caught.value.lineno == 1
