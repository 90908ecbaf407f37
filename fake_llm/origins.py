"""Which browser origins may call fake_llm: loopback ones, plus any the operator allows (others get 403)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__ = ["OriginPolicy", "is_loopback_origin"]


def is_loopback_origin(origin: str) -> bool:
    """True for `scheme://host[:port]` whose host is a loopback name or address."""
    try:
        parts = urlsplit(origin)
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        return False
    if not parts.scheme or not host or parts.path not in ("", "/"):
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class OriginPolicy:
    """Decides whether a request's `Origin` header may call the API.

    Args:
        allowed: extra origins, normalised (`LimitsConfig.origins()`); "*" allows every origin.
    """

    def __init__(self, allowed: frozenset[str]) -> None:
        self._any = "*" in allowed
        self._allowed = allowed

    def allows(self, origin: bytes) -> bool:
        """Whether a request carrying `Origin: origin` may proceed (a request without one always may)."""
        if self._any:
            return True
        text = origin.decode("latin-1").strip().lower().rstrip("/")
        return text in self._allowed or is_loopback_origin(text)
