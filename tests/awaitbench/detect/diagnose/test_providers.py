"""The provider table: which hosts are captured, in which dialect, and where their paths go."""

from __future__ import annotations

import re

import pytest

from awaitbench.detect.diagnose.providers import RouteTable, key_variables, parse_capture_host


@pytest.mark.parametrize(
    ("host", "path", "dialect", "target"),
    [
        ("api.openai.com", "/v1/chat/completions", "openai", "/v1/chat/completions"),
        ("api.groq.com", "/openai/v1/chat/completions", "openai", "/v1/chat/completions"),
        ("api.cerebras.ai", "/v1/chat/completions", "openai", "/v1/chat/completions"),
        ("api.fireworks.ai", "/inference/v1/embeddings", "openai", "/v1/embeddings"),
        ("api.deepseek.com", "/chat/completions", "openai", "/v1/chat/completions"),
        ("api.deepseek.com", "/v1/chat/completions", "openai", "/v1/chat/completions"),
        ("openrouter.ai", "/api/v1/chat/completions", "openai", "/v1/chat/completions"),
        ("api.perplexity.ai", "/chat/completions", "openai", "/v1/chat/completions"),
        ("api.anthropic.com", "/v1/messages", "anthropic", "/v1/messages"),
        ("api.anthropic.com", "/v1/chat/completions", "anthropic", "/v1/chat/completions"),
        ("contoso.openai.azure.com", "/openai/deployments/gpt4/chat/completions", "azure",
         "/openai/deployments/gpt4/chat/completions"),
        ("generativelanguage.googleapis.com", "/v1beta/models/gemini-2.0-flash:generateContent", "gemini",
         "/v1beta/models/gemini-2.0-flash:generateContent"),
        ("generativelanguage.googleapis.com", "/v1beta/openai/chat/completions", "openai",
         "/v1/chat/completions"),
        ("bedrock-runtime.eu-west-1.amazonaws.com", "/model/anthropic.claude-3-haiku/converse", "bedrock",
         "/model/anthropic.claude-3-haiku/converse"),
    ],
)  # fmt: skip
def test_known_hosts_map_to_their_dialect_and_path(host: str, path: str, dialect: str, target: str) -> None:
    route = RouteTable().find(host, path)
    assert route is not None
    assert (route.dialect, route.target_path(path)) == (dialect, target)


def test_other_hosts_are_not_captured() -> None:
    table = RouteTable()
    for host in ("db.example.supabase.co", "hooks.slack.com", "openai.example.com", "127.0.0.1"):
        assert table.find(host, "/rest/v1/profiles") is None, host
    assert table.find("localhost", "/api/chat") is None  # Ollama's own API: --capture-host is the way


@pytest.mark.parametrize(
    ("host", "path", "dialect", "target"),
    [
        ("192.168.0.230", "/v1/chat/completions", "openai", "/v1/chat/completions"),  # LM Studio on the LAN
        ("localhost", "/v1/embeddings", "openai", "/v1/embeddings"),  # vLLM, Ollama's OpenAI API
        ("llm.corp.example", "/litellm/v1/chat/completions", "openai", "/v1/chat/completions"),
        ("gateway.corp.example", "/anthropic/v1/messages", "anthropic", "/v1/messages"),
    ],
)
def test_any_host_serving_an_llm_endpoint_is_captured(
    host: str, path: str, dialect: str, target: str
) -> None:
    route = RouteTable().find(host, path)
    assert route is not None
    assert (route.dialect, route.target_path(path)) == (dialect, target)


def test_a_host_the_user_adds_takes_its_path_from_the_first_v1() -> None:
    table = RouteTable((parse_capture_host("llm.internal.example"),))
    route = table.find("llm.internal.example", "/api/v1/chat/completions")
    assert route is not None and route.dialect == "openai"
    assert route.target_path("/api/v1/chat/completions") == "/v1/chat/completions"
    assert route.target_path("/chat/completions") == "/v1/chat/completions"
    azure = parse_capture_host("aoai.corp.example=azure")
    assert (
        azure.target_path("/openai/deployments/x/chat/completions")
        == "/openai/deployments/x/chat/completions"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("https://llm.example", "is not HOST[=dialect]"),
        ("llm.example:8080", "is not HOST[=dialect]"),
        ("llm.example=cohere", "the dialect must be one of openai, anthropic, azure, gemini, bedrock"),
    ],
)
def test_a_bad_capture_host_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_capture_host(text)


def test_every_providers_key_variable_is_listed_once() -> None:
    names = key_variables()
    assert len(names) == len(set(names))
    assert {
        "OPENAI_API_KEY",
        "AZURE_OPENAI_KEY",
        "ANTHROPIC_API_KEY",
        "GROQ_API_KEY",
        "GEMINI_API_KEY",
    } <= set(names)
