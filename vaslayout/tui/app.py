"""The vaslayout app: the map, the details panel, lookups, layouts, params."""

from __future__ import annotations

import gc
from collections.abc import Iterable
from pathlib import Path

from rich.console import Group, RenderableType
from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.theme import Theme
from textual.timer import Timer
from textual.widgets import Footer, Static

from vaslayout import catalog
from vaslayout.core.loader import LayoutError, LayoutSpec
from vaslayout.core.model import Layout, Region
from vaslayout.core.scale import SCALE_TITLES
from vaslayout.core.units import fmt_addr, fmt_size
from vaslayout.render import param_text
from vaslayout.state import load_keymap, load_settings, save_settings
from vaslayout.tui.details import Details
from vaslayout.tui.lookup_bar import LookupBar
from vaslayout.tui.map_view import MapView, ViewState

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


def _resume_collector() -> None:
    """Start-up objects (modules, classes, the layout) live as long as the app: freezing
    them keeps every later collection from walking them again."""
    gc.freeze()
    gc.enable()


def _start_time(pid: int) -> int | None:
    from vaslayout import proc

    try:
        return proc.start_time(pid)
    except proc.ProcError:
        return None


def tour_caption(tour, index: int, note: str = "") -> Group:
    """The step counter, the step's title and its Markdown caption."""
    from rich.markdown import Markdown  # markdown-it and pygments: 40 ms of start-up only tours need

    step = tour.steps[index]
    head = Text.assemble((f"{tour.title}  ", "bold"), (f"{index + 1}/{len(tour.steps)}", "bold #ffd000"),
                         f"  {step.title}", ("   n: next  p: back", "dim"))
    parts: list[RenderableType] = [head, Markdown(step.caption)]
    if note:
        parts.append(Text(note, style="italic yellow"))
    return Group(*parts)


def focus_path(s: ViewState) -> tuple[list[str], bool]:
    """Names from the top down to the zoomed-in region along the cursor's path, and whether it was on it."""
    names = []
    for r in s.layout.path_at(s.cursor):
        names.append(r.name)
        if r is s.focus:
            return names, True
    return names, False


def refocus(layout: Layout, names: list[str], cursor: int) -> Region:
    """The region of `layout` on the cursor's path whose names match `names`."""
    focus = layout.root
    for region, name in zip(layout.path_at(cursor), names, strict=False):
        if region.name != name or not region.children:
            break
        focus = region
    return focus


class VasLayoutApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "vaslayout"
    BINDINGS = [
        # a tour's n / p come first: while a tour plays, p steps back instead of editing params
        Binding("n", "tour_step(1)", "Next step", id="tour.next", tooltip="The tour's next step"),
        Binding("p", "tour_step(-1)", "Previous step", id="tour.prev", tooltip="The tour's previous step"),
        Binding("slash,g", "lookup", "Lookup", id="app.lookup", tooltip="Look up an address"),
        Binding("l", "pick_layout", "Layout", id="app.layout", tooltip="Switch layout"),
        Binding("p", "edit_params", "Params", id="app.params", tooltip="Edit params: RAM, KASLR bases, ..."),
        Binding("c", "compare", "Compare", id="app.compare", tooltip="Layouts side by side"),
        Binding("v", "split", "Split", id="app.split", tooltip="Virtual and physical side by side"),
        Binding("m", "physical", "Physical", id="app.physical", show=False,
                tooltip="Physical memory and its virtual aliases"),
        Binding("r", "reload", "Re-read", id="app.reload", tooltip="Read the process's maps again"),
        Binding("R", "auto_reload", "Auto", id="app.auto_reload", tooltip="Re-read the maps every 2 s"),
        Binding("f5", "present", "Present", id="app.present", tooltip="Presenter mode: big, high contrast"),
        Binding("F", "follow_toggle", "Follow", id="app.follow", show=False,
                tooltip="Following the teacher: explore on your own, or snap back"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(self, layout_name: str = "x86_64-4level", overrides: dict[str, str] | None = None,
                 initial: Layout | None = None, cursor: int | None = None,
                 compare: list[str] | None = None, pid: int | None = None, present: bool = False,
                 quiz: tuple[list, str] | None = None, tour=None, tour_live: Layout | None = None,
                 tour_step: int = 0, channel: tuple[str, Path] | None = None) -> None:
        super().__init__()
        self._channel = channel  # ("share" | "follow", the view file): see tui/follow.py
        self.follower = None
        self.collect_after_start = False  # the CLI pauses the collector for start-up; resume it after frame 1
        self._quiz_on_start = quiz
        self.tour = tour  # a tours.Tour being played
        self.tour_live = tour_live  # with --pid: the process its pid steps are played on
        self.tour_index = tour_step
        self.register_theme(PRESENT_THEME)
        self._present_on_start = present
        self._theme_before_present: str | None = None
        self._compare_on_start = compare
        self.pid = pid  # a live process: its maps can be read again
        # the process's start time: a pid the kernel gave to a new process is not ours
        self.started = _start_time(pid) if pid is not None else None
        self.live_status = ""  # "", "auto", or why the process can no longer be read
        self._auto: Timer | None = None
        self.layout_name = layout_name
        self.overrides: dict[str, dict[str, str]] = {layout_name: dict(overrides or {})}
        self.layout = initial or catalog.load(layout_name, overrides)
        self.opened: list[str] = [] if not catalog.is_path(layout_name) else [layout_name]
        self._initial_cursor = cursor
        settings, self._settings_problem = load_settings()
        self.settings = settings
        if isinstance(settings.get("theme"), str) and settings["theme"] in self.available_themes:
            self.theme = settings["theme"]
        keymap, self._keymap_problem = load_keymap()  # binding id -> keys, from the config directory
        self.set_keymap(keymap)

    def compose(self) -> ComposeResult:
        yield Static(id="breadcrumb")
        with Horizontal(id="main"):
            yield MapView(id="map")
            yield Details(id="details")
        yield Static(id="caption")
        yield Static("The terminal is too small: vaslayout needs at least 40x12.", id="too-small")
        yield LookupBar(id="lookup")
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Map actions only while the map is on screen (not under compare or a modal)."""
        if action in ("reload", "auto_reload") and self.pid is None:
            return False
        if action == "tour_step":
            return self.tour is not None
        on_map = self.screen is self.screen_stack[0]
        if action == "edit_params" and type(self.screen).__name__ == "SplitScreen":
            return True  # the split view follows params live
        return on_map or action not in ("lookup", "pick_layout", "edit_params", "compare", "physical", "split")

    @property
    def map(self) -> MapView:
        return self.query_one(MapView)

    def on_mount(self) -> None:
        cursor = self._initial_cursor
        if cursor is None:
            cursor = self._default_cursor(self.layout)
        self.map.state = ViewState(self.layout, self.layout.root, cursor)
        self.query_one(Details).show_legend(self.layout)
        # details and breadcrumb follow the map in the same frame (a message would lag one behind)
        self.watch(self.map, "state", self._follow)
        if self._channel is not None:
            from vaslayout.tui import follow

            kind, path = self._channel
            if kind == "share":
                follow.Publisher(self, path)
            else:
                self.follower = follow.Follower(self, path)
        if self.collect_after_start:
            self.call_after_refresh(_resume_collector)
        self.map.focus()
        for problem in (self._settings_problem, self._keymap_problem, self.query_one(LookupBar).history_problem):
            if problem:
                self.notify(problem, severity="warning")
        self._fit(self.size.width, self.size.height)
        if self._compare_on_start:
            self._open_compare(self._compare_on_start)
        if self._present_on_start:
            self.action_present()
        if self.tour is not None:
            self.call_after_refresh(self.play_step, self.tour_index)
        if self._quiz_on_start:
            from vaslayout.tui.quiz import QuizScreen

            self.push_screen(QuizScreen(*self._quiz_on_start))

    @staticmethod
    def _default_cursor(layout: Layout) -> int:
        """Start on the direct map / lowmem: the region people come to see."""
        for r in layout.leaves:
            if r.kind == "direct-map":
                return r.start
        return layout.leaves[0].start if layout.leaves else 0

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
        block = self.map.selected_block()
        region = block.region if block else None
        self.query_one(Details).show(s.layout, region, s.cursor)
        self._breadcrumb(s)
        if self.has_class("-present") and self.tour is None:
            self.show_caption(present_caption(region))

    def show_caption(self, text: RenderableType) -> None:
        self.query_one("#caption", Static).update(text)

    # -- tours ---------------------------------------------------------------

    def action_tour_step(self, delta: int) -> None:
        if self.tour is not None:
            self.play_step(min(max(self.tour_index + delta, 0), len(self.tour.steps) - 1))

    def play_step(self, index: int) -> None:
        """Show one step: its layout and params, zoom, address, physical side and caption."""
        from vaslayout.teach.tours import step_view
        from vaslayout.tui.split import SplitScreen

        assert self.tour is not None
        if any(not screen.is_mounted for screen in self.screen_stack[1:]):
            # a screen opened a moment ago is still mounting: tearing it down now crashes its mount
            # (C6, C8); the step is shown once it is up
            self.call_after_refresh(self.play_step, index)
            return
        self.tour_index = index
        step = self.tour.steps[index]
        try:
            view = step_view(step, self.tour_live)
        except LayoutError as exc:
            self.notify(str(exc), title="This step cannot be shown", severity="error", timeout=10)
            return
        while isinstance(self.screen, SplitScreen) or self.screen is not self.screen_stack[0]:
            self.pop_screen()
        live = self.tour_live is not None and step.pid
        self.layout_name = f"pid-{self.pid}" if live else step.layout
        self.overrides[self.layout_name] = {} if live else dict(step.params)
        self.apply_layout(view.layout)
        cursor = view.cursor if view.cursor is not None else self._default_cursor(view.layout)
        state = self.map.state
        self.map.state = ViewState(view.layout, view.focus, cursor, state.scale if state else "log", None)
        caption = tour_caption(self.tour, index, view.note)
        self.add_class("-captioned")
        self.show_caption(caption)
        if view.physical:
            split = SplitScreen(view.layout, cursor)
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
        if self.pid is not None:
            status = self.live_status or "live"
            text.append(f"   pid {self.pid}: {status}", "bold red" if self.live_status not in ("", "auto") else "green")
        changed = [p for p in s.layout.params.values() if p.value != p.default]
        if changed:
            text.append("   params: " + ", ".join(f"{p.name}={param_text(p.name, p.value)}" for p in changed),
                        "magenta")
        self.query_one("#breadcrumb", Static).update(text, layout=False)

    # -- layouts and params --------------------------------------------------

    def overrides_now(self) -> dict[str, str]:
        return self.overrides.setdefault(self.layout_name, {})

    def spec_for_current(self) -> LayoutSpec:
        return catalog.spec_for(self.layout_name)

    def apply_layout(self, layout: Layout, overrides: dict[str, str] | None = None) -> None:
        """Show a new layout, keeping the cursor (and zoom path) where it still exists."""
        old = self.map.state
        if overrides is not None:
            self.overrides[self.layout_name] = {k: v for k, v in overrides.items() if v.strip()}
        self.layout = layout
        cursor = old.cursor if old and old.cursor < layout.size else self._default_cursor(layout)
        names: list[str] = []
        if old is not None:
            path, found = focus_path(old)
            names = path if found else []
        focus = refocus(layout, names, cursor) if old and old.focus is not old.layout.root else layout.root
        window = old.window if old and old.window and old.window[1] <= layout.size else None
        self.map.state = ViewState(layout, focus, cursor, old.scale if old else "log", window)
        self.query_one(Details).show_legend(layout)
        self.query_one(LookupBar).retarget(layout)
        from vaslayout.tui.split import SplitScreen

        for screen in self.screen_stack:
            if isinstance(screen, SplitScreen):
                screen.set_layout(layout)

    def open_layout(self, name: str) -> None:
        try:
            layout = catalog.load(name, self.overrides.get(name))
        except LayoutError as exc:
            self.notify(str(exc), title="Cannot open layout", severity="error", timeout=8)
            return
        self.layout_name = name
        if catalog.is_path(name) and name not in self.opened:
            self.opened.append(name)
        self.apply_layout(layout)

    def layout_choices(self) -> list[tuple[str, str]]:
        choices = []
        for name in catalog.builtin_ids() + self.opened:
            try:
                choices.append((name, catalog.spec_for(name).title))
            except LayoutError as exc:
                choices.append((name, f"(unreadable: {exc.message})"))
        return choices

    def action_pick_layout(self) -> None:
        from vaslayout.tui.screens import LayoutPicker

        def picked(name: str | None) -> None:
            if name:
                self.open_layout(name)

        self.push_screen(LayoutPicker(self.layout_choices(), self.layout_name), picked)

    def action_edit_params(self) -> None:
        if self.pid is not None:
            self.notify("A live process takes its params from the running kernel (see vaslayout detect).")
            return
        if not self.layout.params:
            self.notify(f"{self.layout.id} has no params.")
            return
        from vaslayout.tui.screens import ParamEditor

        self.push_screen(ParamEditor(self.layout, self.overrides_now()))

    def action_follow_toggle(self) -> None:
        if self.follower is None:
            self.notify("This map follows no one (vaslayout serve --follow)", severity="information")
            return
        following = self.follower.toggle()
        self.notify("Following the teacher again" if following else
                    "Exploring on your own: F snaps back to the teacher")

    def action_lookup(self) -> None:
        self.query_one(LookupBar).open(self.layout)

    def action_help(self) -> None:
        from vaslayout.tui.screens import HelpScreen

        self.push_screen(HelpScreen())

    def action_compare(self) -> None:
        from vaslayout.tui.compare import default_partners

        self._open_compare(default_partners(self.layout_name, self.layout.address_bits))

    def _open_compare(self, names: list[str]) -> None:
        from vaslayout.tui.compare import CompareScreen, load_all

        try:
            layouts = load_all(names, self.overrides)
        except LayoutError as exc:
            self.notify(str(exc), title="Cannot compare", severity="error", timeout=8)
            return
        state = self.map.state
        self.push_screen(CompareScreen(names, state.cursor if state else 0, layouts))

    # -- a live process ------------------------------------------------------

    def action_reload(self) -> None:
        if self.pid is not None:
            self._reload()

    def action_auto_reload(self) -> None:
        if self._auto is not None:
            self._auto.stop()
            self._auto = None
            self.live_status = "" if self.live_status == "auto" else self.live_status
            self.notify("Auto-refresh off")
        else:
            self._auto = self.set_interval(2, self.action_reload)
            self.live_status = "auto"
            self.notify("Re-reading the maps every 2 s")
        self._breadcrumb(self.map.state)

    @work(thread=True, exclusive=True, group="reload")
    def _reload(self) -> None:
        from vaslayout import proc
        from vaslayout.proc import live

        pid = self.pid
        assert pid is not None
        try:
            maps = proc.read_maps(pid, started=self.started)
            info = proc.detect(mappings=maps)
            layout = live.process_layout(pid, info, maps, proc.comm(pid), self.overrides_now())
        except proc.ProcError as exc:
            self.call_from_thread(self._live_gone, str(exc))
            return
        self.call_from_thread(self.apply_layout, layout)

    def _live_gone(self, why: str) -> None:
        """The process exited (or hid): say so, stop polling, keep the last picture usable."""
        if self._auto is not None:
            self._auto.stop()
            self._auto = None
        self.live_status = why
        self.notify(why, title="Cannot read the process", severity="error", timeout=8)
        self._breadcrumb(self.map.state)

    def action_split(self) -> None:
        from vaslayout.tui.split import SplitScreen

        state = self.map.state
        self.push_screen(SplitScreen(self.layout, state.cursor if state else 0))

    def action_physical(self) -> None:
        from vaslayout.tui.physical import PhysicalScreen, physical_rows

        rows, problem = physical_rows(self.layout, live=self.pid is not None)
        if problem:
            self.notify(problem, severity="warning")
        if not rows:
            self.notify(f"{self.layout.id} says nothing of physical memory.")
            return

        def picked(addr: int | None) -> None:
            if addr is not None:
                self.jump_to(addr)

        self.push_screen(PhysicalScreen(self.layout, rows), picked)

    @on(LookupBar.Jump)
    def _jump(self, event: LookupBar.Jump) -> None:
        self.jump_to(event.address)

    def jump_to(self, addr: int) -> None:
        """Zoom to the innermost region holding addr and put the cursor on it."""
        path = self.layout.path_at(addr)
        focus = path[-2] if len(path) >= 2 else self.layout.root
        s = self.map.state
        self.map.state = ViewState(self.layout, focus, addr, s.scale if s else "log", None)

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

    def _on_key(self, event: events.Key) -> None:
        # C9: keys still queued when the app shuts down (q, then more keys) reach Textual's App._on_key
        # after the last screen left, and its binding check raises ScreenStackError; they are dropped.
        if not self.screen_stack:
            event.prevent_default()

    def action_command_palette(self) -> None:
        from vaslayout.tui.palette import open_palette

        open_palette(self)  # Textual's palette, guarded against fast input (tui/palette.py)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if screen is not self.screen_stack[0]:
            return  # the map's commands only while the map is showing
        m = self.map
        for title, help_text, callback in (
            ("Look up an address", "Open the lookup bar", self.action_lookup),
            ("Switch layout", "Open another built-in layout or file", self.action_pick_layout),
            ("Edit params", "RAM size, KASLR bases, PAGE_OFFSET ...", self.action_edit_params),
            ("Compare layouts", "Two or three layouts on one address axis", self.action_compare),
            ("Split view", "Virtual and physical side by side, with the 1:1 bands", self.action_split),
            ("Physical memory", "Physical ranges and their virtual aliases", self.action_physical),
            ("Zoom in", "Show the children of the selected region", m.action_zoom_in),
            ("Zoom out", "Back to the parent region", m.action_zoom_out),
            ("Zoom in linearly", "Around the cursor", lambda: m.action_window(4)),
            ("Zoom out linearly", "Around the cursor", lambda: m.action_window(0.25)),
            ("Reset zoom", "Back to the whole address space", m.action_reset),
            ("Cycle scale", "Logarithmic, proportional, equal", m.action_cycle_scale),
            ("Help", "Keys and what each region is for", self.action_help),
        ):
            yield SystemCommand(title, help_text, callback)
        for name in catalog.builtin_ids():
            yield SystemCommand(f"Open layout {name}", "Switch to this layout",
                                lambda name=name: self.open_layout(name))
