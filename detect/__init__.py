"""Pitfall detection inside (or over) the user's own code: the loop watchdog, its pytest plugin and ASGI
middleware, and the in-app probe the bench reads.

Kept import-light on purpose: the pytest plugin (`detect.pytest_plugin`) is loaded into every pytest run
of anyone who installs awaitbench, so importing `detect` must cost nothing. Import what you use from its
modules (`detect.watchdog`, `detect.middleware`, `detect.probe`). `detect` imports none of bench, reports,
scenarios or awaitbench.
"""
