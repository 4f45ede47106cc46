"""`d` in the compare view: what differs between the first two layouts, region by region."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from vaslayout.core.model import Layout
from vaslayout.render import diff_cells
from vaslayout.teach.diff import diff_layouts, diff_summary
from vaslayout.tui.widgets import SafeScreen


class DiffScreen(SafeScreen, ModalScreen[None]):
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
            for r in rows:
                table.add_row(*diff_cells(r, self.a.address_bits))
            yield table
