"""Where a layout comes from: one protocol, one class per kind of source.

The App and the CLI never ask "is this a pid, a file, a tour?": they hold a
`LayoutSource` and ask it for the spec, the resolved layout and its
overlays, and to refresh. A new kind of source (a capture of a real
machine, a pasted crash report) is one new class here, nothing else.
No Textual, no rich: the session and the tests use these as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from vaslayout import catalog
from vaslayout.core.model import Layout
from vaslayout.core.positions import LayoutError

if TYPE_CHECKING:
    from vaslayout.core.loader import LayoutSpec


@runtime_checkable
class LayoutSource(Protocol):
    """What the session needs of wherever a layout comes from."""

    @property
    def name(self) -> str:
        """The key param overrides are kept under, and what the picker and breadcrumb call it."""
        ...

    @property
    def pid(self) -> int | None:
        """The process this source reads, if any (the breadcrumb shows its status)."""
        ...

    @property
    def refreshable(self) -> bool:
        """Whether `refresh` can read anything new (a live process can; a file on disk does not change)."""
        ...

    def spec(self) -> LayoutSpec | None:
        """The spec params are edited against; None when params come from elsewhere (the running kernel)."""
        ...

    def load(self, overrides: Mapping[str, str]) -> Layout:
        """The resolved layout with these overrides; raises a UserError (LayoutError, ProcError)."""
        ...

    def trial(self, overrides: Mapping[str, str]) -> Layout:
        """What `load` would give with these overrides, touching nothing on disk (the param editor
        calls it at each key); a LayoutError names the bad value, or says the source takes no params."""
        ...

    def refresh(self, overrides: Mapping[str, str]) -> Layout:
        """Read the source again; may run in a worker thread, so it touches no session state."""
        ...

    def overlays(self) -> Sequence[object]:
        """What is drawn over the layout (a process's mappings, later report markers)."""
        ...


class _Unchanging:
    """A source whose layout does not change under it: refresh is load, nothing drawn over it."""

    pid = None
    refreshable = False

    def load(self, overrides: Mapping[str, str]) -> Layout:
        raise NotImplementedError

    def trial(self, overrides: Mapping[str, str]) -> Layout:
        spec = self.spec()  # type: ignore[attr-defined]
        if spec is None:
            raise LayoutError(f"{self.name} has no params to change")  # type: ignore[attr-defined]
        from vaslayout.core.engine import resolve

        return resolve(spec, dict(overrides))

    def refresh(self, overrides: Mapping[str, str]) -> Layout:
        return self.load(overrides)

    def overlays(self) -> Sequence[object]:
        return ()


class CatalogSource(_Unchanging):
    """A layout by name: a built-in id or a YAML file (catalog decides which)."""

    def __init__(self, name: str) -> None:
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def spec(self) -> LayoutSpec:
        return catalog.spec_for(self._name)

    def load(self, overrides: Mapping[str, str]) -> Layout:
        return catalog.load(self._name, dict(overrides))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._name!r})"


class BuiltinSource(CatalogSource):
    """One of the layouts shipped in layouts/."""


class FileSource(CatalogSource):
    """A layout file the user named; the picker keeps offering it for the rest of the run."""


def source_for(name: str) -> CatalogSource:
    """A built-in id or a file path as the user typed it."""
    return FileSource(name) if catalog.is_path(name) else BuiltinSource(name)


class LiveSource:
    """A running process: the kernel's layout with its /proc/PID/maps in the user half.

    `root` is the system root ("/"; proc is read under ROOT/proc), so a copied
    tree or a capture is read by the same code.
    """

    refreshable = True

    def __init__(self, pid: int, root: str = "/") -> None:
        from vaslayout import proc

        self._pid = pid
        self.root = root
        self._mappings: Sequence[object] = ()
        # the process's start time: a pid the kernel gave to a new process is not ours
        try:
            self.started: int | None = proc.start_time(pid, root=root)
        except proc.ProcError:
            self.started = None

    @property
    def name(self) -> str:
        return f"pid-{self._pid}"

    @property
    def pid(self) -> int:
        return self._pid

    def spec(self) -> None:
        return None  # the running kernel fixes the params (see `vaslayout detect`)

    def trial(self, overrides: Mapping[str, str]) -> Layout:
        raise LayoutError(f"{self.name} takes its params from the running kernel")

    def load(self, overrides: Mapping[str, str]) -> Layout:
        return self.refresh(overrides)

    def refresh(self, overrides: Mapping[str, str]) -> Layout:
        from vaslayout import proc
        from vaslayout.proc import live

        root = self.root
        maps = proc.read_maps_table(self._pid, root=root, started=self.started)  # by column: 65,530 lines
        info = proc.detect(root=root, mappings=maps.ending_above(proc.USER_4LEVEL_LIMIT))
        self._mappings = maps
        return live.process_layout(self._pid, info, maps, proc.comm(self._pid, root=root), dict(overrides))

    def overlays(self) -> Sequence[object]:
        return self._mappings

    def __repr__(self) -> str:
        return f"LiveSource({self._pid}, {self.root!r})"


@dataclass(frozen=True)
class TourStepSource:
    """One step of a tour: its layout and params, or the live process for a `pid: true` step."""

    tour: object  # a teach.tours.Tour
    index: int
    live: Layout | None = None  # with --pid: the process the pid steps are played on
    live_pid: int | None = None

    refreshable = False

    @property
    def step(self):
        return self.tour.steps[self.index]  # type: ignore[attr-defined]

    @property
    def on_live(self) -> bool:
        return self.live is not None and bool(self.step.pid)

    @property
    def name(self) -> str:
        return f"pid-{self.live_pid}" if self.on_live else self.step.layout

    @property
    def pid(self) -> int | None:
        return self.live_pid

    def spec(self) -> LayoutSpec | None:
        return None if self.on_live else catalog.spec_for(self.step.layout)

    def view(self):
        """The step resolved: layout, zoom, cursor, physical side and note (a teach.tours.StepView)."""
        from vaslayout.teach.tours import step_view

        return step_view(self.step, self.live)

    def load(self, overrides: Mapping[str, str]) -> Layout:
        """The step's layout; with other params than the step's, that layout re-resolved with them."""
        if self.on_live or dict(overrides) == dict(self.step.params):
            return self.view().layout
        return self.trial(overrides)

    def trial(self, overrides: Mapping[str, str]) -> Layout:
        """Params apply as on any layout; on a `capture:` step, on top of the captured kernel's own."""
        if self.on_live:
            raise LayoutError(f"{self.name} takes its params from the running kernel")
        if self.step.capture is not None:
            from vaslayout.teach.tours import open_capture

            return open_capture(self.step.capture).layout(dict(overrides))
        from vaslayout.core.engine import resolve

        return resolve(catalog.spec_for(self.step.layout), dict(overrides))

    def refresh(self, overrides: Mapping[str, str]) -> Layout:
        return self.load(overrides)

    def overlays(self) -> Sequence[object]:
        """A crash report's tour: every address of the report on this step's map (report.tour.Mark)."""
        marks_at = getattr(self.tour, "marks_at", None)
        return marks_at(self.index) if marks_at is not None and not self.on_live else ()


class CaptureLayoutSource(_Unchanging):
    """A capture of a real machine (vaslayout capture): its kernel's layout, vmalloc areas and process.

    Params re-resolve the built-in layout the captured kernel was matched to
    (proc/resolve.py), so `p` edits the same params `--set` does. The
    captured process is not running here: there is nothing to re-read.
    """

    def __init__(self, path: str) -> None:
        from vaslayout.proc.captured import CaptureSource

        self.capture = CaptureSource(path)

    @property
    def name(self) -> str:
        return self.capture.choice.layout_id

    def spec(self) -> LayoutSpec:
        return catalog.spec_for(self.capture.choice.layout_id)

    def load(self, overrides: Mapping[str, str]) -> Layout:
        return self.capture.layout(dict(overrides))

    def trial(self, overrides: Mapping[str, str]) -> Layout:
        return self.capture.layout(dict(overrides))  # the captured kernel's bases and areas kept


class FixedSource(_Unchanging):
    """A layout already resolved in memory (a generated one for a benchmark, a test's own)."""

    def __init__(self, layout: Layout) -> None:
        self._layout = layout

    @property
    def name(self) -> str:
        return self._layout.id

    def spec(self) -> None:
        return None

    def load(self, overrides: Mapping[str, str]) -> Layout:
        return self._layout
