"""The details panel: the selected region, the cursor's translation, a legend."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.containers import VerticalScroll
from textual.geometry import Region as Area
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from vaslayout.core.kinds import kind
from vaslayout.core.model import Layout, Region
from vaslayout.core.rules import rule_kind
from vaslayout.core.translate import translate
from vaslayout.core.units import fmt_addr, fmt_size
from vaslayout.render import Rows, region_style, translation_rows
from vaslayout.tui.lines import cropped, finished, line_filters


def region_rows(layout: Layout, region: Region) -> Rows:
    bits = layout.address_bits
    k = kind(region.kind)
    rows: Rows = [
        ("region", Text(region.name, style=f"bold {k.colour}")),
        ("kind", Text(f"{region.kind}  ({k.label})", style=region_style(region))),
        ("start", Text(fmt_addr(region.start, bits))),
        ("end", Text.assemble(fmt_addr(region.last, bits), (" (inclusive)", "dim"))),
        ("size", Text(fmt_size(region.size))),
    ]
    if region.rule is not None:
        r = region.rule
        rows.append(("maps to", Text(rule_kind(r).describe(r, bits))))
    if region.mapping is not None:
        m = region.mapping
        rows.append(("mapping", Text(f"{m.perms}  offset {m.offset:#x}  dev {m.dev}  inode {m.inode}")))
    if region.children:
        rows.append(("inside", Text(f"{len(region.children)} regions (Enter zooms in)")))
    if region.description:
        rows.append(("", Text(region.description, style="italic")))
    if region.source:
        rows.append(("source", Text(region.source, style="dim")))
    return rows


def rows_lines(rows: Rows, gap: int = 1, *, width: int, console: Console) -> list[Text]:
    """label_grid's look as lines of at most `width` cells: values wrap under themselves.

    Laid out once per update; a rich Table would be measured and laid out
    again by every repaint, which cost more than drawing the whole map.
    """
    label_w = max((len(label) for label, _ in rows), default=0) + gap
    value_w = max(width - label_w, 8)
    out = []
    for label, value in rows:
        plain = value.plain
        fits = value.cell_len <= value_w and "\n" not in plain and "\t" not in plain
        for i, line in enumerate([value] if fits else value.wrap(console, value_w, overflow="ellipsis")):
            out.append(Text.assemble((f"{label if i == 0 else '':<{label_w}}", "bold"), line))
    return out


STRIPS_KEPT = 256  # lines drawn once and kept by their look: moving back and forth redraws none

# What a card shows: lines as they are, and label/value rows wrapped to the card's width (with the gap
# after the labels).
Block = Text | tuple[Rows, int]


class Card(Widget):
    """Lines drawn with the Line API; only lines that changed are redrawn.

    The card wraps its rows to its own width when it is drawn, so the first
    screen is right before the card has ever been laid out, and a resize
    wraps them again without the caller.
    """

    DEFAULT_CSS = "Card { height: 44; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._blocks: list[Block] = []
        self._lines: list[Text] = []
        self._width = 0  # the width _lines were wrapped to
        self._strips: dict[int, Strip] = {}  # drawn on first use, for the current width and theme
        self._drawn: LRUCache[tuple, Strip] = LRUCache(STRIPS_KEPT)  # a line's look -> its strip, any y
        self._base: Style | None = None
        self._filters: tuple = ((), None)  # the app's line filters and their background, with _base

    def show(self, blocks: list[Block]) -> None:
        self._blocks = blocks
        if not self._width:
            return  # not drawn yet: wrapped when it is
        old, self._lines = self._lines, self._wrap(self._width)
        changed = [y for y in range(max(len(old), len(self._lines)))
                   if y >= len(old) or y >= len(self._lines) or old[y] != self._lines[y]]
        for y in changed:
            self._strips.pop(y, None)
        first = 0
        for i in range(1, len(changed) + 1):  # one refresh for each run of changed lines
            if i == len(changed) or changed[i] != changed[i - 1] + 1:
                self.refresh(Area(0, changed[first], self._width, changed[i - 1] - changed[first] + 1))
                first = i

    def _wrap(self, width: int) -> list[Text]:
        console, lines = self.app.console, []
        for block in self._blocks:
            if isinstance(block, Text):
                lines.append(block)
            else:
                lines += rows_lines(*block, width=width, console=console)
        return lines

    def _lines_at(self, width: int) -> list[Text]:
        if width != self._width:
            self._lines, self._width, self._strips = self._wrap(width), width, {}
        return self._lines

    @property
    def plain(self) -> str:
        return "\n".join(line.plain for line in self._lines_at(self.size.width or 60))

    def render_lines(self, crop: Area) -> list[Strip]:
        """The card's lines, drawn whole at its width, past Textual's CSS pipeline (tui/lines.py)."""
        return cropped(self, [self.render_line(y) for y in crop.line_range], crop)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        lines = self._lines_at(width)
        strip = self._strips.get(y)
        if strip is None:
            if self._base is None:  # both walk every ancestor's styles: once, not per line
                self._base, self._filters = self.rich_style, line_filters(self)
            console, base, filters = self.app.console, self._base, self._filters
            if y < len(lines):
                line = lines[y]
                look = (width, line.plain, str(line.style), tuple(line.spans))
                strip = self._drawn.get(look)
                if strip is None:  # render() leaves out the line's own style: applied here
                    strip = Strip(line.render(console)).apply_style(base + console.get_style(line.style))
                    strip = self._drawn[look] = strip.crop_extend(0, width, base)
            else:
                strip = Strip.blank(width, base)
            strip = self._strips[y] = finished(strip, *filters)  # the lines on the screen, finished
        return strip

    def notify_style_update(self) -> None:
        self._strips.clear()  # the theme changed: the base style with it
        self._drawn.clear()
        self._base = None
        super().notify_style_update()


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


_HEADING = Style(bold=True, color="grey62")


class Details(VerticalScroll, can_focus=False):
    """Follows the map: what is selected, what is under the cursor."""

    # The card has a fixed height so that following the cursor repaints it
    # without a relayout of the screen (a relayout costs more than the map).
    # Its scrollbar always shows: the card and the legend overflow any
    # terminal under 60 rows, and a scrollbar that arrives in the first
    # layout is drawn in a frame of its own after it.
    DEFAULT_CSS = """
    Details { padding: 0 1; overflow-y: scroll; }
    Details > .section { color: $text-muted; text-style: bold; margin-top: 1; }
    """

    backing: dict[int, Any] = {}  # a mapping's start -> its smaps entry, while the map is shaded (key b)

    def compose(self):
        yield Card(id="info")
        yield Static("Legend", classes="section")
        yield Static(id="legend")

    def show(self, layout: Layout, region: Region | None, cursor: int) -> None:
        blocks: list[Block] = [Text(), Text("Selected region", style=_HEADING)]
        if region is None:
            blocks.append(Text("none", style="dim"))
        else:
            rows = region_rows(layout, region)
            if region.mapping is not None and region.start in self.backing:
                from vaslayout.tui.backing import backing_rows

                rows += backing_rows(self.backing[region.start])
            blocks.append((rows, 1))
        blocks += [Text(), Text("Cursor address", style=_HEADING)]
        blocks.append((translation_rows(layout, translate(layout, cursor), ranges=False), 2))
        self.query_one(Card).show(blocks)

    def show_legend(self, layout: Layout) -> None:
        self.query_one("#legend", Static).update(legend(layout))
