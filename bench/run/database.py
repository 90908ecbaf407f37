"""The database of a run: which selected scenarios need one, whether this machine can give them one, and a
seeded PostgreSQL for them (a fresh server, or `--db-url`) from before the first point to the run's end."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from bench.errors import UsageError
from bench.postgres import fresh_postgres, missing_reason, seed
from bench.run.config import RunConfig
from bench.run.plan import Selection

__all__ = ["run_database", "without_unavailable_database"]


def _needing(selections: Sequence[Selection]) -> list[Selection]:
    return [sel for sel in selections if sel.scenario.database is not None]


def without_unavailable_database(
    config: RunConfig, selections: Sequence[Selection]
) -> tuple[tuple[Selection, ...], str]:
    """The selections this machine can measure, and one line saying which were skipped and why ("" when
    none were): without `--db-url` the database scenarios need PostgreSQL installed here.

    Raises:
        UsageError: nothing is left to measure (the line says why).
    """
    needing = _needing(selections)
    reason = None if config.db_url is not None or not needing else missing_reason()
    if reason is None:
        return tuple(selections), ""
    kept = tuple(sel for sel in selections if sel.scenario.database is None)
    note = f"skipping {', '.join(sel.scenario.id for sel in needing)}: {reason}"
    if not kept:
        raise UsageError(note)
    return kept, note


@contextlib.contextmanager
def run_database(
    config: RunConfig, selections: Sequence[Selection], *, log_dir: Path, env: dict[str, str]
) -> Iterator[str | None]:
    """The `DATABASE_URL` of the run's scenarios, seeded with each one's data (None: none uses a database).

    A fresh server (logs in `log_dir`, `env` on its processes) is stopped and its data removed when the
    block ends, however it ends; a `--db-url` server is only seeded.
    """
    needing = _needing(selections)
    scripts = list(dict.fromkeys(sel.scenario.database.seed_sql for sel in needing if sel.scenario.database))
    if not scripts:
        yield None
        return
    with contextlib.ExitStack() as stack:
        url = config.db_url
        if url is None:
            url = stack.enter_context(fresh_postgres(log_dir=log_dir, env=env)).url
        for script in scripts:
            seed(url, script)
        yield url
