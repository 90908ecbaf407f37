"""What `awaitbench diagnose` judges and runs inside a team's own app."""

__all__ = list[str]()  # nothing at package level: import the module you use
