"""Running a benchmark: the typed run configuration, the plan, one point end to end, the orchestrator.

Starts processes (fake_llm, the variant app, the load generator) and writes the results directory.
"""
