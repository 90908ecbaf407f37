"""The load generators, each in a process of its own: Locust for closed-loop users, the project's one
generator for offered rates and `awaitbench perf`, and diagnose's small driver.

docs/bench.md lists the modules and which command drives which."""
