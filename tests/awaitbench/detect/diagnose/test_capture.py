"""The capture inside a process, with the real clients against a real fake LLM: requests (urllib3) and
aiohttp to provider hosts reach it in their dialect; a host that is not a provider is left alone and noted
with its error; calls made to the fake LLM itself are noted as such. The capture patches the clients for
the whole process, so each case runs in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

SCRIPT = """
import asyncio, json, sys
import aiohttp, requests
from awaitbench.detect.diagnose.capture import Capture, install

capture = install(Capture(upstream_host="127.0.0.1", upstream_port=int(sys.argv[1])))
chat = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
out = {}
out["requests_openai"] = requests.post("https://api.openai.com/v1/chat/completions", json=chat).status_code
out["requests_azure"] = requests.post(
    "https://contoso.openai.azure.com/openai/deployments/gpt4/chat/completions?api-version=2024-10-21",
    json=chat, headers={"api-key": "k"},
).status_code
upstream = f"http://127.0.0.1:{sys.argv[1]}"
out["env_routed"] = requests.post(upstream + "/v1/chat/completions", json=chat).status_code

async def main():
    async with aiohttp.ClientSession(base_url="https://api.groq.com") as session:
        async with session.post("/openai/v1/chat/completions", json=chat) as response:
            out["aiohttp_groq"] = response.status
    try:
        async with aiohttp.ClientSession() as session:
            await session.get("https://db.capture-test.invalid/rest")
    except aiohttp.ClientError as exc:
        out["uncaptured"] = type(exc).__name__

asyncio.run(main())
out["hosts"] = [h.__dict__ for h in capture.log.hosts()]
print(json.dumps(out))
"""


def test_provider_calls_reach_the_fake_llm_and_every_host_is_noted(
    start_fake_llm: Callable[..., str],
) -> None:
    base = start_fake_llm(preset="instant")
    port = base.rsplit(":", 1)[1]
    done = subprocess.run([sys.executable, "-c", SCRIPT, port], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    out: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    assert (out["requests_openai"], out["requests_azure"], out["aiohttp_groq"], out["env_routed"]) == (
        200, 200, 200, 200,
    )  # fmt: skip
    assert out["uncaptured"] == "ClientConnectorDNSError" or out["uncaptured"].startswith("ClientConnector")
    hosts = {h["host"]: h for h in out["hosts"]}
    assert (hosts["api.openai.com"]["dialect"], hosts["api.openai.com"]["via"]) == ("openai", "urllib3")
    assert hosts["contoso.openai.azure.com"]["dialect"] == "azure"
    assert (hosts["api.groq.com"]["dialect"], hosts["api.groq.com"]["via"]) == ("openai", "aiohttp")
    assert hosts["127.0.0.1"]["captured"] and hosts["127.0.0.1"]["dialect"] is None
    missing = hosts["db.capture-test.invalid"]
    assert not missing["captured"] and missing["errors"] >= 1 and missing["last_error"]
