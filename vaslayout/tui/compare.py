"""Two or three layouts side by side on one shared address axis."""

from __future__ import annotations

import bisect

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.reactive import reactive
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from vaslayout import catalog
from vaslayout.core.kinds import kind
from vaslayout.core.model import Layout
from vaslayout.core.positions import LayoutError
from vaslayout.core.scale import allocate
from vaslayout.core.units import fmt_addr, fmt_size
from vaslayout.tui.footer import KeysFooter
from vaslayout.tui.map_view import blend
from vaslayout.tui.widgets import SafeScreen


def default_partners(name: str, bits: int) -> list[str]:
    """The layouts a teacher compares with this one: its file's `compare:` list, else the default of its width."""
    try:
        partners = list(catalog.spec_for(name).compare)
    except LayoutError:
        partners = []
    partners = [p for p in partners if p != name] or [catalog.default_for_width(bits)]
    return [name, *partners]


def load_all(names: list[str], overrides: dict[str, dict[str, str]] | None = None) -> list[Layout]:
    layouts = [catalog.load(n, (overrides or {}).get(n)) for n in names]
    widths = {lay.address_bits for lay in layouts}
    if len(widths) > 1:
        raise LayoutError("cannot compare layouts of different address widths on one axis: "
                          + ", ".join(f"{lay.id} ({lay.address_bits}-bit)" for lay in layouts))
    return layouts


class CompareView(ScrollView, can_focus=True):
    """Rows are the pieces between every boundary of every layout."""

    DEFAULT_CSS = "CompareView { background: $surface; }"
    BINDINGS = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("home", "move(-100000)", "Top", show=False),
        Binding("end", "move(100000)", "Bottom", show=False),
    ]
    cursor: reactive[int] = reactive(0)

    def __init__(self, layouts: list[Layout], cursor: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.layouts = layouts
        self.bits = layouts[0].address_bits
        edges = {0, layouts[0].size}
        for lay in layouts:
            edges.update(r.start for r in lay.leaves)
        self.edges = sorted(edges)  # ascending; piece i is [edges[i], edges[i+1])
        self.pieces = len(self.edges) - 1
        self._cache: LRUCache[tuple, Strip] = LRUCache(512)
        self._tops: list[int] = []
        self._rows = 0
        self.set_reactive(CompareView.cursor, cursor)

    def on_resize(self, event: events.Resize) -> None:
        self._layout_rows()

    def on_mount(self) -> None:
        self._layout_rows()

    def _layout_rows(self) -> None:
        # top of the screen = highest piece
        sizes = [self.edges[i + 1] - self.edges[i] for i in reversed(range(self.pieces))]
        heights = allocate(sizes, max(self.scrollable_content_region.height, 1), "log") or [1] * self.pieces
        tops, acc = [], 0
        for h in heights:
            tops.append(acc)
            acc += h
        self._tops, self._rows = tops, acc
        self._cache.clear()
        self.virtual_size = Size(self.scrollable_content_region.width, acc)
        self.refresh()

    def piece_of(self, addr: int) -> int:
        """Index from the top (0 = highest piece)."""
        return self.pieces - 1 - (bisect.bisect_right(self.edges, addr) - 1)

    def watch_cursor(self) -> None:
        self._cache.clear()
        self.refresh()
        if self._tops:
            row = self._tops[self.piece_of(self.cursor)]
            if not self.scroll_offset.y <= row < self.scroll_offset.y + self.scrollable_content_region.height:
                self.scroll_to(y=max(0, row - 3), animate=False, immediate=True)
        screen = self.screen if self.is_mounted else None
        if isinstance(screen, CompareScreen):
            screen.status_line.update(self.status())

    def status(self) -> Text:
        text = Text.assemble(("cursor ", "bold"), (fmt_addr(self.cursor, self.bits), "bold #f0c040"))
        for lay in self.layouts:
            path = lay.path_at(self.cursor)
            leaf = path[-1] if path else lay.root
            text.append(f"\n{lay.id:<20} ", "cyan")
            text.append(" > ".join(r.name for r in path), kind(leaf.kind).colour)
        return text

    def action_move(self, delta: int) -> None:
        piece = min(max(self.piece_of(self.cursor) + delta, 0), self.pieces - 1)
        self.cursor = self.edges[self.pieces - 1 - piece]

    def on_click(self, event: events.Click) -> None:
        piece = event.style.meta.get("piece")
        if isinstance(piece, int):
            self.cursor = self.edges[self.pieces - 1 - piece]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = y + self.scroll_offset.y
        if not self._tops or row >= self._rows:
            return Strip.blank(width, self.rich_style)  # a style on every segment: NO_COLOR filters need one
        piece = bisect.bisect_right(self._tops, row) - 1
        first = row == self._tops[piece]
        here = piece == self.piece_of(self.cursor)
        key = (row, width, here, first)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._draw(piece, row, width, here, first)
            self._cache[key] = strip
        return strip.crop(self.scroll_offset.x, self.scroll_offset.x + width)

    def _draw(self, piece: int, row: int, width: int, here: bool, first: bool) -> Strip:
        i = self.pieces - 1 - piece
        lo = self.edges[i]
        gutter_w = self.bits // 4 + 5
        label = ("▶" if here else " ") + fmt_addr(lo, self.bits) if first else ""
        gstyle = Style(color="black", bgcolor="#f0c040", bold=True) if here and first else Style(color="#c8c8c8")
        segs = [Segment(label.ljust(gutter_w)[:gutter_w], gstyle)]
        col_w = max((width - gutter_w) // len(self.layouts), 4)
        for lay in self.layouts:
            leaf = lay.leaves[lay.leaf_index(lo)]
            k = kind(leaf.kind)
            bg = blend(k.colour, 0.95 if here else (0.25 if k.dim else 0.55))
            fg = "#101010" if here else ("#b0b0b0" if k.dim else "#f2f2f2")
            top_piece = leaf.end == self.edges[i + 1]  # labels go on a block's top row
            text = ""
            if first and top_piece:
                text = f" {leaf.name}"
                size = f"{fmt_size(leaf.size)} "
                text = text[: col_w - len(size) - 2].ljust(col_w - len(size) - 1) + size
            elif first:
                text = "  ⋮"
            segs.append(Segment("▏", Style(color=k.colour, bgcolor=bg)))
            segs.append(Segment(text.ljust(col_w - 1)[: col_w - 1], Style(color=fg, bgcolor=bg, bold=first)))
        return Strip(segs).apply_meta({"piece": piece})


class CompareScreen(SafeScreen, Screen[None]):
    BINDINGS = [
        Binding("escape,c,q", "dismiss", "Close compare"),
        Binding("d", "diff", "Diff", tooltip="What differs, region by region"),
    ]
    DEFAULT_CSS = """
    CompareScreen #compare-head { dock: top; height: 1; background: $panel; padding: 0 1; }
    CompareScreen #compare { height: 1fr; }
    CompareScreen #compare-status { height: auto; background: $panel; padding: 0 1; }
    """

    def __init__(self, names: list[str], cursor: int, layouts: list[Layout] | None = None) -> None:
        super().__init__()
        self.names = names
        self.layouts = layouts or load_all(names)
        self.cursor = cursor if cursor < self.layouts[0].size else 0
        # held, not queried: a resize or a cursor move may arrive while the screen is being torn down
        self.head = Static(id="compare-head")
        self.view = CompareView(self.layouts, self.cursor, id="compare")
        self.status_line = Static(id="compare-status")

    def compose(self) -> ComposeResult:
        yield self.head
        yield self.view
        yield self.status_line
        yield KeysFooter()

    def on_mount(self) -> None:
        view = self.view
        self.status_line.update(view.status())
        self._update_head()
        view.focus()

    def on_resize(self) -> None:
        self._update_head()

    def action_diff(self) -> None:
        from vaslayout.tui.diff_view import DiffScreen

        self.app.push_screen(DiffScreen(self.layouts[0], self.layouts[1]))

    def _update_head(self) -> None:
        view = self.view
        width = view.scrollable_content_region.width or self.size.width
        bits = self.layouts[0].address_bits
        gutter = bits // 4 + 5
        col_w = max((width - gutter) // len(self.layouts), 4)
        text = Text("compare".ljust(gutter), style="bold")
        for lay in self.layouts:
            text.append(f" {lay.id}".ljust(col_w)[:col_w], "bold cyan")
        self.head.update(text)
