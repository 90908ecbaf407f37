"""Find async pitfalls in a team's own service, before it runs and while it runs.

- `awaitbench.detect.lint`: the static half. It reads Python source and reports the catalogue's pitfalls (a
sync client
  inside `async def`, a client built per request, independent awaits in a row, unbounded fan-out, blocking
  work on the loop, no deadline, stacked retries, a forgotten await).
- `awaitbench.detect.watchdog`: the runtime half. A monitor thread names the line that blocks an event loop,
tells
  running from parked, watches anyio's threadpool and catches never-awaited coroutines; used from code
  (`watch_loop`), as a pytest plugin (`awaitbench.detect.pytest_plugin`) and as ASGI middleware
  (`awaitbench.detect.middleware`).
- `awaitbench.detect.probe`: the in-app probe the bench reads (loop lag, threadpool occupancy).

Kept import-light on purpose: the pytest plugin is loaded into every pytest run of anyone who installs
awaitbench, so importing `detect` must cost nothing; import what you use from its modules. `detect` reads
or runs inside the user's code and imports none of bench, reports, scenarios or awaitbench: the scenario
ids it reports are plain strings, and the text that says what a pitfall costs is handed in by the caller.
"""
