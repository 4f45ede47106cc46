"""/proc/vmallocinfo: every vmalloc, vmap and ioremap area, with the caller that made it.

mm/vmalloc.c (show_vmap_area, vmalloc_info_show) prints one line per area:
"0xSTART-0xEND SIZE CALLER [pages=N] [phys=0xP] [ioremap|vmalloc|vmap|user|vpages|vm_map_ram] [N0=...]";
the size includes the guard page. Without no_hash_pointers (or as a reader
without root) the addresses print as zeros, and the areas say nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vaslayout.errors import UserError

_LINE = re.compile(r"^0x([0-9a-f]+)-0x([0-9a-f]+)\s+(\d+)\s*(.*)$")
FLAGS = ("ioremap", "vmalloc", "vmap", "user", "vpages", "vm_map_ram", "unpurged", "dma-coherent")

# What made an area, from the caller's function name: the groups the map shows.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("thread stacks", ("kernel_clone", "dup_task_struct", "alloc_thread_stack_node", "fork_idle",
                       "copy_process", "irq_init_percpu_irqstack", "scs_alloc", "arch_alloc_vmap_stack",
                       "init_irq_stacks", "irq_stack")),
    ("module text", ("module_alloc", "execmem_alloc", "load_module", "move_module", "alloc_insn_page",
                     "arch_ftrace_update_trampoline", "kprobe")),
    ("bpf", ("bpf_",)),
    ("per-cpu", ("pcpu_",)),
)


class VmallocinfoError(UserError):
    """A vmallocinfo line we cannot read; str() names file:line."""


@dataclass(frozen=True)
class VmallocArea:
    """One area [start, end) (the guard page included) and what made it."""

    start: int
    end: int
    caller: str
    flags: tuple[str, ...]
    pages: int | None
    phys: int | None

    @property
    def function(self) -> str:
        """The caller without its +offset/size: "kernel_clone"."""
        return self.caller.split("+", 1)[0]

    @property
    def group(self) -> str:
        """ioremap, thread stacks, module text, bpf, per-cpu or plain vmalloc/vmap."""
        if "ioremap" in self.flags:
            return "ioremap"
        name = self.function
        for group, prefixes in GROUPS:
            if name.startswith(prefixes) or any(p in name for p in prefixes if not p.endswith("_")):
                return group
        return "vmap" if "vmap" in self.flags and "vmalloc" not in self.flags else "vmalloc"


def parse_vmallocinfo(text: str, origin: str) -> list[VmallocArea]:
    """Every area, in the file's (address) order; hashed (zero) addresses are left out."""
    areas: list[VmallocArea] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        found = _LINE.match(line.strip())
        if not found:
            raise VmallocinfoError(f"{origin}:{number}: not a vmallocinfo line: {line[:80]!r}")
        start, end = int(found.group(1), 16), int(found.group(2), 16)
        if start == 0 and end == 0:
            continue
        words = found.group(4).split()
        caller = words[0] if words and not words[0].startswith(("pages=", "phys=")) and words[0] not in FLAGS else ""
        pages = next((int(w[6:]) for w in words if w.startswith("pages=") and w[6:].isdigit()), None)
        phys = next((int(w[5:], 16) for w in words if w.startswith("phys=")), None)
        flags = tuple(w for w in words if w in FLAGS)
        areas.append(VmallocArea(start, end, caller, flags, pages, phys))
    return areas


def grouped_runs(areas: Sequence[VmallocArea]) -> Iterable[tuple[str, list[VmallocArea]]]:
    """Runs of address-adjacent areas of one group: (group, areas), in address order."""
    run: list[VmallocArea] = []
    for area in sorted(areas, key=lambda a: a.start):
        if run and (area.group != run[-1].group or area.start != run[-1].end):
            yield run[0].group, run
            run = []
        if run and area.start < run[-1].end:
            continue  # an overlapping line (a lazily freed area printed twice): keep the first
        run.append(area)
    if run:
        yield run[0].group, run
