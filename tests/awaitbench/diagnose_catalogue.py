"""The catalogue as a labelled data set for `awaitbench diagnose`: each pitfall variant, diagnosed as a user
app, must get its own scenario's finding; each fix variant must get none.

Shared by the live precision test (`tests/awaitbench/test_diagnose_precision.py`) and the recorder of the
classifiers' fixtures (`python -m tests.awaitbench.diagnose_catalogue --record`), which runs the same
diagnoses and keeps each variant's evidence in `tests/awaitbench/detect/diagnose/fixtures/` so the classifier
unit
tests judge real catalogue figures without starting a process.

Short phases keep the 24 diagnoses to a minute or two on two cores: 10 users, 1.5 s load phases, a 2 s hang
probe, Retry-After 200 ms. Scenario apps serve no OpenAPI schema, so each gets a requests file written
from its `RequestSpec`; a scenario with a database gets `--env DATABASE_URL=` of a seeded PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from awaitbench.detect.diagnose.classify import CLASSIFIERS
from bench.processes import awaitbench_argv
from scenarios import get

__all__ = ["PRECISION_SCENARIOS", "TEST_SETTINGS", "Case", "cases", "diagnose_case", "run_all"]

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "awaitbench" / "detect" / "diagnose" / "fixtures"
# Every scenario the diagnosis has a classifier for (one module per pitfall, named after it), so a new
# classifier is precision-tested over its scenario's variants without an edit here.
PRECISION_SCENARIOS = tuple(classify.__module__.rsplit(".", 1)[1] for classify in CLASSIFIERS)
TEST_SETTINGS = (
    "--users", "10",
    "--one-user-requests", "4",
    "--load-s", "1.5",
    "--warmup-s", "0.5",
    "--hang-s", "2",
    "--retry-after-ms", "200",
)  # fmt: skip


@dataclass(frozen=True)
class Case:
    """One variant of the catalogue and what it must give."""

    scenario: str
    variant: str
    role: str  # "pitfall" or "fix"

    @property
    def id(self) -> str:
        return f"{self.scenario}__{self.variant}"

    @property
    def factory(self) -> str:
        return get(self.scenario).variant(self.variant).factory


def cases() -> Iterator[Case]:
    for scenario_id in PRECISION_SCENARIOS:
        scenario = get(scenario_id)
        yield Case(scenario_id, scenario.pitfall_variant, "pitfall")
        yield Case(scenario_id, scenario.fix_variant, "fix")


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def requests_file(case: Case, directory: Path) -> Path:
    """The scenario's request as a `--requests` file."""
    spec = get(case.scenario).request
    lines = ["[[request]]", f'name = "{case.scenario}"', f'method = "{spec.method}"', f'path = "{spec.path}"']
    if spec.json_body is not None:
        lines.append(f"json = {_toml_value(dict(spec.json_body))}")
    path = directory / f"{case.id}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def diagnose_case(
    case: Case, directory: Path, database_url: str | None = None
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run `awaitbench diagnose FACTORY --factory` for one variant (`database_url`: the seeded PostgreSQL a
    database scenario reads); returns the process and its JSON path."""
    scenario = get(case.scenario)
    out = directory / f"{case.id}.json"
    argv = awaitbench_argv(
        "diagnose", case.factory, "--factory", "--requests", str(requests_file(case, directory)),
        "--json", str(out), *TEST_SETTINGS,
    )  # fmt: skip
    env = dict(scenario.app_env)
    if scenario.database is not None:
        if database_url is None:
            raise ValueError(f"{case.id} reads a database: pass the URL of one seeded for it")
        env["DATABASE_URL"] = database_url
    for key, value in env.items():
        argv += ["--env", f"{key}={value}"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=240, cwd=ROOT)
    return done, out


def run_all(
    directory: Path, *, database_url: str | None = None, only: tuple[str, ...] = (), parallel: int = 2
) -> dict[str, tuple[subprocess.CompletedProcess[str], Path]]:
    """Every case (of the scenarios in `only`, when given), `parallel` diagnoses at a time (each is a
    handful of processes)."""
    directory.mkdir(parents=True, exist_ok=True)
    chosen = [case for case in cases() if not only or case.scenario in only]
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        futures = {case.id: pool.submit(diagnose_case, case, directory, database_url) for case in chosen}
        return {case_id: future.result() for case_id, future in futures.items()}


def _trim(document: dict[str, Any]) -> dict[str, Any]:
    """Keep a fixture small: blocking stacks keep the app's frames and the innermost one."""
    for route in document["routes"]:
        figures = route.get("figures") or {}
        for name in ("one_user", "load", "threadpool"):
            phase = figures.get(name)
            for site in (phase or {}).get("loop", {}).get("sites", []):
                stack = site["stack"]
                site["stack"] = [f for f in stack[:-1] if f["user_code"]] + stack[-1:]
        for finding in route["findings"]:
            finding["stack"] = finding["stack"][-6:]
    return document


def record(directory: Path = FIXTURES, only: tuple[str, ...] = ()) -> None:
    """Run every case (of the scenarios in `only`, when given) and keep each variant's diagnosis as a
    classifier fixture; the database scenarios read a fresh PostgreSQL seeded for them."""
    import tempfile

    from bench.postgres import fresh_postgres, seed
    from scenarios._database import DATABASE

    with tempfile.TemporaryDirectory() as tmp, fresh_postgres(log_dir=Path(tmp)) as pg:
        seed(pg.url, DATABASE.seed_sql)
        for case_id, (done, out) in run_all(Path(tmp), database_url=pg.url, only=only).items():
            if done.returncode != 0:
                raise SystemExit(f"{case_id}: exit {done.returncode}\n{done.stderr[-2000:]}")
            document = _trim(json.loads(out.read_text()))
            (directory / f"{case_id}.json").write_text(json.dumps(document, indent=1) + "\n")
            print(case_id, [f["pitfall"] for r in document["routes"] for f in r["findings"]])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--record", action="store_true", help="re-record tests/awaitbench/detect/diagnose/fixtures/"
    )
    parser.add_argument("--only", nargs="*", default=[], metavar="SCENARIO", help="these scenarios only")
    args = parser.parse_args()
    if args.record:
        FIXTURES.mkdir(parents=True, exist_ok=True)
        record(only=tuple(args.only))
    sys.exit(0)
