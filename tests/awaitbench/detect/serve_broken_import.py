"""A module whose import fails the way a misconfigured service does (served by awaitbench.detect.serve in a
test)."""

raise KeyError("SETTINGS_FILE")
