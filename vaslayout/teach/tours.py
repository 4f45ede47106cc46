"""Guided tours: a YAML file of steps, each a layout, a region, an address and a caption.

A tour is read the way a layout file is read (loader.py): YAML nodes built
from the safe parser's events, aliases, anchors and foreign tags refused,
every complaint a LayoutError with file:line:column. `validate_tour`
resolves every step against its layout (params applied, zoom target found,
address parsed), so a broken step is reported before anyone plays it.

Pure: no Textual, no rich. The player (the TUI) calls `step_view` for each
step and gets the resolved layout, the region to show and the cursor.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from vaslayout import catalog
from vaslayout.core import translate
from vaslayout.core.engine import resolve
from vaslayout.core.loader import (
    MAX_FILE_BYTES,
    LayoutError,
    Pos,
    _pos,
    _Reader,
    close_matches,
    compose_document,
    printable,
    read_text_file,
)
from vaslayout.core.model import Layout, Region
from vaslayout.core.units import fmt_addr
from vaslayout.errors import UserError, shortened

if TYPE_CHECKING:
    from vaslayout.proc.captured import CaptureSource

MAX_STEPS = 100
TOUR_KEYS = ("id", "title", "summary", "steps")
STEP_KEYS = ("title", "layout", "params", "zoom", "address", "physical", "caption", "pid", "report", "capture")

_PACKAGE = Path(__file__).resolve().parent.parent  # vaslayout/


@dataclass(frozen=True)
class Step:
    """One stop of a tour. `layout` is a built-in id or a file path (made absolute
    against the tour file's folder when the tour was read from a file)."""

    title: str
    layout: str
    params: dict[str, str] = field(default_factory=dict)
    zoom: str | None = None  # a region id, or a name path "kernel space > direct mapping"
    address: str | None = None  # read as `vaslayout lookup` reads it: hex by default, or an expression
    physical: bool = False  # show the physical side (the split view)
    caption: str = ""  # short Markdown
    pid: bool = False  # with --pid, play this step on the live process
    capture: str | None = None  # a capture of a real machine (vaslayout capture): its kernel's own layout
    # Where each value was written, for errors: "step", "layout", "params",
    # "param:NAME" (the key), "value:NAME", "zoom", "address".
    where: Mapping[str, Pos] = field(default_factory=dict, compare=False, repr=False)

    def pos(self, key: str) -> Pos | str | None:
        return self.where.get(key) or self.where.get("step")


@dataclass(frozen=True)
class Tour:
    id: str
    title: str
    summary: str
    steps: tuple[Step, ...]
    origin: str = ""


@dataclass(frozen=True)
class StepView:
    """What the map shows for one step, resolved."""

    layout: Layout
    focus: Region  # the region whose children fill the map: the zoom target, or its parent if it has none
    cursor: int | None  # the address, else the zoom target's start; None: wherever the app starts
    zoom: tuple[Region, ...] = ()  # top-level region down to the zoom target; () without zoom
    address: int | None = None  # the step's address, parsed
    physical: bool = False
    note: str = ""  # on a live process: what of the step could not be found there


# -- where tours live ---------------------------------------------------------


def builtin_dir() -> Path:
    """Inside an installed wheel tours/ sits in the package; in a checkout, beside it."""
    for candidate in (_PACKAGE / "tours", _PACKAGE.parent / "tours"):
        if candidate.is_dir():
            return candidate
    raise LayoutError("the built-in tours folder is missing from this installation")


def builtin_tours() -> list[str]:
    return sorted(p.stem for p in builtin_dir().glob("*.yaml"))


def load_tour(path_or_id: str | os.PathLike[str]) -> Tour:
    """A built-in tour id or a path to a tour file -> Tour (read, not yet validated)."""
    if isinstance(path_or_id, os.PathLike) or catalog.is_path(path_or_id):
        path = Path(path_or_id)
        return load_tour_file(path)
    ids = builtin_tours()
    if path_or_id not in ids:
        hint = close_matches(path_or_id, ids)
        tip = f"did you mean {hint[0]!r}?" if hint else "known: " + ", ".join(ids)
        raise LayoutError(f"unknown tour {printable(shortened(path_or_id, 80))!r} ({tip})")
    path = builtin_dir() / f"{path_or_id}.yaml"
    return load_tour_file(path, display=str(path))


def load_tour_file(path: str | os.PathLike[str], display: str | None = None) -> Tour:
    text, origin = read_text_file(path, display, "tour file")
    return load_tour_text(text, origin, base=Path(os.fsdecode(path)).resolve().parent)


def load_tour_text(text: str, origin: str = "<tour>", base: Path | None = None) -> Tour:
    """Tour YAML -> Tour. Step layouts given as relative paths are taken relative to `base`."""
    origin = printable(origin)
    if len(text) > MAX_FILE_BYTES:
        raise LayoutError(f"{len(text)} characters: larger than 1 MiB, the most a tour file may be", origin)
    root = compose_document(text, origin, "tour file")
    return _TourReader(origin, base).tour(root)


# -- reading ------------------------------------------------------------------


def _keys(node: yaml.Node) -> set[str]:
    """The keys of a mapping node (empty for anything else), before it is read."""
    if not isinstance(node, yaml.MappingNode):
        return set()
    return {k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)}


def _is_layout_path(name: str) -> bool:
    return name.endswith((".yaml", ".yml")) or "/" in name


class _TourReader(_Reader):
    def __init__(self, origin: str, base: Path | None) -> None:
        super().__init__(origin)
        self.base = base

    def pos(self, node: yaml.Node) -> Pos:
        return _pos(node, self.origin)

    def boolean(self, node: yaml.Node | None, what: str) -> bool:
        if node is None:
            return False
        self.visit(node)
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:bool":
            raise self.err(node, f"{what} must be true or false")
        return node.value.lower() in ("true", "yes", "on", "y")

    def nonempty(self, node: yaml.Node, what: str) -> str:
        value = self.text(node, what)
        if not value.strip():
            raise self.err(node, f"{what} is empty")
        return value

    def tour(self, root: yaml.Node) -> Tour:
        m = self.mapping(root, "the tour", TOUR_KEYS, ("id", "title", "steps"))
        tour_id = self.word(m["id"], "id")
        title = self.nonempty(m["title"], "title")
        summary = self.text(m.get("summary"), "summary")
        items = self.sequence(m["steps"], "steps")
        if not items:
            raise self.err(m["steps"], "steps is empty; a tour needs at least one step")
        if len(items) > MAX_STEPS:
            raise self.err(items[MAX_STEPS], f"more than {MAX_STEPS} steps")
        steps = tuple(self.step(node, i + 1) for i, node in enumerate(items))
        return Tour(tour_id, title, summary, steps, self.origin)

    def step(self, node: yaml.Node, number: int) -> Step:
        what = f"step {number}"
        m = self.mapping(node, what, STEP_KEYS, ("title", "caption") if _keys(node) & {"report", "capture"} else
                         ("title", "layout", "caption"))
        where: dict[str, Pos] = {"step": self.pos(node)}
        layout = self.nonempty(m["layout"], f"{what} layout") if "layout" in m else ""
        where["layout"] = self.pos(m.get("layout", node))
        if _is_layout_path(layout) and self.base is not None and not os.path.isabs(layout):
            layout = str(self.base / layout)
        params: dict[str, str] = {}
        if "params" in m:
            where["params"] = self.pos(m["params"])
            for name, vnode in self.mapping(m["params"], f"{what} params", ()).items():
                params[name] = self.value(vnode, f"{what} param {name!r}").text
                where[f"param:{name}"] = self.pos(self.keys.get(id(vnode), vnode))
                where[f"value:{name}"] = self.pos(vnode)
        zoom = address = None
        if "zoom" in m:
            zoom = self.nonempty(m["zoom"], f"{what} zoom")
            where["zoom"] = self.pos(m["zoom"])
        if "address" in m:
            address = self.value(m["address"], f"{what} address").text
            where["address"] = self.pos(m["address"])
        caption = self.nonempty(m["caption"], f"{what} caption")
        capture = None
        if "capture" in m:  # a real machine's capture: its layout id and real bases
            if "report" in m:
                raise self.err(m["capture"], f"{what} has both a capture and a report; give one of them")
            capture = self.nonempty(m["capture"], f"{what} capture")
            if self.base is not None and not os.path.isabs(capture):
                capture = str(self.base / capture)
            where["capture"] = self.pos(m["capture"])
            try:
                chosen = open_capture(capture).choice.layout_id
            except UserError as exc:
                raise LayoutError(exc.message if isinstance(exc, LayoutError) else str(exc),
                                  where["capture"]) from None
            layout = layout or chosen
        if "report" in m:  # a crash report: its layout, params and address, its explanation under the caption
            from vaslayout.report.tour import report_fields

            report = self.nonempty(m["report"], f"{what} report")
            if self.base is not None and not os.path.isabs(report):
                report = str(self.base / report)
            try:
                layout, params, address, caption = report_fields(report, layout, params, address, caption)
            except UserError as exc:
                raise LayoutError(str(exc), self.pos(m["report"])) from None
        return Step(
            title=self.nonempty(m["title"], f"{what} title"),
            layout=layout,
            params=params,
            zoom=zoom,
            address=address,
            physical=self.boolean(m.get("physical"), f"{what} physical"),
            caption=caption,
            pid=self.boolean(m.get("pid"), f"{what} pid"),
            capture=capture,
            where=where,
        )


# -- resolving ----------------------------------------------------------------


def _set_name(pos: object) -> str | None:
    """The param a `--set NAME=VALUE` position names (how the engine points at overrides)."""
    text = str(getattr(pos, "file", pos) or "")
    if not text.startswith("--set "):
        return None
    return text[len("--set "):].split("=", 1)[0]


@functools.lru_cache(maxsize=8)
def open_capture(path: str) -> CaptureSource:
    """A capture opened once per run (a tar.gz is unpacked once), however often its steps are played."""
    from vaslayout.proc.captured import CaptureSource

    return CaptureSource(path)


def _capture_layout(step: Step) -> Layout:
    """The layout the captured kernel really had, the step's params applied on top."""
    assert step.capture is not None
    try:
        return open_capture(step.capture).layout(dict(step.params))
    except UserError as exc:
        if isinstance(exc, LayoutError):
            _raise_at_param(exc, step)
        message = exc.message if isinstance(exc, LayoutError) else str(exc)
        raise LayoutError(f"capture {os.path.basename(step.capture)!r}: {message}",
                          step.pos("params" if step.params else "capture")) from None


def _raise_at_param(exc: LayoutError, step: Step) -> None:
    """A param the step names that does not resolve: the error at its name (unknown) or its value (bad)."""
    name = _set_name(exc.pos)
    if name is None or name not in step.params:
        return
    if "has no param" in exc.message:
        raise LayoutError(exc.message, step.pos("param:" + name)) from None
    message = exc.message if repr(name) in exc.message else f"param {name!r}: {exc.message}"
    raise LayoutError(message, step.pos("value:" + name)) from None


def step_layout(step: Step) -> Layout:
    """The step's layout with its params applied; errors point into the tour file."""
    if step.capture is not None:
        return _capture_layout(step)
    try:
        spec = catalog.spec_for(step.layout)
    except LayoutError as exc:
        if exc.pos is None or str(exc.pos) == printable(step.layout):
            message = exc.message.replace("cannot read:", "cannot read the layout:", 1)
            raise LayoutError(message, step.pos("layout")) from None
        if not step.layout.lower().endswith((".yaml", ".yml")):
            # not a YAML file: the loader's message may quote its contents (`layout: /etc/shadow`);
            # name only where it failed, and let the user ask about that file themselves
            raise LayoutError(f"layout {step.layout!r} is not a layout file (it fails at {exc.pos or 'its start'}; "
                              f"see vaslayout validate)", step.pos("layout")) from None
        raise LayoutError(f"layout {step.layout!r} does not load: {exc}", step.pos("layout")) from None
    try:
        return resolve(spec, step.params)
    except LayoutError as exc:
        _raise_at_param(exc, step)
        raise LayoutError(f"layout {spec.id!r} with these params does not resolve: {exc}",
                          step.pos("params" if step.params else "layout")) from None


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


def _path_to(layout: Layout, region: Region) -> tuple[Region, ...]:
    path = layout.path_at(region.start)
    for i, r in enumerate(path):
        if r is region:
            return path[: i + 1]
    return (region,)


def _suggest(word: str, names: list[str]) -> str | None:
    """The name closest to word, whole or by its first len(word) characters ('direct mop')."""
    hint = close_matches(word, names)
    if hint:
        return hint[0]
    heads: dict[str, str] = {}
    for name in names:
        heads.setdefault(_norm(name)[: len(_norm(word))], name)
    hint = close_matches(_norm(word), heads)
    return heads[hint[0]] if hint else None


def _child(parent: Region, segment: str, where: str) -> Region:
    want = _norm(segment)
    names = [c.name for c in parent.children]
    exact = [c for c in parent.children if _norm(c.name) == want]
    found = exact or [c for c in parent.children if _norm(c.name).startswith(want)]
    if len(found) == 1:
        return found[0]
    if found:
        raise LookupError(f"{segment!r} names {len(found)} regions in {where}; use a region id or a longer name")
    hint = _suggest(segment, names)
    tip = f"did you mean {hint!r}?" if hint else "there: " + ", ".join(dict.fromkeys(names))
    raise LookupError(f"no region {segment!r} in {where} ({tip})")


def find_region(layout: Layout, target: str) -> tuple[Region, ...]:
    """The region `target` names, as its path from the top-level region down.

    `target` is a region id (`direct_map`) or a path of region names from
    the top, separated by `>` (`kernel space > direct mapping`); a name
    matches case-insensitively, and a unique prefix is enough. Raises
    LookupError with a one-line reason.
    """
    target = target.strip()
    if ">" not in target:
        region = layout.find(target)
        if region is not None:
            return _path_to(layout, region)
    path: list[Region] = []
    parent = layout.root
    for segment in target.split(">"):
        segment = segment.strip()
        if not segment:
            raise LookupError(f"empty name in the region path {target!r}")
        where = layout.id if parent is layout.root else repr(parent.name)
        try:
            parent = _child(parent, segment, where)
        except LookupError as exc:
            if not path and ">" not in target and str(exc).startswith("no region"):
                ids = sorted(layout.by_id)
                hint = _suggest(target, ids + [c.name for c in layout.root.children])
                tip = f"did you mean {hint!r}?" if hint else "ids: " + ", ".join(ids)
                raise LookupError(f"no region with the id or name {target!r} in {layout.id} ({tip})") from None
            raise exc from None
        path.append(parent)
    return tuple(path)


def _parse(step: Step, layout: Layout) -> int:
    assert step.address is not None
    return translate.parse_address(step.address, layout.address_bits, names=translate.layout_names(layout))


def _view(step: Step, layout: Layout, zoom: tuple[Region, ...], address: int | None, note: str = "") -> StepView:
    if zoom:
        target = zoom[-1]
        focus = target if target.children else (zoom[-2] if len(zoom) >= 2 else layout.root)
        cursor = address if address is not None else target.start
    else:
        focus, cursor = layout.root, address
    return StepView(layout, focus, cursor, zoom, address, step.physical, note)


def step_view(step: Step, live: Layout | None = None) -> StepView:
    """Resolve one step: its layout, zoom target and address.

    Without `live` (or for a step without `pid: true`) everything must
    resolve, else a LayoutError points at the offending value in the tour
    file. With `live` (a process's layout) a `pid: true` step is played on
    it, leniently: a zoom target the process does not have is matched by
    kind ([heap], [stack], the program's text, libc), and an address that
    does not resolve there is dropped; `note` says what was dropped.
    """
    if live is not None and step.pid:
        return _live_view(step, live)
    layout = step_layout(step)
    zoom: tuple[Region, ...] = ()
    if step.zoom is not None:
        try:
            zoom = find_region(layout, step.zoom)
        except LookupError as exc:
            raise LayoutError(str(exc), step.pos("zoom")) from None
    address = None
    if step.address is not None:
        try:
            address = _parse(step, layout)
        except translate.AddressError as exc:
            raise LayoutError(f"address {exc}", step.pos("address")) from None
        if zoom and not zoom[-1].contains(address):
            r = zoom[-1]
            bits = layout.address_bits
            raise LayoutError(
                f"address {fmt_addr(address, bits)} is outside the zoom target {r.name!r} "
                f"[{fmt_addr(r.start, bits)}-{fmt_addr(r.last, bits)}]",
                step.pos("address"))
    return _view(step, layout, zoom, address)


# What a region of the illustrative process is called in /proc/PID/maps.
_LIVE_NAMES = {"heap": "[heap]", "stack": "[stack]", "vdso": "[vdso]", "libc": "libc",
               "mmap_area": "libc", "ld_so": "ld-linux"}


def _live_match(live: Layout, model: Region) -> Region | None:
    """The live mapping that plays the part of `model`, a region of the illustrative process."""
    maps = [r for r in live.leaves if r.mapping is not None]
    rid = model.id or ""
    if rid in ("program_text", "program_data"):
        text = next((r for r in maps if r.kind == "user-text"), None)  # the lowest code: the program's
        if text is None or rid == "program_text":
            return text
        path = getattr(text.mapping, "path", None)
        return next((r for r in maps if getattr(r.mapping, "path", None) == path
                     and "w" in getattr(r.mapping, "perms", "")), None)
    needle = _LIVE_NAMES.get(rid)
    if needle is not None:
        return next((r for r in maps if r.name == needle or needle in os.path.basename(r.name)), None)
    kinds = {model.kind} | {c.kind for c in model.children}
    return next((r for r in maps if r.kind in kinds), None)


def _live_view(step: Step, live: Layout) -> StepView:
    zoom: tuple[Region, ...] = ()
    notes: list[str] = []
    if step.zoom is not None:
        try:
            zoom = find_region(live, step.zoom)
        except LookupError:
            model = find_region(step_layout(step), step.zoom)[-1]  # the step validated: this resolves
            found = _live_match(live, model)
            if found is None:
                notes.append(f"this process has no {model.name}")
            else:
                zoom = _path_to(live, found)
    address = None
    if step.address is not None:
        try:
            address = _parse(step, live)
        except translate.AddressError:
            address = None
        if address is not None and zoom and not zoom[-1].contains(address):
            address = None
        if address is None and not zoom:
            notes.append(f"{step.address} does not apply to this process")
    return _view(step, live, zoom, address, "; ".join(notes))


def validate_tour(tour: Tour) -> None:
    """Resolve every step; the first that does not resolve raises LayoutError at its position."""
    for step in tour.steps:
        step_view(step)
