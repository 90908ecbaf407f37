"""`awaitbench diagnose` as a library: exercise a team's own app against a fresh fake LLM, route by route.

Modules: `config` (DiagnoseConfig: the one typed configuration, flags generated from it), `targets` (the
requests to send: a `--requests` TOML file or the app's OpenAPI schema, `openapi`), `children` (the fake
LLM in its modes, the app under `awaitbench.detect.serve`, the load driver), `phases` (one phase or fault
probe of one
route, read into `awaitbench.detect.diagnose.evidence`), `runner` (the whole timeline). The judgement is
`awaitbench.detect.diagnose.judge`; the CLI is `awaitbench/commands/diagnose.py`.
"""
