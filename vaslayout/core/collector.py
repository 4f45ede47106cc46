"""When the cyclic garbage collector runs: the one place that switches it off and on.

Start-up and parsing make many new objects and no cycles among them, and
the collector would walk the growing heap again and again for nothing
(a tenth of `open`'s time to the first frame, ~10% of a big maps parse).
A short CLI run keeps it off; a long-lived app turns it back on after its
first frame, with the start-up objects frozen out of later collections.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside the block; the collector is left as it was found."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def is_paused() -> bool:
    """Whether a caller (the CLI's short run) has the collector off."""
    return not gc.isenabled()


def resume_for_long_run() -> None:
    """Objects made so far live as long as the app: freezing them keeps later collections from walking
    them again. Then collect as usual."""
    gc.freeze()
    gc.enable()
