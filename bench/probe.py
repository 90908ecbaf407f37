"""In-process probe for scenario apps under load: event-loop lag, CPU, RSS, fds, threadpool occupancy.

`instrument(app)` wraps a variant's ASGI app; `awaitbench serve --probe` applies it. (Placeholder: the
bench issue fills in the measurement; until then the app is returned unchanged.)
"""

from __future__ import annotations

from typing import Any

__all__ = ["instrument"]


def instrument(app: Any) -> Any:
    return app
