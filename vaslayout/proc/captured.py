"""A capture as a layout source: the layout its kernel really had, its vmalloc areas and its process drawn in.

The capture is opened as a system root and read by the same code as the live
machine (detect, iomem, maps); the vmalloc areas of /proc/vmallocinfo become
children of the region that holds them (vmalloc, modules), one child per run of
adjacent areas made by the same kind of caller (thread stacks, module text,
ioremap, bpf, ...).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from vaslayout.core.engine import tile
from vaslayout.core.model import Layout, Region
from vaslayout.core.positions import LayoutError
from vaslayout.core.units import fmt_size
from vaslayout.proc import capture, live, resolve
from vaslayout.proc.kernel import KernelInfo, detect
from vaslayout.proc.maps import Mapping, parse_maps
from vaslayout.proc.reader import ProcError, proc_path
from vaslayout.proc.vmallocinfo import VmallocArea, grouped_runs, parse_vmallocinfo

SOURCE = "/proc/vmallocinfo"
AREA_KINDS = frozenset({"vmalloc", "modules", "ioremap"})  # where vmalloc, vmap and ioremap areas may lie


def read_vmallocinfo(root: str) -> list[VmallocArea]:
    """The areas of ROOT/proc/vmallocinfo ([] when absent, unreadable or hashed)."""
    path = proc_path(root, "vmallocinfo")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return []
    return parse_vmallocinfo(text, path)


def _run_region(group: str, areas: Sequence[VmallocArea], container: Region) -> Region:
    """One child for a run of areas: its group, how many, which callers, how big."""
    callers = Counter(a.function or "?" for a in areas)
    named = ", ".join(f"{name} x{n}" if n > 1 else name for name, n in callers.most_common(4))
    more = f" and {len(callers) - 4} more callers" if len(callers) > 4 else ""
    start, end = areas[0].start, areas[-1].end
    phys = [a.phys for a in areas if a.phys is not None]
    where = f"; phys {phys[0]:#x}" if len(phys) == 1 else ""
    name = group if len(areas) == 1 else f"{group} ({len(areas)})"
    kind = "ioremap" if group == "ioremap" else container.kind
    text = (f"{len(areas)} area{'s' if len(areas) > 1 else ''} of /proc/vmallocinfo, {fmt_size(end - start)} "
            f"with guard pages, made by {named}{more}{where}")
    return Region(name=name, kind=kind, start=start, end=end, description=text, source=SOURCE)


def with_vmalloc_areas(layout: Layout, areas: Sequence[VmallocArea]) -> tuple[Layout, list[VmallocArea]]:
    """The layout with the areas as children of the vmalloc, modules or ioremap leaves that hold them;
    the areas that fit no such leaf."""
    by_leaf: dict[int, list[VmallocArea]] = {}
    outside: list[VmallocArea] = []
    for area in areas:
        if area.end > layout.size:
            outside.append(area)
            continue
        index = layout.leaf_index(area.start)
        leaf = layout.leaves[index]
        if area.end > leaf.end or leaf.kind not in AREA_KINDS:
            outside.append(area)  # the layout puts something else here: the check over captures says so
        else:
            by_leaf.setdefault(index, []).append(area)
    root = layout.root
    for index, found in by_leaf.items():
        leaf = layout.leaves[index]
        runs = [_run_region(group, run, leaf) for group, run in grouped_runs(found)]
        try:
            root = live.replace_children(root, leaf, tile(runs, leaf.start, leaf.end, layout.address_bits))
        except LayoutError:
            outside.extend(found)
    return dataclasses.replace(layout, root=root), outside


def captured_process(root: str, pid: int) -> list[Mapping]:
    """The captured process's maps ([] when the capture holds none)."""
    path = proc_path(root, str(pid), "maps")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return parse_maps(f.read(), path)
    except OSError:
        return []


@dataclass
class CaptureSource:
    """A capture file or directory: opened once, read like a live root, resolved to the kernel's own layout."""

    path: str

    def __post_init__(self) -> None:
        self.root = capture.open_capture(self.path)
        self.manifest = capture.manifest(self.root)
        self.info: KernelInfo = detect(self.root)
        self.outside: list[VmallocArea] = []

    @property
    def choice(self) -> resolve.Choice:
        """The built-in layout and params for this kernel (a ProcError when no layout describes it)."""
        return resolve.choose(self.info)

    @property
    def name(self) -> str:
        return os.path.basename(os.path.normpath(self.path))

    @property
    def pid(self) -> int | None:
        pid = self.manifest.get("pid")
        return pid if isinstance(pid, int) else None

    def kernel_layout(self, overrides: dict[str, str] | None = None) -> Layout:
        """The kernel's layout alone, with its real bases and RAM."""
        return live.base_layout(self.info, overrides)

    def layout(self, overrides: dict[str, str] | None = None) -> Layout:
        """The kernel's layout with its vmalloc areas and the captured process's mappings."""
        base = self.kernel_layout(overrides)
        base, self.outside = with_vmalloc_areas(base, read_vmallocinfo(self.root))
        title = f"{self.info.release} captured ({self.name}): {base.title}"
        maps = captured_process(self.root, self.pid) if self.pid is not None else []
        if maps:
            with contextlib.suppress(ProcError):  # the kernel's layout still stands without the process
                base = live.with_mappings(base, maps, self.pid or 0, title)
        return dataclasses.replace(base, id=f"capture-{self.name}", title=title, origin=self.path)
