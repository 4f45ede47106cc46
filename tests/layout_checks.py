"""Checks the layout tests share: a table of the kernel's rows against a loaded layout.

Not a test module (pytest collects only test_*.py), so nothing here runs by
itself. The tests import it as `tests.layout_checks`, as tests/robustness does
its conftest: `python -m pytest` from the project root puts the root on sys.path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import pytest

from vaslayout.core.model import Layout, Region
from vaslayout.core.translate import Translation, translate

# A row of a kernel table: start, inclusive last byte, region name, kind.
Row = tuple[int, int, str, str]
# A leaf of the x86 32-bit kernel part: region name, start, exclusive end.
Leaf = tuple[str, int, int]

VMALLOC_OFFSET = 8 << 20  # x86 32-bit: the gap between high_memory and VMALLOC_START

# x86 32-bit without PAE: the kernel part above vmalloc does not depend on the
# split, the RAM or the MAXMEM model (pgtable_32_areas.h, fixmap.h).
X86_32_KERNEL_TOP: list[Leaf] = [
    ("vmalloc guard pages", 0xFEFF_E000, 0xFF00_0000),
    ("persistent kmap (pkmap)", 0xFF00_0000, 0xFF40_0000),
    ("LDT remap", 0xFF40_0000, 0xFF80_0000),
    ("read-only IDT", 0xFF80_0000, 0xFF80_1000),
    ("per-CPU entry areas", 0xFF80_1000, 0xFF95_9000),
    ("unused (PMD rounding below the fixmap)", 0xFF95_9000, 0xFFD3_9000),
    ("boot-time fixmap (early_ioremap)", 0xFFD3_9000, 0xFFF3_A000),
    ("permanent fixmap", 0xFFF3_A000, 0xFFFF_F000),
    ("FIX_HOLE page (above FIXADDR_TOP)", 0xFFFF_F000, 0x1_0000_0000),
]


def slug(text: str) -> str:
    """A region name as a test-id part: lower case, runs of other characters as one dash."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def layout_suffix(layout_id: str) -> str:
    """The part of a layout id after the architecture, for test ids: x86_64-4level -> 4level."""
    return layout_id.split("-")[1]


def row_cases(
    tables: Mapping[str, Sequence[Row]],
    short: Callable[[str], str] = layout_suffix,
    label: Callable[[str], str] = str,
) -> list:
    """One pytest.param (layout_id, start, last, name, kind, next row or None) for every row of every table."""
    cases = []
    for layout_id, rows in tables.items():
        for i, (start, last, name, kind) in enumerate(rows):
            nxt = rows[i + 1] if i + 1 < len(rows) else None
            case_id = f"{short(layout_id)}-{start:016x}-{label(name)}"
            cases.append(pytest.param(layout_id, start, last, name, kind, nxt, id=case_id))
    return cases


def row_region(t: Translation, name: str) -> Region:
    """The region of the lookup's path that carries the row's name (exactly one)."""
    hits = [r for r in t.path if r.name == name]
    assert len(hits) == 1, f"{t.address:#x}: path {[r.name for r in t.path]} has no single {name!r}"
    return hits[0]


def check_row_ends(layout: Layout, start: int, last: int, name: str, kind: str) -> list[tuple[Translation, Region]]:
    """Both ends of a row fall in its named region, with the row's span and kind; returns (lookup, region) per end."""
    ends = []
    for addr in (start, last):
        t = translate(layout, addr)
        region = row_region(t, name)
        assert (region.start, region.last, region.kind) == (start, last, kind)
        ends.append((t, region))
    return ends


def check_next_row(layout: Layout, last: int, nxt: Row) -> Region:
    """The first byte after a row falls in the next row's region, with that row's span; returns the region."""
    region = row_region(translate(layout, last + 1), nxt[2])
    assert (region.start, region.last) == (nxt[0], nxt[1])
    return region


def check_contiguous(rows: Sequence[Row], top: int) -> None:
    """The table itself has no gap or overlap: its rows tile [0, top)."""
    assert rows[0][0] == 0
    assert rows[-1][1] == top - 1
    for (_, last, _, _), (start, _, _, _) in zip(rows, rows[1:], strict=False):
        assert start == last + 1


def check_canonical(layout: Layout, addr: int, canonical: bool) -> None:
    """A lookup says whether the address is canonical, and lands in a non-canonical region exactly when it is not."""
    t = translate(layout, addr)
    assert t.canonical is canonical
    assert (t.region.kind == "non-canonical") is not canonical


def assert_partition(layout: Layout, top: int, *, nonempty: bool = True) -> None:
    """Every address lies in exactly one leaf: the leaves tile [0, top), each one non-empty if asked."""
    leaves = layout.leaves
    assert leaves[0].start == 0
    assert leaves[-1].end == top
    for a, b in zip(leaves, leaves[1:], strict=False):
        assert a.end == b.start, f"{a.name} ends {a.end:#x}, {b.name} starts {b.start:#x}"
        if nonempty:
            assert a.start < a.end


# --- x86 32-bit: the kernel part, leaf by leaf ----------------------------------


# The kernel image inside lowmem (x86 32-bit): _text = PAGE_OFFSET + CONFIG_PHYSICAL_START (16 MiB), and
# Debian 6.1 686-pae's _text .. __bss_stop, the layouts' defaults (kernel_phys, kernel_size).
X86_32_IMAGE_PHYS, X86_32_IMAGE_SIZE = 0x100_0000, 0xF1_9000


def x86_32_lowmem_leaves(page_offset: int, high_memory: int) -> list[Leaf]:
    """Lowmem's three leaves: RAM below the kernel image, the image, RAM above it up to high_memory."""
    image, end = page_offset + X86_32_IMAGE_PHYS, page_offset + X86_32_IMAGE_PHYS + X86_32_IMAGE_SIZE
    return [("lowmem below the kernel image", page_offset, image), ("kernel image", image, end),
            ("lowmem above the kernel image", end, high_memory)]


def in_region(t: Translation, region_id: str) -> bool:
    """The address lies in the region with this id, at any depth (lowmem holds the kernel image)."""
    return region_id in {r.id for r in t.path}


def kernel_leaf_spans(layout: Layout) -> list[Leaf]:
    """(name, start, end) of every leaf from the start of kernel space up, to compare with a hand-made table."""
    kernel = layout.find("kernel")
    return [(r.name, r.start, r.end) for r in layout.leaves if r.start >= kernel.start]


def leaf_edge_cases(split: str, model: str, leaves: Sequence[Leaf], tag: str) -> list:
    """One pytest.param (split, model, name, start, end, next leaf's name or None) for every leaf."""
    names: list[str | None] = [name for name, _, _ in leaves[1:]]
    names.append(None)
    return [
        pytest.param(split, model, name, start, end, nxt, id=f"{tag}-{model}-{name}")
        for (name, start, end), nxt in zip(leaves, names, strict=True)
    ]


def check_leaf_edges(layout: Layout, name: str, start: int, end: int, nxt: str | None, top: int) -> None:
    """A leaf's first and last byte lie in it, and the byte after it in the next leaf (or it ends at top)."""
    assert translate(layout, start).region.name == name
    assert translate(layout, end - 1).region.name == name
    if nxt is not None:
        assert translate(layout, end).region.name == nxt
    else:
        assert end == top


def check_lowmem_end(layout: Layout, page_offset: int, size: int) -> None:
    """Lowmem maps `size` bytes of RAM from PAGE_OFFSET; the VMALLOC_OFFSET gap, then vmalloc, follow it."""
    lowmem = layout.find("lowmem")
    assert (lowmem.start, lowmem.end) == (page_offset, page_offset + size)
    last = translate(layout, page_offset + size - 1)
    assert in_region(last, "lowmem")
    assert last.phys == size - 1
    after = translate(layout, page_offset + size)
    assert after.region.name == "VMALLOC_OFFSET gap"
    assert after.region.kind == "guard"
    assert after.phys is None
    assert layout.derived["high_memory"].value == page_offset + size
    assert layout.derived["VMALLOC_START"].value == page_offset + size + VMALLOC_OFFSET
    assert translate(layout, page_offset + size + VMALLOC_OFFSET - 1).region.name == "VMALLOC_OFFSET gap"
    assert translate(layout, page_offset + size + VMALLOC_OFFSET).region.id == "vmalloc"


def check_user_process(layout: Layout, page_offset: int) -> None:
    """The illustrative process: text at 0x08048000, mmap_base 128 MiB below TASK_SIZE, a 132 KiB stack at the top."""
    mmap_base = page_offset - (128 << 20)
    assert translate(layout, 0x0804_7FFF).region.kind == "hole"
    assert translate(layout, 0x0804_8000).region.id == "program_text"
    assert layout.derived["mmap_base"].value == mmap_base
    assert translate(layout, mmap_base - 1).region.id == "ld_so"
    assert translate(layout, mmap_base).region.name == "stack gap"
    assert (layout.find("stack").start, layout.find("stack").end) == (page_offset - (132 << 10), page_offset)


def check_mem_init_orderings(derived: Mapping[str, int]) -> None:
    """The orderings mem_init() BUG_ONs on (arch/x86/mm/init_32.c) hold between the derived constants."""
    assert derived["PKMAP_BASE"] + derived["LAST_PKMAP"] * derived["PAGE_SIZE"] <= derived["FIXADDR_START"]
    assert derived["VMALLOC_END"] <= derived["PKMAP_BASE"]
    assert derived["VMALLOC_START"] < derived["VMALLOC_END"]
    assert derived["high_memory"] <= derived["VMALLOC_START"]


def derived_values(layout: Layout) -> dict[str, int]:
    """The layout's derived constants by name, as plain numbers."""
    return {name: v.value for name, v in layout.derived.items()}

