"""The environment diagnose gives the app: every SDK client built from the environment (`AsyncOpenAI()`,
`AsyncAzureOpenAI()`, `AsyncAnthropic()`) reaches the fake LLM; what the user gave with `--env` is kept, and
the Azure API version is filled in only when neither `--env` nor the shell sets one."""

from __future__ import annotations

from pathlib import Path

import anthropic
import openai
import pytest

from bench.diagnose.children import AppUnderTest, Upstream
from bench.diagnose.config import DiagnoseConfig
from fake_llm.azure import DEFAULT_API_VERSION


def _env(tmp_path: Path, **user: str) -> tuple[dict[str, str], str]:
    config = DiagnoseConfig(app="m:app", env=user)
    upstream = Upstream(config, port=8123, log_dir=tmp_path)
    return AppUnderTest(config, upstream=upstream, log_dir=tmp_path).env(), upstream.base


@pytest.fixture
def clean_shell(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No SDK variable inherited from the shell running the tests."""
    for name in ("OPENAI_API_VERSION", "AZURE_OPENAI_AD_TOKEN", "OPENAI_BASE_URL", "AZURE_OPENAI_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_every_sdk_built_from_the_environment_reaches_the_fake_llm(
    tmp_path: Path, clean_shell: pytest.MonkeyPatch
) -> None:
    env, base = _env(tmp_path)
    assert env["AZURE_OPENAI_ENDPOINT"] == base and env["OPENAI_API_VERSION"] == DEFAULT_API_VERSION
    for name, value in env.items():
        clean_shell.setenv(name, value)
    azure = openai.AsyncAzureOpenAI()
    assert str(azure.base_url) == f"{base}/openai/"
    assert azure._custom_query == {"api-version": DEFAULT_API_VERSION}
    assert azure.api_key == env["AZURE_OPENAI_API_KEY"] != ""
    assert str(openai.AsyncOpenAI().base_url) == f"{base}/v1/"
    assert str(anthropic.AsyncAnthropic(api_key="k").base_url).rstrip("/") == base


def test_the_users_key_and_api_version_are_kept(tmp_path: Path, clean_shell: pytest.MonkeyPatch) -> None:
    env, _ = _env(tmp_path, AZURE_OPENAI_API_KEY="mine", OPENAI_API_VERSION="2025-01-01-preview")
    assert env["AZURE_OPENAI_API_KEY"] == "mine" and env["OPENAI_API_VERSION"] == "2025-01-01-preview"
    # One set in the shell is inherited by the app (the child's environment is layered over this one).
    clean_shell.setenv("OPENAI_API_VERSION", "2024-06-01")
    env, _ = _env(tmp_path)
    assert "OPENAI_API_VERSION" not in env
