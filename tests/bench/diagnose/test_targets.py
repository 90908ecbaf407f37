"""`--requests FILE`: every mistake is one UsageError naming the entry and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.diagnose.targets import load_requests_file, parse_requests
from bench.errors import UsageError

GOOD = """
[[request]]
name = "ask"
method = "post"
path = "/ask"
json = { question = "What is async?", n = 2, when = 2024-01-01 }
headers = { x-user = "7" }

[[request]]
method = "GET"
path = "/health"
"""


def test_a_good_file_gives_one_target_per_table(tmp_path: Path) -> None:
    path = tmp_path / "requests.toml"
    path.write_text(GOOD)
    ask, health = load_requests_file(path)
    assert (ask.method, ask.path, ask.name) == ("POST", "/ask", "ask")
    assert ask.body_text == '{"question": "What is async?", "n": 2, "when": "2024-01-01"}'
    assert ask.request_headers() == {"x-user": "7", "content-type": "application/json"}
    assert (health.name, health.has_body, health.body_text) == ("GET /health", False, None)
    assert health.request_headers() == {}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "no [[request]] table"),
        ({"requests": []}, "unknown top-level key(s) requests"),
        ({"request": [{"method": "FETCH", "path": "/a"}]}, "#1: 'method' must be one of GET, POST"),
        ({"request": [{"method": "GET", "path": "a"}]}, "#1: 'path' must start with '/'"),
        ({"request": [{"method": "GET", "path": "/a", "body": 1}]}, "#1: unknown key(s) body"),
        (
            {"request": [{"name": "x", "method": "GET", "path": "/a", "headers": {"a": 1}}]},
            "#1 ('x'): 'headers'",
        ),
        ({"request": [{"method": "GET", "path": "/a"}, {"method": "GET", "path": "/a"}]}, "#2 has the name"),
        ({"request": [{"method": "GET", "path": "/a", "name": ""}]}, "'name' must be a non-empty string"),
        ({"request": ["GET /a"]}, "#1 is not a table"),
    ],
)
def test_each_mistake_names_the_entry(data: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_requests(data, origin="--requests r.toml")
    assert str(caught.value).startswith("--requests r.toml")
    assert message in str(caught.value)


def test_unreadable_or_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read it"):
        load_requests_file(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[request]\nmethod = ")
    with pytest.raises(UsageError, match="not valid TOML"):
        load_requests_file(bad)
