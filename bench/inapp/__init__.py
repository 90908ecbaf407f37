"""Code that runs inside the app under test (the loop-lag and threadpool probe), kept separable from the
rest of bench: it imports nothing of bench, so it can move to `detect/` with its callers unchanged."""
