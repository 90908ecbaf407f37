"""The corpora: every `# expect: CODE` line of corpus/bad is reported, with nothing else; corpus/clean
(clients in lifespan, dependent awaits, bounded gathers, to_thread, deadlines, one retry policy, awaited
coroutines) produces no finding at all. Duplicates count: one pitfall, one finding."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from awaitbench.detect.lint import lint_paths

CORPUS = Path(__file__).resolve().parent / "corpus"
EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)\s*$")


def _expected(path: Path) -> Counter[tuple[str, int, str]]:
    expected: Counter[tuple[str, int, str]] = Counter()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = EXPECT.search(line)
        if match:
            for code in match.group("codes").split(","):
                expected[(path.name, number, code.strip())] += 1
    return expected


@pytest.mark.parametrize("path", sorted((CORPUS / "bad").glob("*.py")), ids=lambda p: p.name)
def test_bad_corpus_is_reported_exactly(path: Path) -> None:
    expected = _expected(path)
    assert expected, f"{path.name} marks no expected finding"
    found = Counter((Path(f.path).name, f.line, f.code) for f in lint_paths([path]).findings)
    assert found == expected, f"missed: {expected - found}; extra: {found - expected}"


@pytest.mark.parametrize("path", sorted((CORPUS / "clean").glob("*.py")), ids=lambda p: p.name)
def test_clean_corpus_has_no_finding(path: Path) -> None:
    assert not _expected(path)
    findings = lint_paths([path]).findings
    assert not findings, "\n".join(f"{f.line}: {f.code} {f.message}" for f in findings)
