"""The base of every user error, so the CLI can catch them all without importing what raises them."""

from __future__ import annotations


def shortened(text: str, limit: int) -> str:
    """text, or its first limit - 3 characters and "...": a message quotes what it names, not a megabyte of it."""
    return text if len(text) <= limit else text[:limit - 3] + "..."


class UserError(Exception):
    """A mistake in what the user gave (a file, a value, a process): str() is the one line to print."""
