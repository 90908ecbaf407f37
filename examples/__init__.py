"""Example services that awaitbench diagnoses: code as a team would write it, pitfalls included.

Not part of the installed package: run them from the repository root, where `--app-dir .` (the
default) makes `examples.llm_service.app:app` importable, as uvicorn would.
"""
