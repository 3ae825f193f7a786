"""The one exception the ``qkv-course`` command reports as a user's mistake, without a traceback."""

from __future__ import annotations

__all__ = ["UsageError"]


class UsageError(Exception):
    """A bad argument or input file: ``qkv-course`` prints the message and exits with status 2."""
