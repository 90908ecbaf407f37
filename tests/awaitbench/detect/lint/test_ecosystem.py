"""The ecosystem table: consistent data, names resolved the way imports spell them, and docs/lint.md's
table generated from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from awaitbench.detect.lint.ecosystem import (
    ALIASES,
    CALLS,
    CLIENTS,
    call_spec,
    client_spec,
    markdown_table,
)

DOCS = Path(__file__).resolve().parents[4] / "docs" / "lint.md"
START, END = "<!-- ecosystem table: start -->", "<!-- ecosystem table: end -->"


def test_every_reference_in_the_table_names_an_entry() -> None:
    assert set(ALIASES.values()) <= set(CLIENTS) | set(CALLS)
    assert {made for spec in CLIENTS.values() for made in spec.produces.values()} <= set(CLIENTS)
    assert {call.returns for call in CALLS.values() if call.returns} <= set(CLIENTS)


def test_every_blocking_entry_says_what_to_use_instead() -> None:
    blocking = [
        s.name for s in CLIENTS.values() if s.mode != "async" and (s.methods or s.resources or s.any_method)
    ]
    assert [name for name in blocking if not CLIENTS[name].use_instead] == []
    assert [c.name for c in CALLS.values() if c.blocking and not c.is_async and not c.use_instead] == []


@pytest.mark.parametrize(
    ("name", "spec"),
    [
        ("openai.AsyncClient", "openai.AsyncOpenAI"),
        ("anthropic.Client", "anthropic.Anthropic"),
        ("langchain.chat_models.ChatOpenAI", "langchain_openai.ChatOpenAI"),
        ("langchain_community.vectorstores.Chroma", "langchain.runnable"),
        ("azure.storage.blob.BlobServiceClient", "azure.client"),
        ("azure.storage.blob.aio.BlobServiceClient", None),
    ],
)
def test_names_resolve_to_the_entry_a_service_means(name: str, spec: str | None) -> None:
    found = client_spec(name)
    assert (found.name if found else None) == spec


def test_the_pre_1_0_openai_api_is_read_by_its_shape() -> None:
    assert call_spec("openai.File.list") == CALLS["openai.<Resource>.<verb>"]
    assert call_spec("openai.ChatCompletion.acreate") == CALLS["openai.<Resource>.a<verb>"]
    assert call_spec("openai.types.Model") is None


def test_the_docs_table_is_generated_from_the_data() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented = text.split(START)[1].split(END)[0].strip()
    assert documented == markdown_table(), (
        "docs/lint.md's ecosystem table is out of date: replace it with "
        "`python -c 'from awaitbench.detect.lint.ecosystem import markdown_table; print(markdown_table())'`"
    )
