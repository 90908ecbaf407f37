"""The load generators: Locust for closed-loop users, the project's one generator for offered rates and for
`awaitbench perf`, and diagnose's small driver. Each runs in a process of its own.

Locust (`awaitbench run --users`): `locustfile.py` is only ever imported by a `locust` subprocess (importing
locust monkey-patches the interpreter with gevent); `locust_run` builds its command line and reads its CPU
warnings.

The project's generator (one generator, one place; `awaitbench run --rate` and `awaitbench perf` both use
it): `schedule` (when each request is due: constant or seeded Poisson), `wire` (HTTP/1.1 bytes out and in),
`open_loop` (the engine: connections, the schedule, `max_outstanding`), `open_loop_config` (its typed
settings, sent to the process as JSON), `cpu_window` (its CPU and the server's over a window), and its
modes: `open_loop_log` (log mode, for a point of `awaitbench run --rate`), `open_loop_step` (an open-loop
step at a rate, for `awaitbench perf`'s search) and `connections_step` (a closed-loop step over N
connections, for `awaitbench perf`'s Little-bound and saturation points). `open_loop_main` is its process
entry point and `open_loop_run` the orchestrator's side (a point's config, command line and cores).

Locust and the generator's log mode leave the same files behind (`logs`: start marker, one request-log line
per request), so a point's readers do not care which one ran.

`live_loop` is `awaitbench demo`'s driver (`python -m bench.loadgen.live_loop`): the generator's engine in a
closed loop whose users change while it runs, reporting per-interval figures (`intervals`: counts, an HDR
latency histogram, its own CPU) over loopback HTTP (`POST /target`, `POST /interval`).

`closed_loop` is `awaitbench diagnose`'s driver (`python -m bench.loadgen.closed_loop`): an aiohttp closed
loop that starts in a fraction of a second and stays up for a whole diagnosis, taking one phase at a time
over loopback HTTP (`POST /phase`, `POST /probe`). It shares no code with the generator above: it is an
HTTP client (aiohttp) driven phase by phase, measuring a route's behaviour, not microsecond timing.
"""
