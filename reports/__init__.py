"""Results to charts and documents: `awaitbench report` and `awaitbench compare`.

Reads a results directory (`bench.results`); never starts a process. Entry points:
`reports.render.render_report` and `reports.compare.compare_runs` with
`reports.compare_report.write_compare`; matplotlib loads only to render."""

__all__: list[str] = []
