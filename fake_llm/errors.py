"""Errors raised by fake_llm's configuration layer (the CLI maps ConfigError to exit code 2)."""

from __future__ import annotations

__all__ = ["ConfigError"]


class ConfigError(ValueError):
    """A bad flag, env var or config-file entry; the message names the setting and how to fix it."""
