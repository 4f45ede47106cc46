"""What backs each mapping of a live process, as the map and the details panel show it (key b).

The counters come from /proc/PID/smaps (proc/smaps.py); each mapping is
shaded by its largest share: anonymous memory, page cache, swap, or nothing
yet (a mapping no one has touched has no pages behind it).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from vaslayout.core.units import fmt_size
from vaslayout.proc.smaps import Backing, totals
from vaslayout.render import Rows

COLOURS = {  # one hue per backing, apart from the kinds' colours so a shaded map reads at once
    "anonymous": "#e08a3c",
    "page cache": "#4aa3df",
    "swapped": "#c65bd6",
    "untouched": "#5c5c5c",
}


def shades(rows: Sequence[Backing]) -> dict[int, str]:
    """A mapping's start -> the colour of what backs it."""
    return {b.mapping.start: COLOURS[b.backing] for b in rows}


def backing_rows(b: Backing) -> Rows:
    """The details panel's rows for one mapping: what backs it and smaps' numbers."""
    rows: Rows = [("backing", Text(b.backing, style=f"bold {COLOURS[b.backing]}"))]
    rows.append(("resident", Text(f"Rss {fmt_size(b.rss)}, Pss {fmt_size(b['Pss'])}")))
    rows.append(("", Text(f"anonymous {fmt_size(b.anonymous)}, page cache {fmt_size(b.page_cache)}, "
                          f"swap {fmt_size(b.swap)}, untouched {fmt_size(b.untouched)}")))
    shared = b["Shared_Clean"] + b["Shared_Dirty"]
    private = b["Private_Clean"] + b["Private_Dirty"]
    rows.append(("", Text(f"shared {fmt_size(shared)}, private {fmt_size(private)}"
                          + (f", THP {fmt_size(b['AnonHugePages'])}" if b["AnonHugePages"] else "")
                          + (" (THP eligible)" if b.thp_eligible else ""), style="dim")))
    if b.vmflags:
        rows.append(("VmFlags", Text(" ".join(b.vmflags), style="dim")))
    return rows


def legend(rows: Sequence[Backing]) -> Text:
    """The legend while the map is shaded, with the process's totals."""
    text = Text()
    for name, colour in COLOURS.items():
        text.append("██ ", style=colour)
        text.append(f"{name}\n")
    text.append(totals(rows).sentence() + "\n", style="italic")
    text.append("(b: the kinds' colours again)", style="dim")
    return text
