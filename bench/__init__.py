"""bench: runs load against scenario variants and measures them.

Kept import-light on purpose: `awaitbench --help` and the subprocesses it spawns must start fast,
so heavy modules (matplotlib, locust via its CLI) are imported only where they are used.
"""
