"""Errors fake_llm raises: ConfigError (usage) and ServeError (environment), both exit 2.

StatsFormatError is raised on the reading side of `/stats`."""

from __future__ import annotations

__all__ = ["ConfigError", "FakeLLMError", "ServeError", "StatsFormatError"]


class FakeLLMError(Exception):
    """Base of fake_llm's own errors; the message is one line a user can act on."""


class ConfigError(FakeLLMError, ValueError):
    """A bad flag, env var, config-file entry or typed setting value; the message names it and the fix."""


class ServeError(FakeLLMError):
    """The server cannot start with a valid configuration (port taken, host unusable, TLS dir unwritable)."""


class StatsFormatError(FakeLLMError, ValueError):
    """A `/stats` document that is not what this fake_llm serves: a key missing or of the wrong type."""
