"""Parsing that also reads newer syntax: Python 3.12-3.14 f-strings (PEP 701), t-strings and type
parameters (PEP 695/696) parse on 3.11 too, through a same-length rewrite that keeps every line and the
columns of everything the rules look at (docs/lint.md, "Parsing"). Only a failed `ast.parse` pays for it.
"""

from __future__ import annotations

import ast

__all__ = ["downgrade", "parse_source"]

_PREFIX = frozenset("rbuftRBUFT")
_QUOTES = ("'''", '"""', "'", '"')
_OPEN, _CLOSE = "([{", ")]}"


def parse_source(source: str, filename: str) -> ast.Module:
    """`ast.parse`, retried on the rewritten source when the running Python rejects newer syntax.

    Raises:
        SyntaxError: the file does not parse either way (the error of the first attempt).
    """
    try:
        return ast.parse(source, filename=filename)
    except SyntaxError as first:
        try:
            rewritten = downgrade(source)
        except (IndexError, ValueError):
            raise first from None
        if rewritten == source:
            raise
        try:
            return ast.parse(rewritten, filename=filename)
        except SyntaxError:
            raise first from None


def downgrade(source: str) -> str:
    """The same program in Python 3.11 syntax, character for character the same length: each group of
    adjacent string literals holding an f-string (or t-string) becomes a tuple of its replacement fields,
    `def f[T](...)` loses its type parameters to blanks and `type X = ...` becomes `X = ...`."""
    return _Rewriter(source).run()


class _Rewriter:
    def __init__(self, source: str, depth: int = 0) -> None:
        self.src = source
        self.out = list(source)
        self.depth = depth
        self.line_start = depth == 0

    def run(self) -> str:
        i, n = 0, len(self.src)
        while i < n:
            i = self._step(i)
        return "".join(self.out)

    def _step(self, i: int) -> int:
        ch = self.src[i]
        if ch == "#":
            end = self.src.find("\n", i)
            return len(self.src) if end < 0 else end
        if ch == "\n":
            self.line_start = self.depth == 0
            return i + 1
        if ch in " \t\f\\\r":
            return i + 1
        if self._string_start(i) is not None:
            self.line_start = False
            return self._string_group(i)
        if ch.isalpha() or ch == "_":
            return self._word(i)
        if ch in _OPEN:
            self.depth += 1
        elif ch in _CLOSE:
            self.depth = max(0, self.depth - 1)
        self.line_start = ch == ";" and self.depth == 0
        return i + 1

    def _string_start(self, i: int) -> tuple[str, str, int] | None:
        """(prefix, quote, index after the opening quote) when a string literal starts at `i`."""
        j = i
        while j < len(self.src) and self.src[j] in _PREFIX and j - i < 2:
            j += 1
        if j > i and i > 0 and (self.src[i - 1].isalnum() or self.src[i - 1] == "_"):
            return None  # the tail of a name (`elif`), not a prefix
        for quote in _QUOTES:
            if self.src.startswith(quote, j):
                return self.src[i:j].lower(), quote, j + len(quote)
        return None

    def _word(self, i: int) -> int:
        j = i
        while j < len(self.src) and (self.src[j].isalnum() or self.src[j] == "_"):
            j += 1
        word, at_start = self.src[i:j], self.line_start
        self.line_start = False
        if word in ("def", "class"):
            return self._type_params_after_name(j)
        if word == "type" and at_start:
            return self._type_alias(i, j)
        return j

    def _skip_space(self, i: int) -> int:
        while i < len(self.src) and self.src[i] in " \t":
            i += 1
        return i

    def _name_end(self, i: int) -> int:
        while i < len(self.src) and (self.src[i].isalnum() or self.src[i] == "_"):
            i += 1
        return i

    def _type_params_after_name(self, i: int) -> int:
        i = self._skip_space(i)
        j = self._name_end(i)
        k = self._skip_space(j)
        if j > i and k < len(self.src) and self.src[k] == "[":
            end = self._matching(k)
            self._blank(k, end + 1)
            return end + 1
        return j

    def _type_alias(self, i: int, j: int) -> int:
        """`type X[T] = v` -> `X         = v`."""
        k = self._skip_space(j)
        m = self._name_end(k)
        rest = self._skip_space(m)
        if m == k or rest >= len(self.src) or self.src[rest] not in "[=":
            return j
        end = self._matching(rest) + 1 if self.src[rest] == "[" else rest
        name = self.src[k:m]
        self._blank(i, end)
        self.out[i : i + len(name)] = list(name)
        return end

    def _matching(self, i: int) -> int:
        """Index of the bracket closing the one at `i` (strings inside skipped)."""
        depth = 0
        while i < len(self.src):
            if self._string_start(i) is not None:
                i = self._literal_end(i)
                continue
            ch = self.src[i]
            if ch in _OPEN:
                depth += 1
            elif ch in _CLOSE:
                depth -= 1
                if depth == 0:
                    return i
            i += 1
        raise ValueError("unbalanced brackets")

    def _blank(self, start: int, end: int) -> None:
        """Spaces over `start:end`; a line break inside it keeps the statement going (`\\` before it)."""
        for k in range(start, end):
            if self.out[k] != "\n":
                self.out[k] = " "
            elif k > start and self.out[k - 1] == " ":
                self.out[k - 1] = "\\"

    # ------------------------------------------------------------------------------------ strings

    def _group(self, i: int) -> list[tuple[int, int]]:
        """(start, end) of each literal in the group of adjacent literals starting at `i`."""
        spans = []
        while True:
            end = self._literal_end(i)
            spans.append((i, end))
            j = end
            while j < len(self.src):
                if self.src.startswith("\\\n", j):
                    j += 2
                elif self.src[j] in " \t\f" or (self.src[j] in "\r\n" and self.depth > 0):
                    j += 1
                else:
                    break
            if self._string_start(j) is None:
                return spans
            i = j

    def _string_group(self, i: int) -> int:
        spans = self._group(i)
        fields: list[tuple[int, int]] = []
        for start, _end in spans:
            prefix, quote, body = self._string_start(start)  # type: ignore[misc]
            if set(prefix) & {"f", "t"}:
                fields.extend(self._scan(body, quote, "r" in prefix)[0])
        if not any(set(self._string_start(start)[0]) & {"f", "t"} for start, _ in spans):  # type: ignore[index]
            return spans[-1][1]
        self._blank(spans[0][0], spans[-1][1])
        self.out[spans[0][0]] = "("
        self.out[spans[-1][1] - 1] = ")"
        for start, end in fields:
            self.out[start:end] = list(_Rewriter(self.src[start:end], depth=1).run())
            self.out[end] = ","
        return spans[-1][1]

    def _literal_end(self, i: int) -> int:
        """Index just past the literal starting at `i` (an f-string's nested fields included)."""
        prefix, quote, j = self._string_start(i)  # type: ignore[misc]
        if set(prefix) & {"f", "t"}:
            return self._scan(j, quote, "r" in prefix)[1] + len(quote)
        while j < len(self.src):
            if self.src[j] == "\\":
                j += 2
            elif self.src.startswith(quote, j):
                return j + len(quote)
            elif len(quote) == 1 and self.src[j] == "\n":
                raise ValueError("unterminated string")
            else:
                j += 1
        raise ValueError("unterminated string")

    def _scan(self, j: int, quote: str, raw: bool) -> tuple[list[tuple[int, int]], int]:
        """The replacement fields of an f-string body from `j` (each (start, end): `end` is the character
        that ends the expression, `}`, `!`, `:` or `=`), and the index of the closing quote."""
        fields: list[tuple[int, int]] = []
        while j < len(self.src):
            ch = self.src[j]
            if self.src.startswith(quote, j):
                return fields, j
            if ch == "\\":
                named = not raw and self.src.startswith("N{", j + 1)
                j = self.src.index("}", j) + 1 if named else j + 2
            elif self.src.startswith("{{", j) or self.src.startswith("}}", j):
                j += 2
            elif ch == "{":
                j = self._field(j + 1, fields)
            elif len(quote) == 1 and ch == "\n":
                raise ValueError("unterminated string")
            else:
                j += 1
        raise ValueError("unterminated string")

    def _field(self, j: int, fields: list[tuple[int, int]]) -> int:
        start, depth = j, 0
        while j < len(self.src):
            if self._string_start(j) is not None:
                j = self._literal_end(j)
                continue
            ch = self.src[j]
            if ch == "#":
                j = self.src.index("\n", j)
                continue
            if ch in _OPEN:
                depth += 1
            elif ch in _CLOSE and depth > 0:
                depth -= 1
            elif depth == 0 and (ch in "}:" or (ch == "!" and self.src[j + 1] != "=") or self._self_doc(j)):
                break
            j += 1
        fields.append((start, j))
        while self.src[j] != "}":  # a conversion, a format spec (with nested fields) or `=`
            if self.src[j] == "{":
                j = self._field(j + 1, fields)
            else:
                j += 1
        return j + 1

    def _self_doc(self, j: int) -> bool:
        """`f"{x=}"`: an `=` that is not part of `==`, `!=`, `<=`, `>=` or `:=`."""
        return (
            self.src[j] == "="
            and self.src[j + 1] != "="
            and self.src[j - 1] not in "=!<>:"
            and self.src[j + 1] in "}!: "
        )
