"""Roles: what Python code needs to know of a layout, declared by the layout itself.

A layout file says under `roles:` which of its regions is user space, which
is the kernel half, where the KASAN shadow starts ..., instead of code
looking for magic names (TASK_SIZE, KASAN_SHADOW_START, an id `user`). A
region role names a region id; a value role is an expression. This table is
the only list; the loader refuses a role it does not know, and
docs/layout-format.md lists them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    name: str
    region: bool  # True: the role names a region id; False: it is an integer expression
    meaning: str


_ROLES = (
    Role("user", True, "user space, the half (or the part) each process has to itself"),
    Role("kernel", True, "kernel space, shared by every process"),
    Role("direct_map", True, "the linear map of all RAM (lowmem on 32-bit)"),
    Role("vmalloc", True, "vmalloc/ioremap space"),
    Role("vmemmap", True, "the struct page array"),
    Role("kernel_text", True, "the kernel image"),
    Role("modules", True, "the module area"),
    Role("fixmap", True, "the fixmap"),
    Role("pkmap", True, "the persistent kmap window (32-bit HIGHMEM)"),
    Role("kasan_shadow", True, "the KASAN shadow region"),
    Role("program_text", True, "the illustrative process: its program text"),
    Role("heap", True, "the illustrative process: its brk heap"),
    Role("mmap_area", True, "the illustrative process: its mmap area"),
    Role("libc", True, "the illustrative process: the C library"),
    Role("vdso", True, "the illustrative process: vvar and vDSO"),
    Role("ld_so", True, "the illustrative process: the dynamic loader"),
    Role("stack", True, "the illustrative process: the main thread's stack"),
    Role("task_size", False, "TASK_SIZE of a native task: the first address above user space"),
    Role("kasan_shadow_start", False, "KASAN_SHADOW_START (the kernel's addr_in_shadow())"),
    Role("kasan_shadow_end", False, "KASAN_SHADOW_END"),
    Role("fixaddr_top", False, "FIXADDR_TOP: fixmap slot i is at FIXADDR_TOP - i pages"),
    Role("fix_kmap_begin", False, "FIX_KMAP_BEGIN: the first kmap_local_page() fixmap slot"),
    Role("km_max_idx", False, "KM_MAX_IDX: kmap_local_page() slots per CPU"),
)

ROLES: dict[str, Role] = {r.name: r for r in _ROLES}
