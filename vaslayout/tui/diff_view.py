"""`d` in the compare view: what differs between the first two layouts, region by region."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from vaslayout.diff import MOVED, ONLY_A, ONLY_B, SAME, diff_layouts, diff_summary
from vaslayout.model import Layout
from vaslayout.units import fmt_addr, fmt_size

STATUS_STYLE = {SAME: "dim", MOVED: "bold yellow", ONLY_A: "bold red", ONLY_B: "bold green"}


class DiffScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,d,q", "dismiss(None)", "Close")]
    DEFAULT_CSS = """
    DiffScreen { align: center middle; }
    DiffScreen > Vertical { width: 95%; height: 90%; border: thick $accent; background: $surface; }
    DiffScreen DataTable { height: 1fr; }
    """

    def __init__(self, a: Layout, b: Layout) -> None:
        super().__init__()
        self.a, self.b = a, b

    def compose(self) -> ComposeResult:
        rows = diff_layouts(self.a, self.b)
        with Vertical():
            yield Static(Text.assemble((f" {self.a.id} → {self.b.id}: ", "bold"), diff_summary(rows),
                                       ("   (Esc closes)", "dim")))
            table: DataTable = DataTable(zebra_stripes=True, cursor_type="row")
            table.add_columns("status", "region", self.a.id, self.b.id, "size change")
            bits = self.a.address_bits
            for r in rows:
                def span(lo: int | None, hi: int | None) -> str:
                    return "-" if lo is None or hi is None else f"{fmt_addr(lo, bits)}-{fmt_addr(hi - 1, bits)}"

                change = r.size_change
                table.add_row(Text(r.status, style=STATUS_STYLE.get(r.status, "")), " > ".join(r.path),
                              span(r.a_start, r.a_end), span(r.b_start, r.b_end),
                              "" if not change else ("+" if change > 0 else "-") + fmt_size(abs(change)))
            yield table
