"""The details panel: the selected region, the cursor's translation, a legend."""

from __future__ import annotations

from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from vaslayout.kinds import kind
from vaslayout.model import Layout, Region
from vaslayout.render import region_style, translation_view
from vaslayout.translate import translate
from vaslayout.units import fmt_addr, fmt_size


def region_card(layout: Layout, region: Region) -> Table:
    bits = layout.address_bits
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    grid.add_row("region", Text(region.name, style=f"bold {kind(region.kind).colour}"))
    grid.add_row("kind", Text(f"{region.kind}  ({kind(region.kind).label})", style=region_style(region)))
    grid.add_row("start", fmt_addr(region.start, bits))
    grid.add_row("end", Text.assemble(fmt_addr(region.last, bits), (" (inclusive)", "dim")))
    grid.add_row("size", fmt_size(region.size))
    if region.rule is not None:
        r = region.rule
        rule = {"linear": f"linear: phys = address - start + {fmt_addr(r.phys, bits)}"
                + (f", first {fmt_size(r.limit)} backed" if r.limit is not None else ""),
                "struct-page": f"struct page ({r.struct_size} bytes) per pfn",
                "kasan-shadow": "KASAN shadow: 1 byte per 8 bytes"}.get(r.name, r.name)
        grid.add_row("maps to", rule)
    if region.children:
        grid.add_row("inside", f"{len(region.children)} regions (Enter zooms in)")
    if region.description:
        grid.add_row("", Text(region.description, style="italic"))
    if region.source:
        grid.add_row("source", Text(region.source, style="dim"))
    return grid


def legend(layout: Layout) -> Text:
    seen: list[str] = []
    for r in layout.leaves:
        if r.kind not in seen:
            seen.append(r.kind)
    text = Text()
    for name in seen:
        k = kind(name)
        text.append("██ ", style=f"dim {k.colour}" if k.dim else k.colour)
        text.append(f"{k.label}\n", style="dim" if k.dim else "")
    return text


class Details(VerticalScroll, can_focus=False):
    """Follows the map: what is selected, what is under the cursor."""

    # The card has a fixed height so that following the cursor repaints it
    # without a relayout of the screen (a relayout costs more than the map).
    DEFAULT_CSS = """
    Details { padding: 0 1; }
    Details > .section { color: $text-muted; text-style: bold; margin-top: 1; }
    Details > #info { height: 44; }
    """

    def compose(self):
        yield Static(id="info")
        yield Static("Legend", classes="section")
        yield Static(id="legend")

    def show(self, layout: Layout, region: Region | None, cursor: int) -> None:
        heading = Style(bold=True, color="grey62")
        self.query_one("#info", Static).update(Group(
            Text("\nSelected region", style=heading),
            region_card(layout, region) if region else Text("none", style="dim"),
            Text("\nCursor address", style=heading),
            translation_view(layout, translate(layout, cursor), ranges=False),
        ), layout=False)

    def show_legend(self, layout: Layout) -> None:
        self.query_one("#legend", Static).update(Group(legend(layout)))
