"""Region kinds: the one registry of what each kind means, how it is drawn and how it behaves.

Every other place (the loader's check, the docs' list, the colours of the map
and the legend, the translator's "nothing is mapped here") reads this table,
so a new kind is one line here. A kind a layout file uses that is not listed
is allowed and drawn neutral (UNKNOWN).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    colour: str  # a hex colour both rich and Textual understand
    label: str  # legend text
    dim: bool = False  # holes and guards: drawn quietly
    user: bool = False  # memory of one process, reached through its own page tables
    unmapped: bool = False  # nothing is mapped here: an access faults
    closable: bool = False  # a row whose start equals its end is dropped (a hole a param closed)


_KINDS = (
    Kind("user-space", "#4f8fd8", "user space", user=True),
    Kind("user-text", "#5fb3f0", "program text", user=True),
    Kind("user-data", "#72c6d8", "program data", user=True),
    Kind("heap", "#46b39d", "heap", user=True),
    Kind("mmap", "#7e9fe0", "mmap area", user=True),
    Kind("stack", "#a88ee8", "stack", user=True),
    Kind("kernel-space", "#c9863c", "kernel space"),
    Kind("direct-map", "#e0a33a", "direct map / lowmem"),
    Kind("highmem", "#b07a3a", "highmem"),
    Kind("vmalloc", "#4fb06a", "vmalloc/ioremap"),
    Kind("ioremap", "#63b878", "ioremap"),
    Kind("vmemmap", "#a3c94a", "vmemmap"),
    Kind("pkmap", "#d4b83a", "pkmap (kmap)"),
    Kind("fixmap", "#d87a4a", "fixmap"),
    Kind("kernel-text", "#e0605a", "kernel text"),
    Kind("modules", "#d8709a", "modules"),
    Kind("kasan", "#b889d8", "KASAN shadow"),
    Kind("cpu-entry", "#c39a6b", "cpu_entry_area"),
    Kind("ldt", "#9d8f70", "LDT remap"),
    Kind("espfix", "#b59a80", "%esp fixup"),
    Kind("efi", "#8fa7b8", "EFI"),
    Kind("vsyscall", "#e07ad0", "vsyscall"),
    Kind("guard", "#6b6b6b", "guard hole", dim=True, unmapped=True),
    Kind("hole", "#4a4a4a", "unused", dim=True, unmapped=True, closable=True),
    Kind("non-canonical", "#b03030", "non-canonical (faults)", unmapped=True),
    Kind("zone", "#7a9cc6", "memory zone"),
)

KINDS: dict[str, Kind] = {k.name: k for k in _KINDS}
UNKNOWN = Kind("other", "#8a8a8a", "other")
HOLE = "hole"  # the kind of the gaps the engine fills between siblings


def kind(name: str) -> Kind:
    return KINDS.get(name, UNKNOWN)


def names() -> tuple[str, ...]:
    """Every registered kind, in the legend's order."""
    return tuple(KINDS)
