"""Results to charts and documents: `awaitbench report` and `awaitbench compare`.

Reads a results directory (`bench.results`), never starts a process and never re-runs load. Entry points:
`reports.render.render_report` (charts, index.html, summary.md) and `reports.compare.compare_runs` with
`reports.compare_report.write_compare`. Nothing is imported here: matplotlib loads only when a report is
rendered.
"""

__all__: list[str] = []
