"""The load generator side: Locust for closed-loop users, the project's open-loop generator for offered rates.

Closed loop: `locustfile.py` is only ever imported by a `locust` subprocess (importing locust monkey-patches
the interpreter with gevent); `locust_run` builds its command line and reads its CPU warnings.

Open loop (one generator, one place; `awaitbench run --rate` and `awaitbench perf` both use it):
`schedule` (when each request is due: constant or seeded Poisson), `wire` (HTTP/1.1 bytes out and in),
`open_loop` (the engine: connections, the schedule, `max_outstanding`), `open_loop_config` (its typed
settings, sent to the process as JSON), `open_loop_log` (log mode, for a point), `open_loop_step`
(step mode, for `awaitbench perf`), `open_loop_main` (the process entry point) and `open_loop_run`
(the orchestrator's side: a point's config, command line and cores).

Both generators leave the same files behind (`logs`: start marker, one request-log line per request).
"""
