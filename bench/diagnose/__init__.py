"""`awaitbench diagnose` as a library: exercise a team's own app against a fresh fake LLM, route by route."""
