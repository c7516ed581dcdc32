"""The two kinds of failure every Wearhouse component distinguishes."""

from __future__ import annotations


class WearhouseError(Exception):
    """Base of all Wearhouse errors."""


class TerminalError(WearhouseError):
    """Bad input: quarantine or dead-letter it; retrying cannot help."""


class TransientError(WearhouseError):
    """A store or broker is unavailable: retry with back-off."""
