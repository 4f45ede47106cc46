"""The paste box (`o`): paste an oops or KASAN report, and the map steps through its addresses.

The box runs the same pure pipeline as `vaslayout explain` and `open
--report` (report.explain_text, report.tour.report_tour) in a worker
thread, so a 1 MB paste never holds up the screen; the text area itself
is bounded the way the report reader is (lines cut at parse.MAX_LINE, the
whole at MAX_PASTE characters).
"""

from __future__ import annotations

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

from vaslayout.errors import UserError
from vaslayout.report.parse import MAX_LINE
from vaslayout.tui.widgets import SafeScreen

MAX_PASTE = 1 << 20  # characters the box holds: a longer log is for `vaslayout explain FILE`
NAME = "pasted report"

# Marker colours by role: the fault stands out, code and stack pointers apart, other registers quiet.
_ROLE_COLOURS = (("fault", "#ff4040"), ("cr2", "#ff9030"), ("rip", "#50e050"), ("rsp", "#40c8ff"),
                 ("reg GS", "#d070ff"), ("reg FS", "#d070ff"), ("reg knlGS", "#d070ff"), ("stack", "#6090ff"),
                 ("frame", "#6090ff"), ("object", "#ff70b0"), ("struct page", "#ff70b0"))
_OTHER = "#c8c8c8"


def mark_colour(role: str) -> tuple[str, int]:
    """The colour of a report address's ◆ on the map, and its rank where a row holds several (0 first)."""
    return next(((colour, rank) for rank, (prefix, colour) in enumerate(_ROLE_COLOURS) if role.startswith(prefix)),
                (_OTHER, len(_ROLE_COLOURS)))


def bound_paste(text: str, room: int) -> tuple[str, str]:
    """The pasted text as the box keeps it, and what was cut ("" when nothing was).

    Lines are cut at MAX_LINE characters (the reader reads no further), the
    whole at `room` characters: a 10^6-character line costs what 4096 do.
    """
    cut_lines = 0
    if len(text) > MAX_LINE:  # only a text this long can hold a line this long
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if len(line) > MAX_LINE:
                lines[i] = line[:MAX_LINE]
                cut_lines += 1
        if cut_lines:
            text = "\n".join(lines)
    notes = [f"{cut_lines} line(s) cut at {MAX_LINE} characters"] if cut_lines else []
    if len(text) > room:
        text = text[:max(room, 0)]
        notes.append(f"the paste was cut at {MAX_PASTE >> 20} Mi characters (explain FILE reads more)")
    return text, "; ".join(notes)


class PasteArea(TextArea):
    """A TextArea whose paste is bounded before it is inserted."""

    def __init__(self, box: ReportBox, **kwargs) -> None:
        super().__init__(soft_wrap=False, **kwargs)  # wrapping a long line costs per character
        self.box = box

    def on_paste(self, event: events.Paste) -> None:
        event.prevent_default()  # TextArea's own handler would insert the text whole
        if self.read_only:
            return
        start, end = self.selection
        selected = len(self.get_text_range(start, end)) if start != end else 0
        text, note = bound_paste(event.text, MAX_PASTE - len(self.text) + selected)
        if text:
            result = self.replace(text, start, end)
            self.move_cursor(result.end_location)
        if note:
            self.box.say(note)


def explain_pasted(text: str):
    """The report's tour, as `open --report` builds it; a UserError says why there is none."""
    from vaslayout.report import explain_text, layout_loader
    from vaslayout.report.tour import report_tour
    from vaslayout.teach.tours import validate_tour

    tour = report_tour(explain_text(text, layout_loader(), name=NAME), NAME)
    validate_tour(tour)  # every stop resolves before the box closes
    return tour


class ReportBox(SafeScreen, ModalScreen[object]):
    """Paste a report; Ctrl+Enter or Explain dismisses with its tour (a report.tour.ReportTour)."""

    DEFAULT_CSS = """
    ReportBox { align: center middle; }
    ReportBox > Vertical {
        width: 90%; max-width: 130; height: 80%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    ReportBox #report-text { height: 1fr; }
    ReportBox #report-message { height: auto; max-height: 3; margin-top: 1; }
    ReportBox #report-message.-error { color: $error; text-style: bold; }
    ReportBox #report-buttons { height: auto; align-horizontal: right; }
    ReportBox Button { margin-left: 2; }
    """

    BINDINGS = [Binding("ctrl+enter,ctrl+j", "explain", "Explain", priority=True),
                Binding("escape", "cancel", "Cancel")]

    def __init__(self) -> None:
        super().__init__()
        self.area = PasteArea(self, id="report-text")
        self.message = Static("Paste an oops or a KASAN report, then Ctrl+Enter (or Explain).",
                              id="report-message")
        self.running = False  # an explanation is under way: a second submit waits for it
        self.closed = False
        self.pending: object | None = None  # a tour explained while another screen covered the box

    def compose(self) -> ComposeResult:
        with Vertical(id="report-box"):
            yield Static("[b]Explain a crash report[/b]", id="report-title")
            yield self.area
            yield self.message
            with Horizontal(id="report-buttons"):
                yield Button("Explain", variant="primary", id="report-explain")
                yield Button("Cancel", id="report-cancel")

    def on_mount(self) -> None:
        self.area.focus()

    def say(self, text: str, error: bool = False) -> None:
        self.message.update(text)
        self.message.set_class(error, "-error")

    @on(Button.Pressed, "#report-explain")
    def _explain_pressed(self) -> None:
        self.action_explain()

    @on(Button.Pressed, "#report-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        if not self.closed:
            self.closed = True
            self.dismiss(None)

    def action_explain(self) -> None:
        if self.running or self.closed:
            return  # a double Ctrl+Enter explains once
        text = self.area.text
        if not text.strip():
            self.say("Nothing to explain yet: paste a report first.", error=True)
            return
        self.running = True
        self.area.read_only = True
        self.say("Explaining...")
        self.run_explain(text)

    @work(thread=True, exclusive=True, group="explain")
    def run_explain(self, text: str) -> None:
        try:
            tour = explain_pasted(text)
        except UserError as exc:
            self.app.call_from_thread(self.failed, str(exc))
            return
        self.app.call_from_thread(self.explained, tour)

    def failed(self, why: str) -> None:
        self.running = False
        if self.closed:
            return
        self.area.read_only = False
        self.say(why, error=True)  # the box stays open with the text, to fix or replace it

    def explained(self, tour) -> None:
        self.running = False
        if self.closed:
            return
        if self.app.screen is not self:  # the palette is open over the box: close once it is gone
            self.pending = tour
            return
        self.closed = True
        self.dismiss(tour)

    def on_screen_resume(self) -> None:
        if self.pending is not None and not self.closed:
            tour, self.pending = self.pending, None
            self.explained(tour)
