"""What each region kind means and how it is coloured, shared by CLI and TUI."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    colour: str  # a hex colour both rich and Textual understand
    label: str  # legend text
    dim: bool = False  # holes and guards: drawn quietly


_KINDS = (
    Kind("user-space", "#4f8fd8", "user space"),
    Kind("user-text", "#5fb3f0", "program text"),
    Kind("user-data", "#72c6d8", "program data"),
    Kind("heap", "#46b39d", "heap"),
    Kind("mmap", "#7e9fe0", "mmap area"),
    Kind("stack", "#a88ee8", "stack"),
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
    Kind("guard", "#6b6b6b", "guard hole", dim=True),
    Kind("hole", "#4a4a4a", "unused", dim=True),
    Kind("non-canonical", "#b03030", "non-canonical (faults)"),
    Kind("zone", "#7a9cc6", "memory zone"),
)

KINDS: dict[str, Kind] = {k.name: k for k in _KINDS}
UNKNOWN = Kind("other", "#8a8a8a", "other")


def kind(name: str) -> Kind:
    return KINDS.get(name, UNKNOWN)
