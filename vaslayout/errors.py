"""The base of every user error, so the CLI can catch them all without importing what raises them."""

from __future__ import annotations


class UserError(Exception):
    """A mistake in what the user gave (a file, a value, a process): str() is the one line to print."""
