"""How well two runs agree on each scenario's headline.

    python scripts/headline_repeatability.py RUN_A RUN_B

Prints a Markdown table (docs/bench.md keeps the one for two back-to-back `make bench` runs): per scenario
its headline metric at its reference load, the pitfall's and the fix's value in each run, the ratio, and
the largest relative difference of the three; then each run's invalid and unsteady points. Why not
`awaitbench compare`: that compares every point on req/s and latency; the repeatability target is about
the headline figures the overview and the README show.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value * 100:.1f}%" if unit == "%" else f"{value:,.2f}"


def _difference(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    return 0.0 if a == b else abs(a - b) / max(abs(a), abs(b))


def main(argv: list[str]) -> int:
    from bench.results import load_run
    from bench.results.summary import summarize

    if len(argv) != 2:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    runs = [load_run(path) for path in argv]
    first, second = ({s.scenario.id: s for s in summarize(run)} for run in runs)
    columns = ("scenario", "headline (users)", "pitfall: run 1 / run 2", "fix: run 1 / run 2", "ratio")
    print("| " + " | ".join(columns) + " | largest difference |")
    print("|---|---|---|---|---|---|")
    for scenario_id, pair in first.items():
        a, b = pair.headline, second[scenario_id].headline if scenario_id in second else None
        if a is None or b is None:
            continue
        unit = a.info.unit
        differences = [
            _difference(x, y) for x, y in ((a.pitfall, b.pitfall), (a.fix, b.fix), (a.ratio, b.ratio))
        ]
        worst = max((d for d in differences if d is not None), default=None)
        ratios = " / ".join("-" if r is None else f"x{r:.2f}" for r in (a.ratio, b.ratio))
        cells = (
            scenario_id,
            f"{a.info.name} ({a.users})",
            f"{_value(a.pitfall, unit)} / {_value(b.pitfall, unit)}",
            f"{_value(a.fix, unit)} / {_value(b.fix, unit)}",
            ratios,
            "-" if worst is None else f"{worst * 100:.0f} %",
        )
        print("| " + " | ".join(cells) + " |")
    for label, run in zip(("run 1", "run 2"), runs, strict=True):
        flagged = [p.id for p in run.points if p.status != "ok" or not p.valid or not p.steady]
        listed = ", ".join(flagged) or "none"
        print(f"\n{label} ({run.path}): {len(run.points)} points; invalid, failed or unsteady: {listed}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
