"""Find async pitfalls in a team's own service, before and while it runs.

`detect.lint` is the static half: it reads Python source and reports the catalogue's pitfalls (a sync
client inside `async def`, a client built per request, independent awaits in a row, unbounded fan-out,
blocking work on the loop, no deadline, stacked retries, a forgotten await). It reads the user's code and
therefore imports none of awaitbench's `bench`, `reports` or `scenarios`: the scenario ids it reports are
plain strings, and the text that says what a pitfall costs is handed in by the caller.
"""
