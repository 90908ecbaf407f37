"""The load generator side: Locust's command line for one point, and the locustfile that runs inside it.

`locustfile.py` is only ever imported by a `locust` subprocess (importing locust monkey-patches the
interpreter with gevent); `locust_run` builds its command line and reads what it leaves behind.
"""
