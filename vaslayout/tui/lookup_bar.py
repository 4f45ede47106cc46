"""`/` opens this bar: type an address, see the answer as you type, Enter jumps."""

from __future__ import annotations

import re

from rich.console import Group
from rich.text import Text
from textual import events, on
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from vaslayout.core.model import Layout
from vaslayout.core.translate import AddressError, layout_names, parse_address, translate
from vaslayout.render import translation_view
from vaslayout.state import load_history, save_history

_LITERAL = re.compile(r"(0x)?[0-9a-f_]+[kmgtpe]?", re.IGNORECASE)  # a number as written, not an expression
_FRESH_KEYS = ("slash", "g")  # the keys that open the bar: after Enter (or Esc) they start a new lookup


def is_expression(text: str) -> bool:
    """Whether the text computes its address (operators, names) rather than writing it down."""
    return _LITERAL.fullmatch(text.strip()) is None


class LookupInput(Input):
    """The address field. A lookup key right after Enter starts a new lookup instead of typing.

    A terminal sends Esc and a key typed quickly after it as one alt+key
    (Textual's parser): Esc / then arrives as alt+slash, which would type "/"
    after the old text. Both mean "close, then that key", and are handled so.
    """

    BINDINGS = [
        Binding("up", "history(-1)", "Older", show=False),
        Binding("down", "history(1)", "Newer", show=False),
        Binding("escape", "close", "Close", show=False),
    ]

    answered = False  # the text is the one just looked up (Enter), not edited since

    def on_key(self, event: events.Key) -> None:
        """Runs before Input's own key handler; preventing the default keeps the key out of the text."""
        bar = self.parent
        fresh = event.key in _FRESH_KEYS and self.answered
        if isinstance(bar, LookupBar) and (fresh or event.key.startswith("alt+")):
            event.stop()
            event.prevent_default()
            key = event.key.removeprefix("alt+")
            if key in _FRESH_KEYS:
                bar.fresh()
            else:  # Esc and a key: close, and the key goes where it would have gone
                bar.close()
                self.app.simulate_key(key)

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
        self.fresh()

    def fresh(self) -> None:
        """A new lookup: the old text stays, selected, so typing replaces it."""
        field = self.query_one(LookupInput)
        field.select_all()
        field.answered = False
        self._show(field.value)

    def retarget(self, layout: Layout) -> None:
        """The app switched layout or params: answer for the new one."""
        self.target = layout
        if self.has_class("-open"):
            self._show(self.query_one(LookupInput).value)

    def close_if_open(self) -> bool:
        """Esc on the map while the bar is open: close the bar (and do nothing else)."""
        if not self.has_class("-open"):
            return False
        self.close()
        return True

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
        view = translation_view(self.target, translate(self.target, addr))
        if is_expression(text):  # say what was computed: a typo in an expression is still an address
            bits = self.target.address_bits
            sum_line = Text.assemble((text.strip(), "bold"), " = ", (f"{addr:#0{bits // 4 + 2}x}", "bold cyan"))
            answer.update(Group(sum_line, view))
        else:
            answer.update(view)

    @on(Input.Changed, "#lookup-input")
    def _changed(self, event: Input.Changed) -> None:
        self.query_one(LookupInput).answered = False
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
        self.query_one(LookupInput).answered = True
        self.post_message(self.Jump(addr))
