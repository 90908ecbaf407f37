"""Find async pitfalls in a team's own service, before it runs and while it runs."""
