"""`/` opens this bar: type an address, see the answer as you type, Enter jumps."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from vaslayout.core.model import Layout
from vaslayout.core.translate import AddressError, layout_names, parse_address, translate
from vaslayout.render import translation_view
from vaslayout.state import load_history, save_history


class LookupInput(Input):
    BINDINGS = [
        Binding("up", "history(-1)", "Older", show=False),
        Binding("down", "history(1)", "Newer", show=False),
        Binding("escape", "close", "Close", show=False),
    ]

    def action_history(self, delta: int) -> None:
        bar = self.parent
        if isinstance(bar, LookupBar):
            bar.walk_history(delta)

    def action_close(self) -> None:
        bar = self.parent
        if isinstance(bar, LookupBar):
            bar.close()


class LookupBar(Vertical):
    DEFAULT_CSS = """
    LookupBar {
        dock: bottom;
        height: auto;
        max-height: 16;
        display: none;
        background: $panel;
        border-top: solid $accent;
        padding: 0 1;
    }
    LookupBar.-open { display: block; }
    LookupBar #answer { height: auto; }
    LookupBar #answer.-error { color: $error; }
    """

    class Jump(Message):
        def __init__(self, address: int) -> None:
            super().__init__()
            self.address = address

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.target: Layout | None = None
        self.history, self.history_problem = load_history()
        self._pos = len(self.history)

    def compose(self):
        yield Static(id="answer")
        yield LookupInput(placeholder="address: ffff888000001000, 0xc0000000, 896M, lowmem.end - 1 …",
                          id="lookup-input")

    def open(self, layout: Layout) -> None:
        self.target = layout
        self.add_class("-open")
        field = self.query_one(LookupInput)
        field.focus()
        self._pos = len(self.history)
        self._show(field.value)

    def retarget(self, layout: Layout) -> None:
        """The app switched layout or params: answer for the new one."""
        self.target = layout
        if self.has_class("-open"):
            self._show(self.query_one(LookupInput).value)

    def close(self) -> None:
        self.remove_class("-open")
        self.app.set_focus(None)
        self.screen.focus_next()

    def walk_history(self, delta: int) -> None:
        if not self.history:
            return
        self._pos = min(max(self._pos + delta, 0), len(self.history))
        field = self.query_one(LookupInput)
        field.value = self.history[self._pos] if self._pos < len(self.history) else ""
        field.cursor_position = len(field.value)

    def parse(self, text: str) -> int:
        assert self.target is not None
        return parse_address(text, self.target.address_bits, names=layout_names(self.target))

    def _show(self, text: str) -> None:
        answer = self.query_one("#answer", Static)
        if self.target is None or not text.strip():
            answer.remove_class("-error")
            answer.update(Text("Type an address; Enter jumps there, ↑/↓ walk the history, Esc closes.",
                               style="dim"))
            return
        try:
            addr = self.parse(text)
        except AddressError as exc:
            answer.add_class("-error")
            answer.update(Text(str(exc)))
            return
        answer.remove_class("-error")
        answer.update(translation_view(self.target, translate(self.target, addr)))

    @on(Input.Changed, "#lookup-input")
    def _changed(self, event: Input.Changed) -> None:
        self._show(event.value)

    @on(Input.Submitted, "#lookup-input")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        try:
            addr = self.parse(text)
        except AddressError as exc:
            self.query_one("#answer", Static).update(Text(str(exc), style="bold red"))
            return
        if not self.history or self.history[-1] != text:
            self.history.append(text)
            problem = save_history(self.history)
            if problem:
                self.notify(problem, severity="warning")
        self._pos = len(self.history)
        self.post_message(self.Jump(addr))
