"""Errors fake_llm raises; its CLI (`python -m fake_llm`, or `awaitbench fake-llm`) maps them to exit codes.

ConfigError is a usage error and ServeError an environment error (the configuration is valid but this machine
refuses it: a taken port, a host that is not ours, an unwritable `--tls-dir`); both exit 2, as usage and
environment errors do in every awaitbench command (docs/contracts.md). StatsFormatError is raised on the
reading side of `/stats` (`StatsSnapshot.from_json`). Each carries a one-line message that names the
setting, resource or key and the fix.
"""

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
