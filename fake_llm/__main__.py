"""`python -m fake_llm`: serve the fake LLM without the rest of awaitbench (see `fake_llm.cli`)."""

from __future__ import annotations

from fake_llm.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
