"""`m`: physical memory as a list; picking a range shows and jumps to its virtual aliases."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from vaslayout.core.kinds import kind
from vaslayout.core.model import Layout
from vaslayout.core.translate import AddressError, phys_lookup
from vaslayout.core.units import fmt_addr, fmt_size
from vaslayout.tui.widgets import SafeOptionList, SafeScreen


@dataclass(frozen=True)
class PhysRow:
    name: str
    kind: str
    start: int
    end: int
    depth: int
    aliases: tuple[tuple[int, str], ...]  # (virtual address, region path)
    explanation: str


def _row(layout: Layout, name: str, kind_: str, start: int, end: int, depth: int) -> PhysRow:
    try:
        p = phys_lookup(layout, start)
    except AddressError as exc:
        return PhysRow(name, kind_, start, end, depth, (), str(exc))
    aliases = tuple((a.address, " > ".join(r.name for r in a.path)) for a in p.aliases)
    return PhysRow(name, kind_, start, end, depth, aliases, p.explanation)


def physical_rows(layout: Layout, live: bool) -> tuple[list[PhysRow], str | None]:
    """The machine's /proc/iomem for a live process, else the layout's own physical ranges."""
    if live:
        from vaslayout import proc

        try:
            entries = proc.read_iomem()
        except proc.ProcError as exc:
            problem: str | None = str(exc)
        else:
            if not proc.iomem_hidden(entries):
                rows: list[PhysRow] = []
                for e in proc.walk_iomem(entries):
                    ram = e.name == "System RAM" or e.name.startswith("Kernel ")
                    rows.append(_row(layout, e.name, "direct-map" if ram else "hole", e.start, e.end, e.depth))
                return rows, None
            problem = "/proc/iomem hides its addresses from readers without CAP_SYS_ADMIN; showing the layout's RAM"
    else:
        problem = None
    return [_row(layout, r.name, r.kind, r.start, r.end, 0) for r in layout.physical], problem


def buddy_text(zones: list) -> Text:
    """The page allocator's free lists (/proc/buddyinfo): per zone, free blocks by order as a bar of counts."""
    text = Text("Free blocks by order (the page allocator, /proc/buddyinfo)\n", style="bold")
    orders = max((len(z.free) for z in zones), default=0)
    text.append(f"{'':<10}" + "".join(f"{fmt_size(4096 << o):>8}" for o in range(orders)) + "\n", style="dim")
    for z in zones:
        text.append(f"{z.zone:<10}")
        for n in z.free:
            text.append(f"{n:>8}", style="bold" if n else "dim")
        text.append(f"  {fmt_size(z.free_pages() * 4096)} free\n")
    return text


class PhysicalScreen(SafeScreen, ModalScreen[int | None]):
    BINDINGS = [Binding("escape,m", "dismiss(None)", "Close")]
    DEFAULT_CSS = """
    PhysicalScreen { align: center middle; }
    PhysicalScreen > Vertical {
        width: 110; max-width: 95%; height: 85%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    PhysicalScreen OptionList { height: 1fr; }
    PhysicalScreen #aliases { height: auto; min-height: 3; padding: 1 0 0 0; }
    PhysicalScreen #buddy { height: auto; padding: 1 0 0 0; }
    """

    def __init__(self, layout: Layout, rows: list[PhysRow], buddy: list | None = None) -> None:
        super().__init__()
        self.target = layout
        self.rows = rows
        self.buddy = buddy or []  # proc.buddyinfo.ZoneFree per zone, for a live machine
        self.aliases = Static(id="aliases")  # held, not queried: a highlight may arrive during teardown

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Physical memory[/b]  (↑↓ show the virtual aliases, Enter jumps to the first, Esc closes)")
            yield SafeOptionList(*[Option(self._label(r), id=str(i)) for i, r in enumerate(self.rows)])
            yield self.aliases
            if self.buddy:
                yield Static(buddy_text(self.buddy), id="buddy")

    def _label(self, r: PhysRow) -> Text:
        k = kind(r.kind)
        text = Text(f"{fmt_addr(r.start)}-{fmt_addr(r.end - 1)} {fmt_size(r.end - r.start):>11}  ", style="dim")
        text.append("  " * r.depth + r.name, style=k.colour if not k.dim else "")
        if r.aliases:
            text.append(f"  → {fmt_addr(r.aliases[0][0], self.target.address_bits)}", style="bold")
        return text

    def on_mount(self) -> None:
        options = self.query(OptionList).first(None)
        if options is not None:  # None: popped before it mounted
            options.focus()

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self.dismissed:
            return
        r = self.rows[int(event.option.id or 0)]
        bits = self.target.address_bits
        if r.aliases:
            text = Text()
            for addr, path in r.aliases:
                text.append(f"{fmt_addr(addr, bits)}  ", style="bold")
                text.append(f"{path}\n")
        else:
            text = Text(r.explanation, style="italic")
        self.aliases.update(text)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if self.dismissed:
            return  # C2: the second Enter of a double press
        r = self.rows[int(event.option.id or 0)]
        if r.aliases:
            self.dismiss(r.aliases[0][0])
        else:
            self.notify(r.explanation, title=r.name, timeout=8)
