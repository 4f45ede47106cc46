"""Modal screens: help, layout picker, param editor."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rich.markdown import Markdown as RichMarkdown
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from vaslayout.core.model import Layout
from vaslayout.core.positions import LayoutError
from vaslayout.tui.actions import help_markdown
from vaslayout.tui.messages import ParamsChanged
from vaslayout.tui.widgets import SafeOptionList, SafeScreen


class HelpScreen(SafeScreen, ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 110; height: 90%;
        border: thick $accent; background: $surface; padding: 0 2;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.source = help_markdown()  # the actions table's keys and words, as Markdown

    def compose(self) -> ComposeResult:
        # rich's Markdown in one Static, not Textual's Markdown widget: that mounts a widget per block
        # and took over a second to open, so a few `?` in a row kept the app busy for seconds
        with VerticalScroll():
            yield Static(RichMarkdown(self.source), id="help-text")


class LayoutPicker(SafeScreen, ModalScreen[str | None]):
    """Built-in layouts and any file opened in this run."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]
    DEFAULT_CSS = """
    LayoutPicker { align: center middle; }
    LayoutPicker > Vertical {
        width: 80; height: auto; max-height: 80%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    LayoutPicker OptionList { height: auto; max-height: 30; }
    """

    def __init__(self, choices: list[tuple[str, str]], current: str) -> None:
        super().__init__()
        self.choices = choices
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Switch layout[/b]  (Enter opens, Esc cancels)")
            yield SafeOptionList(*[Option(Text.assemble((name, "bold"), "  ", (title, "dim")), id=name)
                               for name, title in self.choices])

    def on_mount(self) -> None:
        options = next(iter(self.query(OptionList)), None) if not self.dismissed else None
        if options is None:
            return  # C8: popped (a tour step) before it mounted: nothing to set up
        ids = [c[0] for c in self.choices]
        if self.current in ids:
            options.highlighted = ids.index(self.current)
        options.focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class ParamEditor(SafeScreen, ModalScreen[None]):
    """Edit params; each change re-resolves at once, a bad value stays inline.

    `try_params` resolves a trial set of overrides (the session's); a good
    one is posted as ParamsChanged for the App to show.
    """

    BINDINGS = [Binding("escape", "dismiss(None)", "Close")]
    DEFAULT_CSS = """
    ParamEditor { align: center middle; }
    ParamEditor > VerticalScroll {
        width: 90; max-width: 100%; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    ParamEditor .param-name { margin-top: 1; text-style: bold; }
    ParamEditor .param-help { color: $text-muted; }
    ParamEditor #param-status { margin-top: 1; height: auto; }
    ParamEditor #param-status.-error { color: $error; }
    """

    def __init__(self, layout: Layout, overrides: dict[str, str],
                 try_params: Callable[[Mapping[str, str]], Layout]) -> None:
        super().__init__()
        self.try_params = try_params
        self.current = layout
        self.overrides = dict(overrides)
        self.shown: dict[str, str] = {}  # what each input showed when opened
        self.status_line = Static("", id="param-status")  # held, not queried: typing may outlive the screen

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Label(f"[b]Params of {self.current.id}[/b]: the map follows as you type (Esc closes)")
            for p in self.current.params.values():
                help_text = p.description
                if p.choices:
                    help_text += "  [" + ", ".join(f"{k} = {v}" for k, v in p.choices.items()) + "]"
                yield Static(f"{p.name}", classes="param-name")
                if help_text:
                    yield Static(help_text, classes="param-help", markup=False)
                value = self.overrides.get(p.name, hex(p.value) if p.value > 4096 else str(p.value))
                self.shown[p.name] = value
                yield Input(value=value, id=f"param-{p.name}", classes="param-input")
            yield self.status_line

    def on_mount(self) -> None:
        inputs = self.query(Input)
        if inputs:
            inputs.first().focus()

    @on(Input.Changed, ".param-input")
    def _changed(self, event: Input.Changed) -> None:
        assert event.input.id is not None
        name = event.input.id.removeprefix("param-")
        value = event.value.strip()
        if name not in self.overrides and value == self.shown.get(name):
            return  # untouched: leave the param free to follow its default
        trial = dict(self.overrides)
        trial[name] = value
        status = self.status_line
        try:
            layout = self.try_params(trial)
        except LayoutError as exc:
            status.add_class("-error")
            status.update(Text(f"{exc}  (the map keeps the last good values)"))
            return
        status.remove_class("-error")
        status.update(Text("ok: the map shows these values", style="green"))
        self.overrides = trial
        self.current = layout
        self.post_message(ParamsChanged(layout, trial))

    @on(Input.Submitted, ".param-input")
    def _submitted(self) -> None:
        self.focus_next()
