"""Which `Origin` headers may call fake_llm (pure logic): loopback pages yes, every other page no."""

from __future__ import annotations

import pytest

from fake_llm.origins import OriginPolicy, is_loopback_origin


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost",
        "http://localhost:3000",
        "https://app.localhost:8443",
        "http://127.0.0.1:8080",
        "http://127.9.9.9",
        "http://[::1]:5173",
        "HTTP://LOCALHOST:3000",
    ],
)
def test_loopback_origins(origin: str) -> None:
    assert is_loopback_origin(origin.lower())
    assert OriginPolicy(frozenset()).allows(origin.encode())


@pytest.mark.parametrize(
    "origin",
    [
        "null",
        "https://evil.example",
        "http://localhost.evil.example",
        "http://127.0.0.1.nip.io",
        "http://10.0.0.1",
        "http://[::2]",
        "http://localhost:notaport",
        "http://localhost/path",
        "localhost:3000",
        "",
    ],
)
def test_foreign_origins_are_refused(origin: str) -> None:
    assert not OriginPolicy(frozenset()).allows(origin.encode())


def test_allowed_origins_and_the_wildcard() -> None:
    policy = OriginPolicy(frozenset({"https://app.example"}))
    assert policy.allows(b"https://app.example")
    assert policy.allows(b"HTTPS://APP.EXAMPLE/")
    assert not policy.allows(b"https://app.example:8443")
    assert OriginPolicy(frozenset({"*"})).allows(b"https://anything.example")
