"""The map: a vertical band of the address space drawn with the Line API.

Only visible lines are rendered, and each one is cached under a key that
holds everything that can change it, so a layout with 100,000 regions pans
and zooms as fast as one with ten.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable
from typing import NamedTuple

from rich.color import Color, blend_rgb
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from vaslayout.core.kinds import kind
from vaslayout.core.scale import SCALES, Block, LevelBand, OutlineBand, WindowBand, zoom_window
from vaslayout.core.units import fmt_addr, fmt_size
from vaslayout.session import ViewState
from vaslayout.tui.actions import bindings
from vaslayout.tui.lines import cropped, finished, line_filters
from vaslayout.tui.scrollbar import set_bar

_BLACK = Color.parse("#101010")
# Drawn lines kept: a few screens, so paging back redraws nothing, while paging through 65,530
# mappings does not keep a line of each (about 3 KiB a line).
SCREENS_CACHED = 4


_GUTTER_CURSOR = Style(color="black", bgcolor="#f0c040", bold=True)
_GUTTER_FIRST = Style(color="#c8c8c8")
_GUTTER_LAST = Style(color="#707070")
_PLAIN = Style()
_MARK_CURRENT = Style(color="black", bgcolor="#f0c040", bold=True)  # the report address the step is on


class _Pass(NamedTuple):
    """What the lines of one drawing pass share (MapView._pass_values)."""

    width: int  # the lines' own width
    full: int  # with the column under the scrollbar
    pad: Style  # that column's look: the map's background
    filters: tuple  # the app's line filters and their background (tui/lines.py)
    top: int  # scroll offset
    x: int
    selected: int | None  # the selected block's index
    cursor_row: int | None


@functools.lru_cache(maxsize=256)
def _band_styles(colour: str, dim: bool, selected: bool) -> tuple[Style, Style, Style, Style]:
    """A block's edge, text, bold text and hatching styles: the same few for every line drawn."""
    if dim:
        bg = blend(colour, 0.45 if selected else 0.25)
        fg = Color.parse("#b0b0b0")
    else:
        bg = blend(colour, 0.95 if selected else 0.55)
        fg = Color.parse("#101010" if selected else "#f2f2f2")
    plain = Style(bgcolor=bg, color=fg)
    edge = Style(bgcolor=bg, color=Color.parse("#f0c040" if selected else colour))
    return edge, plain, plain + Style(bold=True), Style(bgcolor=bg, color="#e05050")


def blend(colour: str, amount: float) -> Color:
    """The kind's colour mixed into near-black: quiet fills, bright selection."""
    base = Color.parse(colour).get_truecolor()
    return Color.from_triplet(blend_rgb(_BLACK.get_truecolor(), base, amount))


class MapView(ScrollView, can_focus=True):
    """Highest address at the top, as the kernel docs draw it."""

    DEFAULT_CSS = """
    MapView {
        background: $surface;
        scrollbar-size-vertical: 1;
        overflow-y: scroll;  /* always: zooming never changes the width, so never lays out the screen */
    }
    """

    BINDINGS = bindings("map")

    # repaint=False: the watcher repaints only what changed
    state: reactive[ViewState | None] = reactive(None, always_update=True, repaint=False)
    # A new band changes the virtual size on every zoom; Widget's reactive would lay
    # out the whole screen each time, where only the map and its scrollbar change.
    virtual_size: reactive[Size] = reactive(Size(0, 0), layout=False, repaint=False)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.present = False  # presenter mode: names and sizes only, for the back of the room
        self._cache: LRUCache[tuple, Strip] = LRUCache(SCREENS_CACHED * 48)  # sized to the map in _rebuild
        self._shown: dict[int, tuple[tuple, Strip]] = {}  # y -> the line there, finished, and what it shows
        self._band: LevelBand | OutlineBand | WindowBand | None = None
        self._generation = 0
        self._band_key: tuple | None = None
        self.shades: dict[int, str] = {}  # a mapping's start -> the colour of what backs it (tui/backing.py)
        self.escape_first: Callable[[], bool] | None = None  # Esc goes here first; True: it was used
        self._marks: list[int] = []  # a crash report's addresses, sorted (set_markers)
        self._mark_styles: list[tuple[int, Style]] = []
        self._mark_current: int | None = None
        self._marks_key = 0  # part of every line's cache key: new markers redraw the lines
        self._pass: _Pass | None = None  # _pass_values() while lines are drawn

    # -- state ---------------------------------------------------------------

    @property
    def band(self) -> LevelBand | OutlineBand | WindowBand:
        assert self._band is not None
        return self._band

    def watch_state(self, old: ViewState | None, new: ViewState | None) -> None:
        if new is None:
            return
        before = self._generation
        old_block = None
        if old is not None and self._band is not None:
            i = self._band.index_of(old.cursor)
            old_block = None if i is None else self._band.block(i)
        self._rebuild(new)
        if old is None or old.cursor != new.cursor or self._generation != before:
            self.scroll_to_cursor()
        if self._generation == before and old_block is not None:
            self._refresh_blocks(old_block, self.selected_block())  # only what the cursor touched
        else:
            self.refresh()

    def set_shades(self, shades: dict[int, str]) -> None:
        """Colour each live mapping by what backs it ({} gives the kinds' colours back)."""
        self.shades = shades
        self._generation += 1  # every cached line is stale
        self._forget()
        self.refresh()

    def set_markers(self, marks: list[tuple[int, str, int]], current: int | None = None) -> None:
        """Mark these (address, colour, rank) on the map, a ◆ in the gutter of the row holding each.

        Where one row holds several, the lowest rank gives the colour; `current` is drawn highlighted.
        """
        marks = sorted(marks)
        self._marks = [a for a, _, _ in marks]
        self._mark_styles = [(rank, Style(color=colour, bold=True)) for _, colour, rank in marks]
        self._mark_current = current
        self._marks_key += 1
        self.refresh()

    @property
    def has_markers(self) -> bool:
        return bool(self._marks)

    def _marker(self, block: Block, row: int) -> Segment | None:
        """The ◆ of the report addresses the row shows (bisect in the sorted addresses)."""
        span = block.hi - block.lo
        k = block.top + block.height - 1 - row  # row_of's inverse: the addresses whose row_of is this row
        lo = block.lo + -(-k * span // block.height) if span else block.lo
        hi = block.lo + -(-(k + 1) * span // block.height) if span else block.hi
        i, j = bisect.bisect_left(self._marks, lo), bisect.bisect_left(self._marks, hi)
        if i >= j:
            return None
        current = self._mark_current
        if current is not None and lo <= current < hi:
            return Segment("◆", _MARK_CURRENT)
        return Segment("◆", min(self._mark_styles[i:j], key=lambda rs: rs[0])[1])

    def _refresh_blocks(self, *blocks: Block | None) -> None:
        width = self.scrollable_content_region.width
        top = self.scroll_offset.y
        regions = [Region(0, b.top - top, width, b.height) for b in blocks if b is not None]
        if regions:
            self.refresh(*regions)

    def _rows(self) -> int:
        return max(self.scrollable_content_region.height, 1)

    def _rebuild(self, s: ViewState) -> None:
        rows = self._rows()
        key = (id(s.layout), id(s.focus), s.scale, s.window, rows, s.cursor if s.window else None,
               self.scrollable_content_region.width)  # the virtual size's width
        if key == self._band_key and self._band is not None:
            return
        if s.window is not None:
            self._band = WindowBand(s.layout, *s.window, rows, s.cursor)
        elif s.focus is s.layout.root:  # the first screen: both halves' regions under their headers
            self._band = OutlineBand(s.layout, rows, s.scale)
        else:
            self._band = LevelBand(s.focus.children or (s.focus,), rows, s.scale)
        self._band_key = key
        self._generation += 1
        self._forget()
        self._cache.maxsize = SCREENS_CACHED * rows
        self.virtual_size = Size(self.scrollable_content_region.width, self._band.rows)
        self._sync_scrollbar()

    def _sync_scrollbar(self) -> None:
        """The scrollbar follows the new band without laying out the screen.

        The vertical bar always shows (overflow-y: scroll), so only its
        sizes change; they and the clamped scroll offset are public.
        """
        set_bar(self.vertical_scrollbar, virtual=self.virtual_size.height,
                window=self.scrollable_content_region.height)
        if self.scroll_y > self.max_scroll_y:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """ScrollView's, with the scrollbar repainted only when its thumb moves on the screen."""
        if self.show_vertical_scrollbar:
            set_bar(self.vertical_scrollbar, position=new_value)
        if round(old_value) != round(new_value):
            self.refresh(self.size.region)

    def on_resize(self, event: events.Resize) -> None:
        self._refit()

    def _refit(self) -> None:
        """The band, the scroll position and the lines again, if the map's size is not the one they were
        built for. The first layout's Resize arrives after the first frame was drawn at that size:
        building and drawing again then redrew the whole map in the next frame for nothing."""
        if self.state is not None:
            before = self._generation
            self._rebuild(self.state)
            if self._generation != before:
                self.scroll_to_cursor(animate=False)
                self.refresh()

    def notify_style_update(self) -> None:
        self._forget()
        super().notify_style_update()

    def selected_block(self) -> Block | None:
        if self.state is None or self._band is None:
            return None
        i = self.band.index_of(self.state.cursor)
        return None if i is None else self.band.block(i)

    def cursor_row(self) -> int | None:
        block = self.selected_block()
        return None if block is None or self.state is None else block.row_of(self.state.cursor)

    def scroll_to_cursor(self, animate: bool = False) -> None:
        row = self.cursor_row()
        if row is None:
            return
        top = self.scroll_offset.y
        height = self._rows()
        if row < top or row >= top + height:
            self.scroll_to(y=max(0, row - height // 2), animate=animate, immediate=True)

    def set_present(self, on: bool) -> None:
        self.present = on
        self._forget()
        self.refresh()

    def set_state(self, **changes) -> None:
        assert self.state is not None
        values = {**self.state.__dict__, **changes}
        self.state = ViewState(**values)

    # -- drawing -------------------------------------------------------------

    def _forget(self) -> None:
        """Every line drawn: what they show changed (a new band, the theme, markers, presenter mode)."""
        self._cache.clear()
        self._shown.clear()

    def render_lines(self, crop: Region) -> list[Strip]:
        """The map's own lines, padded under the scrollbar as Textual pads them (tui/lines.py)."""
        if self.state is not None and self._band_key is not None and self._band_key[4] != self._rows():
            # sized since the last build and the Resize event not handled yet: the
            # band is built for this height now, so the first frame is already right
            self._refit()
        self._pass = self._pass_values()
        try:
            strips = [self.render_line(y) for y in crop.line_range]
        finally:
            self._pass = None
        return cropped(self, strips, crop)

    def _pass_values(self) -> _Pass:
        """What every line of a drawing pass shares: the sizes, the scroll offset, the selection.

        Worked out once a pass, not once a line: a page of new lines asked
        for them 46 times each.
        """
        base, background = self.background_colors
        offset = self.scroll_offset
        width, full = self.scrollable_content_region.width, self.size.width
        pad = Style(bgcolor=(base + background).rich_color)
        sel = self.selected_block()
        selected = None if sel is None or self.state is None else sel.index
        cursor_row = None if sel is None or self.state is None else sel.row_of(self.state.cursor)
        return _Pass(width, full, pad, line_filters(self), offset.y, offset.x, selected, cursor_row)

    def render_line(self, y: int) -> Strip:
        """The line at y as the screen gets it: padded under the scrollbar and filtered (tui/lines.py)."""
        width, full, pad, filters, top, x, sel_index, cursor_row = self._pass or self._pass_values()
        block = self._band.block_at_row(y + top) if self.state is not None and self._band is not None else None
        if block is None:
            return finished(Strip.blank(width, self.rich_style).extend_cell_length(full, pad), *filters)
        row = y + top
        selected = sel_index == block.index
        cursor_here = selected and cursor_row == row
        key = (self._generation, row, width, full, selected, cursor_here, self.has_focus, self.present,
               self._marks_key)
        shown = self._shown.get(y)
        if shown is not None and shown[0] == (key, x, filters):
            return shown[1]
        strip = self._cache.get(key)
        if strip is None:
            strip = self._draw(block, row, width, selected, cursor_here)
            strip = self._cache[key] = strip.extend_cell_length(full, pad)
        if x:
            strip = strip.crop(x, x + width).extend_cell_length(full, pad)
        strip = finished(strip, *filters)
        self._shown[y] = ((key, x, filters), strip)
        return strip

    def _draw(self, block: Block, row: int, width: int, selected: bool, cursor_here: bool) -> Strip:
        assert self.state is not None
        s = self.state
        bits = s.layout.address_bits
        region = block.region
        k = kind(region.kind)
        line = row - block.top
        last_line = line == block.height - 1
        gutter_w = bits // 4 + 5
        if block.header:
            return self._draw_header(block, width, gutter_w)
        # gutter: the top row shows the block's last address, the bottom row its first
        if cursor_here:
            gutter_text, gstyle = "▶" + fmt_addr(s.cursor, bits), _GUTTER_CURSOR
        elif self.present:
            gutter_text, gstyle = "", _PLAIN
        elif last_line:
            gutter_text, gstyle = " " + fmt_addr(block.lo, bits), _GUTTER_FIRST
        elif line == 0:
            gutter_text, gstyle = " " + fmt_addr(block.hi - 1, bits), _GUTTER_LAST
        else:
            gutter_text, gstyle = "", _PLAIN
        segments = [Segment(gutter_text.ljust(gutter_w - 1)[: gutter_w - 1] + " ", gstyle)]
        mark = self._marker(block, row) if self._marks else None
        if mark is not None:
            segments = [Segment(segments[0].text[:-1], gstyle), mark]
        band_w = max(width - gutter_w, 1)
        colour = self.shades.get(region.start, k.colour) if self.shades and region.mapping else k.colour
        edge, plain, bold, hatch = _band_styles(colour, k.dim, selected)
        text = self._label(block, line, band_w - 2, s)
        body: list[Segment] = [Segment("▌" if selected else "▏", edge)]
        if region.kind == "non-canonical" and not text.strip():
            body.append(Segment(("╱" * band_w)[: band_w - 1], hatch))
        else:
            body.append(Segment(text.ljust(band_w - 1)[: band_w - 1], bold if line == 0 or cursor_here else plain))
        if cursor_here:
            body[-1] = Segment(body[-1].text[:-2] + "◀ ", bold)
        return Strip(segments + body)

    def _draw_header(self, block: Block, width: int, gutter_w: int) -> Strip:
        """An outline's half: its name, range and size over its rows (Enter on a row zooms in)."""
        region = block.region
        bits = self.state.layout.address_bits if self.state else 64
        colour = kind(region.kind).colour
        left = f" {region.name.upper()} ▸"
        right = f"{fmt_addr(region.start, bits)} – {fmt_addr(region.last, bits)}  {fmt_size(region.size)} "
        room = max(width - gutter_w, 1)
        if len(left) + len(right) + 1 > room:
            right = f"{fmt_size(region.size)} "
        text = (left.ljust(max(room - len(right), 0)) + right)[:room]
        return Strip([Segment(" " * gutter_w, _PLAIN), Segment(text, Style(color=colour, bold=True, underline=True))])

    def _label(self, block: Block, line: int, width: int, s: ViewState) -> str:
        region = block.region
        size = fmt_size(region.size)
        zoomable = " ▸" if region.children and s.window is None else ""
        if line == 0:
            name = f" {region.name}{zoomable}"
            if block.more:
                name += f"  (+{block.more} more)"
            right = f"  {size} "
            room = max(width - len(right), 1)
            if len(name) > room:
                name = name[: room - 1] + "…"
            return name.ljust(room) + right
        if self.present:
            return ""
        if line == 1:
            bits = s.layout.address_bits
            span = f"   {fmt_addr(region.start, bits)} – {fmt_addr(region.last, bits)}"
            if len(span) + len(region.kind) + 3 <= width:
                return f"{span}   {region.kind}"
            return span if len(span) <= width else f"   {region.kind}"
        if line == 2 and region.children and s.window is None:
            return f"   {len(region.children)} regions inside: Enter to zoom in"
        return ""

    # -- actions -------------------------------------------------------------

    def _go(self, index: int, delta: int = 1) -> None:
        band = self.band
        index = min(max(index, 0), len(band) - 1)
        block = band.block(index)
        if block.header:  # a header holds no address: the row past it in the direction of travel
            step = 1 if delta >= 0 else -1
            ahead = index + step if 0 <= index + step < len(band) else index - step
            block = band.block(min(max(ahead, 0), len(band) - 1))
        self.set_state(cursor=min(max(block.region.start, block.lo), block.hi - 1))

    def action_move(self, delta: int) -> None:
        if self.state is None:
            return
        if self.state.window is not None:
            self._step_rows(delta)
            return
        block = self.selected_block()
        if block is None:
            self._go(0)
        else:
            self._go(block.index + delta, delta)

    def _step_rows(self, delta: int) -> None:
        """Linear zoom: the cursor moves a row at a time and the window pans with it."""
        s = self.state
        assert s is not None and s.window is not None and isinstance(self._band, WindowBand)
        step = self._band.step
        lo, hi = s.window
        cursor = min(max(s.cursor - delta * step, 0), s.layout.size - 1)
        if cursor < lo:
            shift = min(lo, -(-(lo - cursor) // step) * step)
            lo, hi = lo - shift, hi - shift
        elif cursor >= hi:
            shift = min(s.layout.size - hi, -(-(cursor - hi + 1) // step) * step)
            lo, hi = lo + shift, hi + shift
        self.set_state(cursor=cursor, window=(lo, hi))

    def action_page(self, delta: int) -> None:
        if self.state is not None and self.state.window is not None:
            self._step_rows(delta * self._rows())
            return
        row = self.cursor_row() or 0
        block = self.band.block_at_row(min(max(row + delta * self._rows(), 0), self.band.rows - 1))
        if block is not None:
            self._go(block.index, delta)

    def action_edge(self, delta: int) -> None:
        self._go(0 if delta < 0 else len(self.band) - 1, -delta)

    def action_zoom_in(self) -> None:
        block = self.selected_block()
        if self.state is None or block is None:
            return
        region = block.region
        if self.state.window is not None:
            self.set_state(window=zoom_window(*self.state.window, self.state.cursor, 4, self._rows(),
                                              self.state.layout.size))
        elif region.children:
            self.set_state(focus=region)
        elif isinstance(self._band, OutlineBand) and len(path := self.state.layout.path_at(self.state.cursor)) >= 2:
            self.set_state(focus=path[-2])  # a row of the outline without insides: its half, drawn alone
        else:
            self.notify(f"{region.name} has no regions inside; + zooms linearly.", timeout=3)

    def action_zoom_out(self) -> None:
        s = self.state
        if s is None:
            return
        if s.window is not None:
            self.set_state(window=None)
            return
        path = (s.layout.root, *s.layout.path_at(s.cursor))
        if s.focus is s.layout.root:
            return
        for i, r in enumerate(path):
            if r is s.focus and i > 0:
                self.set_state(focus=path[i - 1])
                return
        self.set_state(focus=s.layout.root)

    def action_window(self, factor: float) -> None:
        s = self.state
        if s is None:
            return
        current = s.window or (s.focus.start, s.focus.end)
        # entering linear zoom from a level view: the cursor's row there is not linear, so centre it
        window = zoom_window(*current, s.cursor, factor, self._rows(), s.layout.size, center=s.window is None)
        if factor < 1 and window == (0, s.layout.size) and s.window is not None:
            self.set_state(window=None, focus=s.layout.root)
            return
        self.set_state(window=window)

    def action_reset(self) -> None:
        if self.state is not None:
            self.set_state(window=None, focus=self.state.layout.root)

    def action_cycle_scale(self) -> None:
        if self.state is not None:
            self.set_state(scale=SCALES[(SCALES.index(self.state.scale) + 1) % len(SCALES)])

    def on_key(self, event: events.Key) -> None:
        """Esc closes what is open over the map (the lookup bar) before it zooms out."""
        if event.key == "escape" and self.escape_first is not None and self.escape_first():
            event.stop()
            event.prevent_default()

    # -- mouse ---------------------------------------------------------------

    def _row_from_event(self, event: events.MouseEvent) -> int | None:
        """The band row under the pointer (lines carry no meta: tagging each cost more than drawing it)."""
        offset = event.get_content_offset(self)
        if offset is None or self._band is None:
            return None
        row = offset.y + self.scroll_offset.y
        return row if 0 <= row < self._band.rows else None

    def on_click(self, event: events.Click) -> None:
        row = self._row_from_event(event)
        if row is None or self.state is None:
            return
        block = self.band.block_at_row(row)
        if block is None:
            return
        if block.header:  # a half's title: zoom into the half
            self.set_state(focus=block.region, cursor=min(max(self.state.cursor, block.lo), block.hi - 1))
            return
        lo, _ = block.rows_range(row)
        self.set_state(cursor=min(max(lo, block.region.start), block.region.end - 1))
        if event.chain == 2:
            self.action_zoom_in()
