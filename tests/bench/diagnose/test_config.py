"""DiagnoseConfig: values out of range are usage errors naming the flag; --env pairs are checked."""

from __future__ import annotations

from typing import Any

import pytest

from bench.diagnose.config import DiagnoseConfig, parse_env_pairs
from bench.errors import UsageError


def test_defaults_are_valid_and_recorded_in_the_settings() -> None:
    config = DiagnoseConfig(app="examples.llm_service.app:app")
    assert config.settings["users"] == 20 and config.settings["upstream_latency_ms"] == 100.0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"users": 0}, "--users must be between 1 and 2000, got 0"),
        ({"load_s": float("nan")}, "--load-s must be between"),
        ({"warmup_s": 4.0}, "--warmup-s (4) must be shorter than --load-s (4)"),
        ({"app": "myservice"}, "'myservice' is not an import string"),
        ({"app": "a:b:c"}, "'a:b:c' is not an import string"),
    ],
)
def test_bad_values_name_their_flag(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        DiagnoseConfig(**{"app": "m:app", **changes})
    assert message in str(caught.value)


def test_env_pairs() -> None:
    assert parse_env_pairs(("A=1", "B_C=x=y")) == {"A": "1", "B_C": "x=y"}
    with pytest.raises(UsageError, match="'A' is not KEY=VALUE"):
        parse_env_pairs(("A",))
    with pytest.raises(UsageError, match=r"OPENAI_BASE_URL=\.\.\. is set by diagnose"):
        parse_env_pairs(("OPENAI_BASE_URL=http://x",))
    with pytest.raises(UsageError, match=r"AZURE_OPENAI_ENDPOINT=\.\.\. is set by diagnose"):
        parse_env_pairs(("AZURE_OPENAI_ENDPOINT=https://x.openai.azure.com",))
    for name in ("GOOGLE_GEMINI_BASE_URL", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"):
        with pytest.raises(UsageError, match=rf"{name}=\.\.\. is set by diagnose"):
            parse_env_pairs((f"{name}=https://x",))
    # A key and an API version are the user's to give (diagnose only fills them in when missing).
    assert parse_env_pairs(("AZURE_OPENAI_API_KEY=k", "OPENAI_API_VERSION=2025-01-01-preview")) == {
        "AZURE_OPENAI_API_KEY": "k",
        "OPENAI_API_VERSION": "2025-01-01-preview",
    }
