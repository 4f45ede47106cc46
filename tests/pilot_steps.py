"""Steps Pilot tests share. The tests import it as `tests.pilot_steps`."""

from __future__ import annotations


async def settle(pilot, times: int = 4) -> None:
    """Let the app handle what the last key or message queued (each pause is one round of messages)."""
    for _ in range(times):
        await pilot.pause()
