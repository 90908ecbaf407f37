"""Fixtures of the fake_llm tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.processes import ManagedProcess, ProcessSpec, free_port
from fake_llm.launch import fake_llm_argv


@pytest.fixture(scope="session")
def fast_llm() -> Iterator[str]:
    """One real server for the tests that only read replies (no fault schedules, no limits), so they share
    it and its start-up (a test that reads /stats resets them first); its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = fake_llm_argv(port=port, preset="instant", settings={"seed": 7})
    with ManagedProcess(ProcessSpec(name="fake_llm", argv=argv, ready_url=f"{base}/health")):
        yield base
