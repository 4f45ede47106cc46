"""The vaslayout app: draws a Session (map, details, breadcrumb) and turns keys into session calls."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from functools import partial
from pathlib import Path

from rich.console import Group, RenderableType
from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.containers import Horizontal
from textual.screen import Screen
from textual.theme import Theme
from textual.timer import Timer
from textual.widgets import Static

from vaslayout import catalog
from vaslayout.core import collector
from vaslayout.core.model import Layout, Region
from vaslayout.core.positions import LayoutError
from vaslayout.core.scale import SCALE_TITLES
from vaslayout.core.units import fmt_addr, fmt_size
from vaslayout.errors import UserError
from vaslayout.render import param_text
from vaslayout.session import Session, ViewState, focus_path
from vaslayout.state import load_settings, save_settings
from vaslayout.tui import actions
from vaslayout.tui.details import Details
from vaslayout.tui.footer import KeysFooter
from vaslayout.tui.lookup_bar import LookupBar
from vaslayout.tui.map_view import MapView
from vaslayout.tui.messages import ParamsChanged, ShowAddress
from vaslayout.tui.widgets import MapScreen

MIN_WIDTH, MIN_HEIGHT = 40, 12


PRESENT_THEME = Theme(
    name="vaslayout-present",
    primary="#ffd000",
    secondary="#00c8ff",
    accent="#ffd000",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#1a1a1a",
    dark=True,
)


def present_caption(region: Region | None) -> Text:
    if region is None:
        return Text("")
    text = Text(region.name, style="bold")
    text.append(f"   {fmt_size(region.size)}", style="bold #ffd000")
    if region.description:
        text.append("\n" + region.description.split(". ")[0].rstrip(".") + ".")
    return text


def tour_caption(tour, index: int, note: str = "") -> Group:
    """The step counter, the step's title and its Markdown caption."""
    step = tour.steps[index]
    return step_caption(tour.title, index, len(tour.steps), step.title, step.caption, note)


def step_caption(title: str, index: int, steps: int, step_title: str, caption: str, note: str = "",
                 keys: str = "n: next  p: back", links: bool = True) -> Group:
    """A tour step's caption from its parts (a followed teacher's step arrives as parts, shown without
    clickable links: a view never makes a follower open anything)."""
    from rich.markdown import Markdown  # markdown-it and pygments: 40 ms of start-up only tours need

    head = Text.assemble((f"{title}  ", "bold"), (f"{index + 1}/{steps}", "bold #ffd000"),
                         f"  {step_title}", (f"   {keys}" if keys else "", "dim"))
    parts: list[RenderableType] = [head, Markdown(caption, hyperlinks=links)]
    if note:
        parts.append(Text(note, style="italic yellow"))
    return Group(*parts)


# Actions that open something over the map: offered only while the map is on screen.
MAP_ONLY = ("lookup", "pick_layout", "edit_params", "compare", "physical", "split", "report_box")


class VasLayoutApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "vaslayout"
    BINDINGS = actions.bindings("app")

    def __init__(self, session: Session | str = "x86_64-4level", overrides: dict[str, str] | None = None,
                 channel: tuple[str, Path] | None = None) -> None:
        """A Session (what the CLI builds), or for short a layout name and its param overrides.

        `channel` is ("share" | "follow", the view file): this map publishes its view, or follows
        one (tui/follow.py).
        """
        super().__init__()
        self.session = session if isinstance(session, Session) else Session.for_layout(session, overrides)
        self._channel = channel
        self.follower = None
        self.publisher = None
        # the CLI pauses the collector for start-up: resume it after the first frame
        self._collect_after_start = collector.is_paused()
        self.register_theme(PRESENT_THEME)
        self._theme_before_present: str | None = None
        self._auto: Timer | None = None
        self._step_waiting: int | None = None  # a tour step play_step put off until a screen is up
        settings, self._settings_problem = load_settings()
        self.settings = settings
        if isinstance(settings.get("theme"), str) and settings["theme"] in self.available_themes:
            self.theme = settings["theme"]
        keymap, self.keymap_problem = actions.load_keymap()
        if keymap:
            self.set_keymap(keymap)

    def get_default_screen(self) -> Screen:
        """The map's screen, with the guards every screen of the app has (tui/widgets.py)."""
        return MapScreen(id="_default")

    def compose(self) -> ComposeResult:
        yield Static(id="breadcrumb")
        with Horizontal(id="main"):
            yield MapView(id="map")
            yield Details(id="details")
        yield Static(id="caption")
        yield Static("The terminal is too small: vaslayout needs at least 40x12.", id="too-small")
        yield LookupBar(id="lookup")
        yield KeysFooter(compact=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Map actions only while the map is on screen (not under compare or a modal)."""
        if action in ("reload", "auto_reload", "backing") and not self.session.live:
            return False
        if action == "tour_step":
            return self.session.tour is not None or self.session.opening.demo is not None
        on_map = self.screen is self.screen_stack[0]
        if action == "edit_params" and type(self.screen).__name__ == "SplitScreen":
            return True  # the split view follows params live
        return on_map or action not in MAP_ONLY

    @property
    def map(self) -> MapView:
        return self.query_one(MapView)

    @property
    def layout(self) -> Layout:
        """The layout on show (the session's)."""
        return self.session.layout

    def on_mount(self) -> None:
        session = self.session
        self.map.state = session.view
        self.query_one(Details).show_legend(session.layout)
        # details and breadcrumb follow the map in the same frame (a message would lag one behind)
        self.watch(self.map, "state", self._follow)
        self.map.escape_first = self.query_one(LookupBar).close_if_open  # Esc closes an open bar first
        if self._channel is not None:
            from vaslayout.tui import follow

            kind, path = self._channel
            if kind == "share":
                self.publisher = follow.Publisher(self, path)
            else:
                self.follower = follow.Follower(self, path)
        if self._collect_after_start:
            self.call_after_refresh(collector.resume_for_long_run)
        self.map.focus()
        for problem in (self._settings_problem, self.keymap_problem, self.query_one(LookupBar).history_problem):
            if problem:
                self.notify(problem, severity="warning")
        self._fit(self.size.width, self.size.height)
        opening = session.opening
        if opening.compare:
            self._open_compare(opening.compare)
        if opening.present:
            self.action_present()
        if session.tour is not None:
            self.call_after_refresh(self.play_step, session.tour.index)
        if opening.demo is not None:
            self._demo_shown(opening.demo.snapshot(), None)
        if opening.quiz:
            from vaslayout.tui.quiz import QuizScreen

            self.push_screen(QuizScreen(*opening.quiz))

    def watch_theme(self, theme: str) -> None:
        if theme == PRESENT_THEME.name:
            return  # presenter mode's theme is not the user's choice
        if getattr(self, "settings", None) is not None and self.settings.get("theme") != theme:
            self.settings["theme"] = theme
            problem = save_settings(self.settings)
            if problem:
                self.notify(problem, severity="warning")

    # -- following the map ---------------------------------------------------

    def _follow(self, s: ViewState | None) -> None:
        if s is None:
            return
        self.session.view = s  # the map moved (a key, the mouse): the session holds where it is
        block = self.map.selected_block()
        region = block.region if block else None
        self.query_one(Details).show(s.layout, region, s.cursor)
        self._breadcrumb(s)
        if self.has_class("-present") and self.session.tour is None:
            self.show_caption(present_caption(region))

    def show_caption(self, text: RenderableType) -> None:
        self.query_one("#caption", Static).update(text)

    def show_layout(self, view: ViewState) -> None:
        """The session has a new layout: the map, the legend, the lookup bar and any split view follow."""
        self.map.state = view
        self._show_marks()
        self.query_one(Details).show_legend(view.layout)
        self.query_one(LookupBar).retarget(view.layout)
        from vaslayout.tui.split import SplitScreen

        for screen in self.screen_stack:
            if isinstance(screen, SplitScreen):
                screen.set_layout(view.layout)

    def _show_marks(self) -> None:
        """A crash report's addresses on this map as markers (report.tour.Mark), the step's own highlighted."""
        marks = [m for m in self.session.source.overlays() if hasattr(m, "role") and hasattr(m, "step")]
        if not marks and not self.map.has_markers:
            return
        from vaslayout.tui.report_box import mark_colour

        tour = self.session.tour
        current = next((m.address for m in marks if tour is not None and m.step == tour.index), None)
        self.map.set_markers([(m.address, *mark_colour(m.role)) for m in marks], current)

    # -- a crash report ------------------------------------------------------

    def action_report_box(self) -> None:
        """The paste box: a pasted report is played like `open --report` (n / p through its addresses)."""
        from vaslayout.tui.report_box import ReportBox

        self.push_screen(ReportBox(), self._report_pasted)

    def _report_pasted(self, tour) -> None:
        if tour is None:
            return
        try:
            self.session.start_tour(tour)
        except LayoutError as exc:
            self.notify(str(exc), title="This report cannot be shown", severity="error", timeout=10)
            return
        self.play_step(0)

    # -- tours ---------------------------------------------------------------

    def action_tour_step(self, delta: int) -> None:
        if self.session.tour is not None:
            # from the step still waiting to be shown, if any: n n n while a split view mounts goes 3 steps
            self.play_step(self.session.step_index(delta, self._step_waiting))
        elif self.session.opening.demo is not None:
            if delta < 0:
                self.notify("The demo only goes forward (a free cannot be undone): run it again to start over")
            else:
                self._demo_step()

    @work(thread=True, exclusive=True, group="demo")
    def _demo_step(self) -> None:
        from vaslayout.teach.malloc_demo import COMMANDS

        demo = self.session.opening.demo
        if demo.step >= len(COMMANDS):
            self.call_from_thread(self.notify, "That was the last step: q quits")
            return
        try:
            snap = demo.run(COMMANDS[demo.step])
            layout = self.session.reread()
        except UserError as exc:
            self.call_from_thread(self._live_gone, str(exc))
            return
        self.call_from_thread(self._demo_shown, snap, layout)

    def _demo_shown(self, snap, layout: Layout | None) -> None:
        """A demo step done: the map re-read, the cursor on the block, the caption says what happened."""
        from vaslayout.tui.demo import demo_caption

        if layout is not None:
            self.show_layout(self.session.apply(layout))
        target = snap.address if snap.mapping is not None else (snap.heap.start if snap.heap else None)
        if target is not None and self.screen is self.screen_stack[0]:
            self.jump_to(target)
        self.add_class("-captioned", "-demo")
        self.show_caption(demo_caption(snap))

    def play_step(self, index: int) -> None:
        """Show one step: its layout and params, zoom, address, physical side and caption."""
        from vaslayout.tui.split import SplitScreen

        tour = self.session.tour
        assert tour is not None
        if any(not screen.is_mounted for screen in self.screen_stack[1:]):
            # a screen opened a moment ago is still mounting: tearing it down now crashes its mount
            # (C6, C8); the step is shown once it is up
            self._step_waiting = index
            self.call_after_refresh(self.play_step, index)
            return
        if self._step_waiting == index:
            self._step_waiting = None
        try:
            view = self.session.play(index)
        except LayoutError as exc:
            self.notify(str(exc), title="This step cannot be shown", severity="error", timeout=10)
            return
        while isinstance(self.screen, SplitScreen) or self.screen is not self.screen_stack[0]:
            self.pop_screen()
        self.show_layout(self.session.view)
        caption = tour_caption(tour.tour, index, view.note)
        self.add_class("-captioned")
        self.show_caption(caption)
        if view.physical:
            split = SplitScreen(view.layout, self.session.view.cursor)
            self.push_screen(split)
            split.set_caption(caption)

    def action_present(self) -> None:
        """Presenter mode: big blocks, names and sizes only, high contrast, no footer."""
        on = not self.has_class("-present")
        self.set_class(on, "-present")
        self.map.set_present(on)
        if on:
            self._theme_before_present = self.theme
            self.theme = PRESENT_THEME.name
            self.map.set_state(scale="equal")
            block = self.map.selected_block()
            self.show_caption(present_caption(block.region if block else None))
        else:
            self.theme = self._theme_before_present or "textual-dark"
            self.map.set_state(scale="log")

    def _breadcrumb(self, s: ViewState) -> None:
        names = [s.layout.id, *(focus_path(s)[0] if s.focus is not s.layout.root else [])]
        text = Text()
        for i, name in enumerate(names):
            if i:
                text.append(" > ", "dim")
            text.append(name, "bold" if i == len(names) - 1 else "")
        text.append("   ")
        if s.window is not None:
            bits = s.layout.address_bits
            text.append(f"linear zoom [{fmt_addr(s.window[0], bits)} – {fmt_addr(s.window[1] - 1, bits)}]",
                        "bold yellow")
        else:
            text.append(f"scale: {SCALE_TITLES[s.scale]}", "cyan")
        pid, status = self.session.pid, self.session.live_status
        if pid is not None:
            text.append(f"   pid {pid}: {status or 'live'}", "bold red" if status not in ("", "auto") else "green")
        changed = [p for p in s.layout.params.values() if p.value != p.default]
        if changed:
            text.append("   params: " + ", ".join(f"{p.name}={param_text(p.name, p.value)}" for p in changed),
                        "magenta")
        crumb = self.query_one("#breadcrumb", Static)
        if crumb.content != text:  # a key that moves the cursor leaves it as it is: not drawn again
            crumb.update(text, layout=False)

    # -- layouts and params --------------------------------------------------

    def open_layout(self, name: str) -> None:
        try:
            view = self.session.open(name)
        except LayoutError as exc:
            self.notify(str(exc), title="Cannot open layout", severity="error", timeout=8)
            return
        self.show_layout(view)

    def action_pick_layout(self) -> None:
        from vaslayout.tui.screens import LayoutPicker

        def picked(name: str | None) -> None:
            if name:
                self.open_layout(name)

        self.push_screen(LayoutPicker(self.session.layout_choices(), self.session.name), picked)

    def action_edit_params(self) -> None:
        session = self.session
        if session.source.spec() is None:
            self.notify("A live process takes its params from the running kernel (see vaslayout detect).")
            return
        if not session.layout.params:
            self.notify(f"{session.layout.id} has no params.")
            return
        from vaslayout.tui.screens import ParamEditor

        self.push_screen(ParamEditor(session.layout, session.overrides_now(), session.try_params))

    @on(ParamsChanged)
    def _params_changed(self, event: ParamsChanged) -> None:
        self.show_layout(self.session.apply(event.layout, event.overrides))

    def action_follow_toggle(self) -> None:
        if self.follower is None:
            self.notify("This map follows no one (vaslayout serve --follow)", severity="information")
            return
        following = self.follower.toggle()
        self.notify("Following the teacher again" if following else
                    "Exploring on your own: F snaps back to the teacher")

    def action_lookup(self) -> None:
        self.query_one(LookupBar).open(self.session.layout)

    def action_help(self) -> None:
        from vaslayout.tui.screens import HelpScreen

        self.push_screen(HelpScreen())

    def action_compare(self) -> None:
        from vaslayout.tui.compare import default_partners

        self._open_compare(default_partners(self.session.name, self.session.layout.address_bits))

    def _open_compare(self, names: list[str]) -> None:
        from vaslayout.tui.compare import CompareScreen, load_all

        try:
            layouts = load_all(names, self.session.overrides)
        except LayoutError as exc:
            self.notify(str(exc), title="Cannot compare", severity="error", timeout=8)
            return
        self.push_screen(CompareScreen(names, self.session.view.cursor, layouts))

    # -- a live process ------------------------------------------------------

    def action_reload(self) -> None:
        if self.session.live:
            self._reload()

    def action_auto_reload(self) -> None:
        session = self.session
        if self._auto is not None:
            self._auto.stop()
            self._auto = None
            session.live_status = "" if session.live_status == "auto" else session.live_status
            self.notify("Auto-refresh off")
        else:
            self._auto = self.set_interval(2, self.action_reload)
            session.live_status = "auto"
            self.notify("Re-reading the maps every 2 s")
        self._breadcrumb(session.view)

    def action_backing(self) -> None:
        """Shade the mappings by what backs them (smaps), or give the kinds' colours back."""
        if self.map.shades:
            self._show_backing(None)
        elif self.session.live:
            self._read_backing()

    @work(thread=True, exclusive=True, group="backing")
    def _read_backing(self) -> None:
        from vaslayout.proc.smaps import read_smaps

        source = self.session.source
        try:
            rows = read_smaps(self.session.pid, getattr(source, "root", "/"))
        except UserError as exc:
            self.call_from_thread(self.notify, str(exc), title="What backs the mappings", severity="warning")
            return
        self.call_from_thread(self._show_backing, rows)

    def _show_backing(self, rows) -> None:
        from vaslayout.tui import backing

        details = self.query_one(Details)
        details.backing = {b.mapping.start: b for b in rows} if rows else {}
        self.map.set_shades(backing.shades(rows) if rows else {})
        if rows:
            self.query_one("#legend", Static).update(backing.legend(rows))
        else:
            details.show_legend(self.session.layout)
        self._follow(self.map.state)

    @work(thread=True, exclusive=True, group="reload")
    def _reload(self) -> None:
        try:
            layout = self.session.reread()
        except UserError as exc:
            self.call_from_thread(self._live_gone, str(exc))
            return
        self.call_from_thread(self._reloaded, layout)

    def _reloaded(self, layout: Layout) -> None:
        self.show_layout(self.session.apply(layout))
        if self.map.shades:
            self._read_backing()  # the mappings moved: what backs them too

    def _live_gone(self, why: str) -> None:
        """The process exited (or hid): say so, stop polling, keep the last picture usable."""
        if self._auto is not None:
            self._auto.stop()
            self._auto = None
        self.session.live_status = why
        self.notify(why, title="Cannot read the process", severity="error", timeout=8)
        self._breadcrumb(self.session.view)

    def action_split(self) -> None:
        from vaslayout.tui.split import SplitScreen

        self.push_screen(SplitScreen(self.session.layout, self.session.view.cursor))

    def action_physical(self) -> None:
        from vaslayout.tui.physical import PhysicalScreen, physical_rows

        layout = self.session.layout
        rows, problem = physical_rows(layout, live=self.session.pid is not None)
        if problem:
            self.notify(problem, severity="warning")
        if not rows:
            self.notify(f"{layout.id} says nothing of physical memory.")
            return

        def picked(addr: int | None) -> None:
            if addr is not None:
                self.jump_to(addr)

        buddy = []
        if self.session.pid is not None:  # the running machine's free lists, readable by everyone
            from vaslayout.proc.buddyinfo import read_buddyinfo

            with contextlib.suppress(UserError):
                buddy = read_buddyinfo(getattr(self.session.source, "root", "/"))
        self.push_screen(PhysicalScreen(layout, rows, buddy), picked)

    @on(LookupBar.Jump)
    def _jump(self, event: LookupBar.Jump) -> None:
        self.jump_to(event.address)

    @on(ShowAddress)
    def _show_address(self, event: ShowAddress) -> None:
        if event.address < self.session.layout.size:
            self.jump_to(event.address)  # the map shows where the answer lives

    def jump_to(self, addr: int) -> None:
        """Zoom to the innermost region holding addr and put the cursor on it."""
        self.map.state = self.session.jump(addr)

    # -- size ----------------------------------------------------------------

    def on_resize(self, event) -> None:
        self._fit(event.size.width, event.size.height)

    def _fit(self, width: int, height: int) -> None:
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        was_small = self.has_class("-too-small")
        self.set_class(small, "-too-small")
        self.set_class(width < 110, "-narrow")
        if was_small and not small and self.screen is self.screen_stack[0] and self.focused is None:
            self.call_after_refresh(self.map.focus)  # hiding the map took its focus away

    # -- palette -------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        # Input still queued when the last screen has left (the app shutting down after q, with more
        # keys or clicks behind it) reaches Textual's App.on_event, which forwards it to self.screen and
        # raises ScreenStackError (Textual 8.2.8); it is dropped here, keys (C9) and mouse events alike.
        if isinstance(event, events.InputEvent) and not self.screen_stack:
            return
        await super().on_event(event)

    def action_command_palette(self) -> None:
        """Ctrl+P (the actions table's app.palette): the project's palette, never Textual's (tui/palette.py).

        ENABLE_COMMAND_PALETTE stays on only so the footer shows the key at its right end; this
        action, which Textual's palette is opened from, opens ours.
        """
        from vaslayout.tui.palette import Palette, is_open

        if self.screen_stack and not is_open(self):
            self.push_screen(Palette(self.palette_commands(self.screen)))

    def palette_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """What the palette offers over screen: the table's palette actions, layouts, themes, Screenshot."""
        if screen is self.screen_stack[0]:  # the map's commands only while the map is showing
            for action in actions.ACTIONS:
                if not action.palette or action.where not in ("app", "map"):
                    continue
                namespace = self.map if action.where == "map" else self
                name = action.action.partition("(")[0]
                if namespace.check_action(name, ()) is False:
                    continue
                yield SystemCommand(action.palette, action.help[:1].upper() + action.help[1:],
                                    partial(self.run_action, action.action, namespace))
            for name in catalog.builtin_ids():
                yield SystemCommand(f"Open layout {name}", "Switch to this layout",
                                    lambda name=name: self.open_layout(name))
        for theme in sorted(self.available_themes):
            if theme != PRESENT_THEME.name:  # presenter mode's own (F5)
                yield SystemCommand(f"Theme: {theme}", "Use this theme (remembered)",
                                    partial(setattr, self, "theme", theme))
        yield SystemCommand("Screenshot", "Save an SVG of the screen", self.action_screenshot)
        if screen is not self.screen_stack[0]:
            yield SystemCommand("Quit", "Quit vaslayout", self.action_quit)
