"""`v`: the virtual column beside the physical one, with a band for every 1:1 mapping.

The band between the columns is drawn cell by cell: at each of its columns
the band's top and bottom are interpolated between the rows the range
occupies on the left and on the right, which gives the slanted ribbons of
the classic lowmem diagram. Each side zooms on its own; a highmem page on
the right can be kmap()ed (`k`) or kmap_local_page()d (`K`) to watch the
temporary mapping appear.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.color import Color
from rich.console import Group
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from vaslayout.core.kinds import kind
from vaslayout.core.model import Layout
from vaslayout.core.physmap import PAGE, PhysPiece, kmap, kmap_local, phys_pieces
from vaslayout.core.scale import Block, LevelBand
from vaslayout.core.units import fmt_addr, fmt_size
from vaslayout.session import SplitState
from vaslayout.teach.export import correspondence
from vaslayout.tui.actions import bindings
from vaslayout.tui.footer import KeysFooter
from vaslayout.tui.map_view import blend
from vaslayout.tui.widgets import SafeScreen

BAND_W = 12
NAME_ROOM = 24  # body columns below which a column drops its address gutter
TEMP_COLOUR = "#f0c040"


@dataclass(frozen=True)
class Slice:
    """A piece of a zoomed physical range; quacks like PhysPiece."""

    start: int
    end: int
    parent: PhysPiece

    @property
    def name(self) -> str:
        return self.parent.name

    @property
    def kind(self) -> str:
        return self.parent.kind

    @property
    def zone(self):
        return self.parent.zone

    @property
    def range(self):
        return self.parent.range

    @property
    def size(self) -> int:
        return self.end - self.start

    def contains(self, phys: int) -> bool:
        return self.start <= phys < self.end


def slices(piece: PhysPiece, lo: int, hi: int, parts: int = 16) -> tuple[Slice, ...]:
    """[lo, hi) cut into up to `parts` page-aligned slices."""
    span = hi - lo
    step = max(PAGE, -(-span // parts // PAGE) * PAGE)
    return tuple(Slice(s, min(s + step, hi), piece) for s in range(lo, hi, step))


class SplitView(ScrollView, can_focus=True):
    DEFAULT_CSS = "SplitView { background: $surface; }"
    BINDINGS = bindings("split")

    class Changed(Message):
        pass

    def __init__(self, state: SplitState, **kwargs) -> None:
        super().__init__(**kwargs)
        self.s = state
        self._cache: LRUCache[tuple, Strip] = LRUCache(512)
        self._gen = 0
        self._rebuild()

    # -- model ---------------------------------------------------------------

    def pieces(self) -> tuple:
        s = self.s
        allp = phys_pieces(s.layout)
        if not s.pzoom:
            return tuple(allp)
        lo, hi = s.pzoom[-1]
        parent = next((p for p in allp if p.start <= lo < p.end), allp[0])
        return slices(parent, lo, hi)

    def _rebuild(self) -> None:
        rows = max(self.scrollable_content_region.height if self.is_mounted else 30, 1)
        s = self.s
        self.left = LevelBand(s.vfocus.children or (s.vfocus,), rows, "log")
        self.right = LevelBand(self.pieces(), rows, "log")
        self.rows = max(self.left.rows, self.right.rows)
        self.links = correspondence(s.layout)  # every 1:1 mapping: (region, phys start, phys end)
        self.bands = self._bands()
        self.hot = self.partners()
        self._gen += 1
        self._cache.clear()
        if self.is_mounted:
            self.virtual_size = Size(self.scrollable_content_region.width, self.rows)
        self.refresh()

    def show(self, state: SplitState) -> None:
        """Another state as a whole (a followed teacher's): zooms, cursors, side and temporary mapping."""
        self.s = state
        self._rebuild()
        if self.is_mounted:
            self._changed()

    def set_layout(self, layout: Layout) -> None:
        """The params changed: same zoom where it still exists, zones and split move at once."""
        s = self.s
        focus = next((r for r in layout.path_at(min(s.vcursor, layout.size - 1)) if r.name == s.vfocus.name),
                     None)
        self.s = SplitState(layout, focus or layout.root, s.vcursor, s.pcursor, [], s.side, None)
        self._rebuild()
        self.post_message(self.Changed())

    @staticmethod
    def _row(band: LevelBand, addr: int) -> int | None:
        i = band.index_of(addr)
        return None if i is None else band.block(i).row_of(addr)

    def _span_rows(self, band: LevelBand, lo: int, hi: int, vis_lo: int, vis_hi: int) -> tuple[int, int] | None:
        lo, hi = max(lo, vis_lo), min(hi, vis_hi)
        if lo >= hi:
            return None
        top, bottom = self._row(band, hi - 1), self._row(band, lo)
        if top is None or bottom is None:
            return None
        return top, bottom

    def _bands(self) -> list[tuple[tuple[int, int], tuple[int, int], str, bool]]:
        """(left rows, right rows, colour, temporary) for every visible 1:1 mapping."""
        s = self.s
        vis = (s.vfocus.start, s.vfocus.end)
        pitems = self.right.regions
        pvis = (pitems[0].start, pitems[-1].end) if pitems else (0, 0)
        out = []
        maps = [(r.start, r.start + (pe - ps), ps, pe, kind(r.kind).colour, False) for r, ps, pe in self.links]
        if s.temp is not None:
            t = s.temp
            maps.append((t.virt, t.virt + PAGE, t.phys, t.phys + PAGE, TEMP_COLOUR, True))
        for vs, ve, ps, pe, colour, temp in maps:
            left = self._span_rows(self.left, vs, ve, *vis)
            right = self._span_rows(self.right, ps, pe, *pvis)
            if left and right:
                out.append((left, right, colour, temp))
        return out

    def selected(self, side: str) -> Block | None:
        band = self.left if side == "virt" else self.right
        i = band.index_of(self.s.vcursor if side == "virt" else self.s.pcursor)
        return None if i is None else band.block(i)

    def partners(self) -> tuple[set[int], set[int]]:
        """Indices of the left and right blocks tied to the selection on the active side."""
        s = self.s
        left: set[int] = set()
        right: set[int] = set()
        for r, ps, pe in self.links:
            vs, ve = r.start, r.start + (pe - ps)
            if s.side == "virt" and vs <= s.vcursor < ve:
                right |= self._overlapping(self.right, ps, pe)
            if s.side == "phys" and ps <= s.pcursor < pe:
                alias = vs + s.pcursor - ps
                i = self.left.index_of(alias)
                if i is not None:
                    left.add(i)
        return left, right

    @staticmethod
    def _overlapping(band: LevelBand, lo: int, hi: int) -> set[int]:
        return {i for i in range(len(band)) if band.region(i).start < hi and lo < band.region(i).end}

    # -- drawing -------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self._rebuild()

    def on_mount(self) -> None:
        self._rebuild()

    def notify_style_update(self) -> None:
        self._cache.clear()
        super().notify_style_update()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = y + self.scroll_offset.y
        if row >= self.rows:
            return Strip.blank(width, self.rich_style)  # a style on every segment: NO_COLOR filters need one
        key = (self._gen, row, width, self.s.vcursor, self.s.pcursor, self.s.side)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._draw(row, width)
            self._cache[key] = strip
        return strip.crop(0, width)

    def _draw(self, row: int, width: int) -> Strip:
        s = self.s
        vbits = s.layout.address_bits
        pbits = max(vbits, s.layout.physical_bits or vbits)
        left_w = (width - BAND_W) // 2
        right_w = width - BAND_W - left_w
        lpart, rpart = self.hot
        segs: list[Segment] = []
        segs += self._column(self.left, row, left_w, vbits, "virt", lpart, gutter_left=True)
        segs += self._band_cells(row)
        segs += self._column(self.right, row, right_w, pbits, "phys", rpart, gutter_left=False)
        return Strip(segs).apply_meta({"row": row})

    def _column(self, band: LevelBand, row: int, width: int, bits: int, side: str, hot: set[int],
                gutter_left: bool) -> list[Segment]:
        block = band.block_at_row(row)
        gw = bits // 4 + 4
        narrow = width - gw < NAME_ROOM  # 80 columns: the addresses move into the block, the names keep room
        if narrow:
            gw = 0
        body_w = max(width - gw, 1)
        if block is None:
            return [Segment(" " * width, self.rich_style)]
        item = block.region
        k = kind(item.kind)
        sel = self.selected(side)
        selected = sel is not None and sel.index == block.index
        active = self.s.side == side
        line = row - block.top
        level = 0.95 if selected and active else 0.75 if selected or block.index in hot else 0.25 if k.dim else 0.5
        bg = blend(k.colour, level)
        fg = Color.parse("#101010" if level > 0.7 else "#f2f2f2")
        if line == 0:
            extra = f"  {item.zone.name}" if side == "phys" and getattr(item, "zone", None) else ""
            label = f" {item.name}{' ▸' if side == 'virt' and item.children else ''}{extra}"
            size = f"{fmt_size(item.size)} "
            label = label[: max(body_w - len(size) - 1, 1)].ljust(max(body_w - len(size), 1)) + size
        elif line == 1 and item.kind == "highmem":
            label = "   no permanent mapping"
        elif narrow and line == block.height - 1:
            label = f"   {fmt_addr(block.lo, bits)}"
        else:
            label = ""
        if item.kind == "highmem" and not label.strip():
            body = Segment(("░" * body_w)[:body_w], Style(bgcolor=bg, color=kind("highmem").colour))
        else:
            body = Segment(label.ljust(body_w)[:body_w], Style(bgcolor=bg, color=fg, bold=line == 0))
        cursor = self.s.vcursor if side == "virt" else self.s.pcursor
        here = selected and block.row_of(cursor) == row
        if here:
            gtext, gstyle = "▶" + fmt_addr(cursor, bits), Style(color="black", bgcolor="#f0c040", bold=True)
        elif line == block.height - 1:
            gtext, gstyle = " " + fmt_addr(block.lo, bits), Style(color="#c8c8c8")
        elif line == 0:
            gtext, gstyle = " " + fmt_addr(block.hi - 1, bits), Style(color="#707070")
        else:
            gtext, gstyle = "", Style()
        if narrow:
            if here:  # no gutter: the cursor's address takes the row's start
                body = Segment((gtext + label.rstrip()).ljust(body_w)[:body_w], gstyle)
            return [body]
        gutter = Segment(gtext.ljust(gw)[:gw], gstyle)
        return [gutter, body] if gutter_left else [body, gutter]

    def _band_cells(self, row: int) -> list[Segment]:
        cells = [" "] * BAND_W
        styles = [Style()] * BAND_W
        for (ltop, lbot), (rtop, rbot), colour, temp in self.bands:
            for x in range(BAND_W):
                t = x / (BAND_W - 1)
                top = ltop + (rtop - ltop) * t
                bottom = lbot + (rbot - lbot) * t
                if top - 0.5 <= row <= bottom + 0.5:
                    cells[x] = "▓" if temp else "█"
                    styles[x] = Style(color=colour if temp else blend(colour, 0.6))
        return [Segment(c, st) for c, st in zip(cells, styles, strict=True)]

    # -- actions -------------------------------------------------------------

    def _changed(self) -> None:
        self.hot = self.partners()  # once per change, not once per drawn line
        self._cache.clear()
        self.refresh()
        self.post_message(self.Changed())

    def action_move(self, delta: int) -> None:
        s = self.s
        band = self.left if s.side == "virt" else self.right
        sel = self.selected(s.side)
        i = 0 if sel is None else min(max(sel.index + delta, 0), len(band) - 1)
        item = band.region(i)
        if s.side == "virt":
            s.vcursor = item.start
        else:
            s.pcursor = item.start
        self._changed()

    def action_switch_side(self) -> None:
        self.s.side = "phys" if self.s.side == "virt" else "virt"
        self._changed()

    def action_zoom_in(self) -> None:
        s = self.s
        sel = self.selected(s.side)
        if sel is None:
            return
        if s.side == "virt":
            if sel.region.children:
                s.vfocus = sel.region
        elif sel.region.size > PAGE:
            s.pzoom.append((sel.region.start, sel.region.end))
        self._rebuild()
        self._changed()

    def action_zoom_out(self) -> None:
        s = self.s
        if s.side == "phys" and s.pzoom:
            s.pzoom.pop()
        elif s.side == "virt" and s.vfocus is not s.layout.root:
            path = (s.layout.root, *s.layout.path_at(s.vfocus.start))
            s.vfocus = next((path[i - 1] for i, r in enumerate(path) if r is s.vfocus and i), s.layout.root)
        self._rebuild()
        self._changed()

    def _temp(self, how: str) -> None:
        s = self.s
        page = s.pcursor - s.pcursor % PAGE
        rng = next((p for p in s.layout.physical if p.start <= page < p.end), None)
        if rng is None or rng.kind != "highmem":
            self.notify("Select a highmem page on the right first (Tab, then ↑↓, Enter to zoom in).",
                        title=how, timeout=5)
            return
        temp = kmap(s.layout, page) if how == "kmap()" else kmap_local(s.layout, page)
        if temp is None:
            self.notify(f"{s.layout.id} has no {'pkmap window' if how == 'kmap()' else 'kmap_local slots'}.")
            return
        s.temp = temp
        s.vcursor = temp.virt
        focus = next((r for r in reversed(s.layout.path_at(temp.virt)) if r.children), s.layout.root)
        s.vfocus = focus
        self._rebuild()
        self._changed()

    def action_kmap(self) -> None:
        self._temp("kmap()")

    def action_kmap_local(self) -> None:
        self._temp("kmap_local_page()")

    def action_unmap(self) -> None:
        if self.s.temp is not None:
            self.s.temp = None
            self._rebuild()
            self._changed()

    def on_click(self, event: events.Click) -> None:
        row = event.style.meta.get("row")
        if not isinstance(row, int):
            return
        width = self.scrollable_content_region.width
        left_w = (width - BAND_W) // 2
        side = "virt" if event.x < left_w else "phys" if event.x >= left_w + BAND_W else self.s.side
        band = self.left if side == "virt" else self.right
        block = band.block_at_row(row)
        if block is None:
            return
        self.s.side = side
        lo, _ = block.rows_range(row)
        addr = min(max(lo, block.region.start), block.region.end - 1)
        if side == "virt":
            self.s.vcursor = addr
        else:
            self.s.pcursor = addr
        self._changed()


def info_text(view: SplitView) -> Text:
    s = view.s
    vbits = s.layout.address_bits
    pbits = max(vbits, s.layout.physical_bits or vbits)
    text = Text()
    text.append("virtual ", "bold")
    text.append(fmt_addr(s.vcursor, vbits), "bold #f0c040" if s.side == "virt" else "")
    vleaf = s.layout.path_at(s.vcursor)[-1]
    text.append(f"  {vleaf.name}")
    text.append("     physical ", "bold")
    text.append(fmt_addr(s.pcursor, pbits), "bold #f0c040" if s.side == "phys" else "")
    piece = next((p for p in phys_pieces(s.layout) if p.contains(s.pcursor)), None)
    if piece is not None:
        text.append(f"  {piece.name}" + (f" ({piece.zone.name})" if piece.zone else ""))
    from vaslayout.core.translate import phys_lookup

    aliases = phys_lookup(s.layout, s.pcursor).aliases
    text.append("\naliases of the physical address: ", "bold")
    if aliases:
        text.append(", ".join(f"{fmt_addr(a.address, vbits)} ({a.path[-1].name})" for a in aliases))
    elif piece is not None and piece.kind == "highmem":
        text.append("none: highmem has no permanent mapping. k = kmap(), K = kmap_local_page()", "yellow")
    else:
        text.append("none", "dim")
    if s.temp is not None:
        text.append("\n" + s.temp.explanation + "  (u unmaps)", style=TEMP_COLOUR)
    return text


class SplitScreen(SafeScreen, Screen[None]):
    BINDINGS = [Binding("escape,v", "dismiss", "Close split")]
    DEFAULT_CSS = """
    SplitScreen #split-head { dock: top; height: 1; background: $panel; padding: 0 1; }
    SplitScreen SplitView { height: 1fr; }
    SplitScreen #split-info { height: auto; background: $panel; padding: 0 1; }
    """

    def __init__(self, layout: Layout, vcursor: int) -> None:
        super().__init__()
        linear = [r for r, _, _ in correspondence(layout)]
        focus = layout.root
        if linear:  # start where the 1:1 mappings are siblings: kernel space
            path = (layout.root, *layout.path_at(linear[0].start))
            at = next((i for i, r in enumerate(path) if r is linear[0]), len(path) - 1)
            focus = path[at - 1] if at >= 1 else layout.root  # the linear region's parent, whatever lies inside it
        cursor = vcursor if focus.contains(vcursor) else (linear[0].start if linear else 0)
        self.view = SplitView(SplitState(layout, focus, cursor, 0), id="split")
        # held, not queried: a change the view posts may arrive while the screen is being torn down
        self.head = Static(id="split-head")
        self.info = Static(id="split-info")

    def compose(self) -> ComposeResult:
        yield self.head
        yield self.view
        yield self.info
        yield KeysFooter()

    def on_mount(self) -> None:
        self.view.focus()
        self._update()

    def on_split_view_changed(self) -> None:
        self._update()

    def show(self, state: SplitState) -> None:
        """Another state as a whole (a followed teacher's): zooms, cursors, side and temporary mapping."""
        self.s = state
        self._rebuild()
        if self.is_mounted:
            self._changed()

    def set_layout(self, layout: Layout) -> None:
        self.view.set_layout(layout)

    def set_caption(self, caption) -> None:
        """A tour step's caption, shown above the info line."""
        self.caption = caption
        if self.is_mounted:
            self._update()

    def _update(self) -> None:
        s = self.view.s
        head = Text.assemble(("virtual", "bold cyan" if s.side == "virt" else "bold"), f"  {s.layout.id}",
                             ("   ↔   ", "dim"), ("physical", "bold cyan" if s.side == "phys" else "bold"),
                             f"  {s.layout.physical_bits or s.layout.address_bits}-bit",
                             ("   Tab switches side", "dim"))
        self.head.update(head)
        info = info_text(self.view)
        caption = getattr(self, "caption", None)
        self.info.update(info if caption is None else Group(caption, info))
