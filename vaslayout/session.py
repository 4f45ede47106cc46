"""What the user is looking at, without a screen: the source, the params, the view, the tour.

The TUI draws a `Session` and turns keys into calls on it; the CLI builds
one per command (`open`, `tour`, `quiz`, `compare`, `screenshot`) and hands
it to the one App. Everything here is plain Python, so tests drive it with
a fake `LayoutSource` and no terminal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vaslayout import catalog
from vaslayout.core.model import Layout, Region
from vaslayout.core.positions import LayoutError
from vaslayout.sources import FileSource, LayoutSource, TourStepSource, source_for

if TYPE_CHECKING:
    from vaslayout.core.physmap import TempMapping


@dataclass(frozen=True)
class ViewState:
    """Everything the map shows; the session holds it, the map draws it."""

    layout: Layout
    focus: Region  # the region whose children fill the view
    cursor: int
    scale: str = "log"
    window: tuple[int, int] | None = None  # linear zoom [lo, hi)


@dataclass
class SplitState:
    """What the split view (virtual beside physical) shows: each side's zoom and cursor, the active side,
    a temporary mapping of a highmem page (kmap)."""

    layout: Layout
    vfocus: Region
    vcursor: int
    pcursor: int
    pzoom: list[tuple[int, int]] = field(default_factory=list)  # physical zoom stack of [lo, hi)
    side: str = "virt"
    temp: TempMapping | None = None

    def shared(self) -> dict[str, Any]:
        """As plain data (what a class following this view is sent): region names and numbers only."""
        top = self.vfocus is self.layout.root
        names = [] if top else focus_path(ViewState(self.layout, self.vfocus, self.vfocus.start))[0]
        temp = None if self.temp is None else {"how": self.temp.how, "phys": self.temp.phys}
        return {"vfocus": names, "vfocus_at": self.vfocus.start, "vcursor": self.vcursor, "pcursor": self.pcursor,
                "pzoom": [list(z) for z in self.pzoom], "side": self.side, "temp": temp}

    @classmethod
    def from_shared(cls, layout: Layout, data: Mapping[str, Any]) -> SplitState:
        """shared()'s data on this layout: what no longer exists in it falls back to the top or is dropped."""
        from vaslayout.core.physmap import kmap, kmap_local

        vfocus = refocus(layout, data["vfocus"], min(data["vfocus_at"], layout.size - 1))
        vcursor = min(data["vcursor"], layout.size - 1)
        temp = data["temp"]
        mapping = None
        if temp is not None:
            mapping = (kmap if temp["how"] == "kmap" else kmap_local)(layout, temp["phys"])
        pzoom = [(lo, hi) for lo, hi in data["pzoom"] if lo < hi]
        return cls(layout, vfocus, vcursor, data["pcursor"], pzoom, data["side"], mapping)


@dataclass(frozen=True)
class Opening:
    """What to show on top of the map once it is on screen (from the command line)."""

    compare: list[str] | None = None  # layout names side by side
    quiz: tuple[list, str] | None = None  # (questions, title)
    present: bool = False  # presenter mode from the start
    demo: object | None = None  # a teach.malloc_demo.MallocDemo whose child the session shows (n steps it)


def default_cursor(layout: Layout) -> int:
    """Start on the direct map / lowmem: the region people come to see."""
    for r in layout.leaves:
        if r.kind == "direct-map":
            return r.start
    return layout.leaves[0].start if layout.leaves else 0


def mappings_view(layout: Layout) -> tuple[Region, int] | None:
    """A process's first screen: the region its mappings fill and the first of them (None: no mappings)."""
    for leaf in layout.leaves:
        if leaf.mapping is not None:
            path = layout.path_at(leaf.start)
            return (path[-2] if len(path) >= 2 else layout.root), leaf.start
    return None


def first_view(layout: Layout, process: bool, cursor: int | None = None) -> ViewState:
    """What opens: the outline of the whole layout, or for a process the half its mappings fill."""
    mine = mappings_view(layout) if process and cursor is None else None
    if mine is not None:
        return ViewState(layout, mine[0], mine[1])
    return ViewState(layout, layout.root, default_cursor(layout) if cursor is None else cursor)


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


def _clean(overrides: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in overrides.items() if v.strip()}


@dataclass
class Tour:
    """A tour being played: the tour, the step shown, and the live process its pid steps use."""

    tour: object  # teach.tours.Tour
    index: int = 0
    live: Layout | None = None
    pid: int | None = None

    @property
    def steps(self) -> int:
        return len(self.tour.steps)  # type: ignore[attr-defined]


class Session:
    """The current source and its layout, the param overrides per source, the view and the tour cursor.

    Building one loads the layout, so a bad name or an unreadable process is
    a UserError before any screen opens.
    """

    def __init__(self, source: LayoutSource, overrides: Mapping[str, str] | None = None, *,
                 cursor: int | None = None, tour: Tour | None = None,
                 opening: Opening = Opening()) -> None:
        self.tour = tour  # with a tour, source is its current step (a TourStepSource)
        self.opening = opening
        self.source = source
        self.overrides: dict[str, dict[str, str]] = {source.name: dict(overrides or {})}
        self.layout = source.load(self.overrides_now())
        self.opened: list[str] = [source.name] if isinstance(source, FileSource) else []
        self.view = first_view(self.layout, source.pid is not None and tour is None, cursor)
        self.live_status = ""  # "", "auto", or why the process can no longer be read

    @classmethod
    def for_layout(cls, name: str, overrides: Mapping[str, str] | None = None, **options) -> Session:
        """A built-in id or a file path, as typed on the command line."""
        return cls(source_for(name), overrides, **options)

    @classmethod
    def for_tour(cls, tour: object, index: int = 0, live: Layout | None = None, pid: int | None = None,
                 **options) -> Session:
        """A tour from step `index`; with `live`, its `pid: true` steps play on that process."""
        source = TourStepSource(tour, index, live, pid)
        params = {} if source.on_live else dict(source.step.params)  # as play() keeps them
        return cls(source, params, tour=Tour(tour, index, live, pid), **options)

    # -- what is shown -------------------------------------------------------

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def pid(self) -> int | None:
        return self.source.pid

    @property
    def live(self) -> bool:
        """A process whose maps can be read again."""
        return self.source.pid is not None and self.source.refreshable

    def overrides_now(self) -> dict[str, str]:
        return self.overrides.setdefault(self.source.name, {})

    def apply(self, layout: Layout, overrides: Mapping[str, str] | None = None) -> ViewState:
        """Show a new layout of the same source, keeping the cursor (and zoom path) where it still exists."""
        old = self.view
        if overrides is not None:
            self.overrides[self.source.name] = _clean(overrides)
        self.layout = layout
        cursor = old.cursor if old.cursor < layout.size else default_cursor(layout)
        path, found = focus_path(old)
        focus = refocus(layout, path if found else [], cursor) if old.focus is not old.layout.root else layout.root
        window = old.window if old.window and old.window[1] <= layout.size else None
        self.view = ViewState(layout, focus, cursor, old.scale, window)
        return self.view

    def open(self, name: str) -> ViewState:
        """Switch to another layout by name; a LayoutError leaves everything as it was."""
        source = source_for(name)
        layout = source.load(self.overrides.get(name, {}))
        self.source = source
        if isinstance(source, FileSource) and name not in self.opened:
            self.opened.append(name)
        return self.apply(layout)

    def jump(self, addr: int) -> ViewState:
        """Zoom to the innermost region holding addr and put the cursor on it."""
        path = self.layout.path_at(addr)
        focus = path[-2] if len(path) >= 2 else self.layout.root
        self.view = ViewState(self.layout, focus, addr, self.view.scale, None)
        return self.view

    def layout_choices(self) -> list[tuple[str, str]]:
        """(name, title) of every built-in layout and every file opened in this run."""
        choices = []
        for name in catalog.builtin_ids() + self.opened:
            try:
                choices.append((name, catalog.spec_for(name).title))
            except LayoutError as exc:
                choices.append((name, f"(unreadable: {exc.message})"))
        return choices

    # -- params --------------------------------------------------------------

    def try_params(self, trial: Mapping[str, str]) -> Layout:
        """The layout these overrides would give; a LayoutError names the bad value. Changes nothing."""
        if self.source.spec() is None:
            raise LayoutError(f"{self.source.name} takes its params from the running kernel")
        return self.source.trial(_clean(trial))

    # -- a live process ------------------------------------------------------

    def reread(self) -> Layout:
        """The source read again (a worker thread calls this): apply() the result on the UI's side."""
        return self.source.refresh(self.overrides_now())

    # -- a tour --------------------------------------------------------------

    def play(self, index: int):
        """Show one step: its layout and params, zoom and address. Returns the teach.tours.StepView.

        A step that cannot be shown raises LayoutError and changes nothing.
        """
        assert self.tour is not None
        source = TourStepSource(self.tour.tour, index, self.tour.live, self.tour.pid)
        view = source.view()
        self.tour.index = index
        self.source = source
        self.overrides[source.name] = {} if source.on_live else dict(source.step.params)
        self.apply(view.layout)
        cursor = view.cursor if view.cursor is not None else default_cursor(view.layout)
        self.view = ViewState(view.layout, view.focus, cursor, self.view.scale, None)
        return view

    def start_tour(self, tour: object):
        """Play another tour (a pasted crash report) from its first step; returns play(0)'s StepView."""
        previous = self.tour
        self.tour = Tour(tour)
        try:
            return self.play(0)
        except LayoutError:
            self.tour = previous
            raise

    def step_index(self, delta: int, start: int | None = None) -> int:
        """The tour step `delta` away from `start` (default: the current one), kept inside the tour."""
        assert self.tour is not None
        return min(max((self.tour.index if start is None else start) + delta, 0), self.tour.steps - 1)

