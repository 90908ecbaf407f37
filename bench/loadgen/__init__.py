"""The load generators: Locust for `awaitbench run`, and `closed_loop`, diagnose's small driver.

`locustfile.py` is only ever imported by a `locust` subprocess (importing locust monkey-patches the
interpreter with gevent); `locust_run` builds its command line and reads what it leaves behind.
`closed_loop` is a process of its own too (`python -m bench.loadgen.closed_loop`): an aiohttp closed loop
that starts in a fraction of a second.
"""
