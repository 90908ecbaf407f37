"""The environment diagnose gives the app: every SDK client built from the environment (`AsyncOpenAI()`,
`AsyncAzureOpenAI()`, `AsyncAnthropic()`, `genai.Client()`, boto3's and aiobotocore's `bedrock-runtime`)
reaches the fake LLM; what the user gave with `--env` is kept, and what an SDK cannot start without (the Azure
API version, AWS credentials and region) is filled in only when neither `--env` nor the shell sets it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import anthropic
import boto3
import openai
import pytest
from aiobotocore.session import get_session
from google import genai

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
    for name in (
        "OPENAI_API_VERSION",
        "AZURE_OPENAI_AD_TOKEN",
        "OPENAI_BASE_URL",
        "AZURE_OPENAI_ENDPOINT",
        "GOOGLE_API_KEY",
        "GOOGLE_GENAI_USE_VERTEXAI",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
    ):
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
    gemini = genai.Client()
    assert gemini._api_client._http_options.base_url == base and gemini._api_client.api_key
    bedrock = boto3.client("bedrock-runtime")
    assert bedrock.meta.endpoint_url == base and bedrock.meta.region_name == "us-east-1"
    assert bedrock._request_signer._credentials.access_key  # boto3 finds credentials to sign with


def test_the_async_bedrock_client_reaches_the_fake_llm(
    tmp_path: Path, clean_shell: pytest.MonkeyPatch
) -> None:
    env, base = _env(tmp_path)
    for name, value in env.items():
        clean_shell.setenv(name, value)

    async def endpoint() -> str:
        async with get_session().create_client("bedrock-runtime") as bedrock:
            url: str = bedrock.meta.endpoint_url
            return url

    assert asyncio.run(endpoint()) == base


def test_aws_credentials_and_region_from_the_user_or_the_shell_are_kept(
    tmp_path: Path, clean_shell: pytest.MonkeyPatch
) -> None:
    env, _ = _env(tmp_path, AWS_PROFILE="work", AWS_REGION="eu-west-3")
    assert not {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"} & env.keys()
    clean_shell.setenv("AWS_ACCESS_KEY_ID", "AKIA-real")
    clean_shell.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    env, _ = _env(tmp_path)
    assert not {"AWS_ACCESS_KEY_ID", "AWS_DEFAULT_REGION"} & env.keys()


def test_the_users_key_and_api_version_are_kept(tmp_path: Path, clean_shell: pytest.MonkeyPatch) -> None:
    env, _ = _env(tmp_path, AZURE_OPENAI_API_KEY="mine", OPENAI_API_VERSION="2025-01-01-preview")
    assert env["AZURE_OPENAI_API_KEY"] == "mine" and env["OPENAI_API_VERSION"] == "2025-01-01-preview"
    # One set in the shell is inherited by the app (the child's environment is layered over this one).
    clean_shell.setenv("OPENAI_API_VERSION", "2024-06-01")
    env, _ = _env(tmp_path)
    assert "OPENAI_API_VERSION" not in env
