"""The warm-up's reading of a refusal: the field a route names gets one more try, filled."""

from __future__ import annotations

import pytest

from bench.diagnose.bodies import QUESTION
from bench.diagnose.targets import RequestTarget
from bench.diagnose.warmup import named_field, with_field


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"detail":"Message parameter is required"}', "message"),
        ('{"error": "missing field: \'prompt\'"}', "prompt"),
        ('{"detail":"the userQuery field is required"}', "userQuery"),
        ('{"detail":"Not Found"}', None),
        ('{"detail":[{"type":"missing","loc":["body","x"],"msg":"Field required"}]}', None),
    ],
)
def test_a_refusal_names_the_field_it_misses(body: str, field: str | None) -> None:
    assert named_field(body) == field


def test_the_named_field_goes_into_the_query_or_the_body() -> None:
    get = with_field(RequestTarget(method="GET", path="/api/chat", name="chat"), "message")
    assert get.path == "/api/chat?message=What+is+the+capital+of+France%3F+Answer+in+one+sentence."
    post = RequestTarget(method="POST", path="/ask", name="ask", json_body={"a": 1}, has_body=True)
    assert with_field(post, "prompt").json_body == {"a": 1, "prompt": QUESTION}
