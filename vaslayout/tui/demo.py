"""`vaslayout demo malloc` in the map: n runs the next malloc/touch/free in the child, the map follows.

The child is a live process like any other (the session's LiveSource); after
each step the map re-reads its maps and the cursor goes to the block, so
[heap] is seen growing and the 1 MiB block arriving as its own mapping.
"""

from __future__ import annotations

from rich.console import Group
from rich.text import Text

from vaslayout.teach.malloc_demo import COMMANDS, Snapshot


def demo_caption(snap: Snapshot) -> Group:
    """The step counter, what the step did (as the kernel shows it) and why."""
    *facts, why = snap.lines()
    head = Text.assemble(("malloc demo  ", "bold"), (f"{snap.step}/{len(COMMANDS)}", "bold #ffd000"),
                         f"  {facts[0].removeprefix(f'step {snap.step}: ')}",
                         ("   n: next" if snap.step < len(COMMANDS) else "   the end: q quits", "dim"))
    return Group(head, *(Text(f) for f in facts[1:]), Text(why.strip(), style="italic"))
