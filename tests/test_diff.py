"""diff_layouts: region by region, matched by id and by path of names."""

from __future__ import annotations

import pytest

from vaslayout.catalog import load
from vaslayout.teach.diff import MOVED, ONLY_A, ONLY_B, SAME, DiffRow, diff_layouts, diff_summary


@pytest.fixture(scope="module")
def l4_l5() -> list[DiffRow]:
    return diff_layouts(load("x86_64-4level"), load("x86_64-5level"))


@pytest.fixture(scope="module")
def split_3g_1g() -> list[DiffRow]:
    return diff_layouts(load("x86_32-vmsplit-3g"), load("x86_32-vmsplit-1g"))


def row(rows: list[DiffRow], *path: str) -> DiffRow:
    found = [r for r in rows if r.path == path]
    assert len(found) == 1, (path, found)
    return found[0]


def test_direct_map_moves_to_the_5level_base(l4_l5):
    r = row(l4_l5, "kernel space", "direct mapping of all physical memory")
    assert r.status == MOVED
    assert (r.a_start, r.a_end) == (0xFFFF888000000000, 0xFFFFC88000000000)
    assert (r.b_start, r.b_end) == (0xFF11000000000000, 0xFF91000000000000)
    assert r.a_size == 64 << 40 and r.b_size == 32 << 50
    assert r.size_change == (32 << 50) - (64 << 40)
    assert r.kind == "direct-map"


def test_vmalloc_vmemmap_and_kernel_space_move(l4_l5):
    vmalloc = row(l4_l5, "kernel space", "vmalloc/ioremap space")
    assert (vmalloc.status, vmalloc.a_start, vmalloc.b_start) == (MOVED, 0xFFFFC90000000000, 0xFFA0000000000000)
    vmemmap = row(l4_l5, "kernel space", "virtual memory map")
    assert (vmemmap.status, vmemmap.a_start, vmemmap.b_start) == (MOVED, 0xFFFFEA0000000000, 0xFFD4000000000000)
    kernel = row(l4_l5, "kernel space")
    assert (kernel.a_start, kernel.b_start, kernel.a_end, kernel.b_end) == (
        0xFFFF800000000000, 0xFF00000000000000, 1 << 64, 1 << 64)
    user = row(l4_l5, "user space")
    assert (user.status, user.a_end, user.b_end) == (MOVED, 1 << 47, 1 << 56)


def test_the_top_of_the_kernel_is_the_same(l4_l5):
    cea = row(l4_l5, "kernel space", "cpu_entry_area mapping")
    assert (cea.status, cea.a_start, cea.a_end, cea.b_start, cea.b_end) == (
        SAME, 0xFFFFFE0000000000, 0xFFFFFE8000000000, 0xFFFFFE0000000000, 0xFFFFFE8000000000)
    assert cea.size_change == 0
    for path in [("kernel space", "kernel text mapping"), ("kernel space", "module mapping space"),
                 ("kernel space", "legacy vsyscall ABI"), ("kernel space", "%esp fixup stacks"),
                 ("user space", "user-space virtual memory", "heap")]:
        assert row(l4_l5, *path).status == SAME, path


def test_kasan_shadow_is_matched_by_id(l4_l5):
    """4-level's leaf `kasan_shadow` is 5-level's inner leaf `kasan_shadow`; its parent is new."""
    shadow = [r for r in l4_l5 if r.b_path == ("kernel space", "KASAN shadow memory", "KASAN shadow of kernel space")]
    assert len(shadow) == 1
    s = shadow[0]
    assert (s.status, s.path) == (MOVED, ("kernel space", "KASAN shadow memory"))
    assert (s.a_start, s.a_end, s.b_start, s.b_end) == (
        0xFFFFEC0000000000, 0xFFFFFC0000000000, 0xFFDFFC0000000000, 0xFFFFFC0000000000)
    only_b = [r.path for r in l4_l5 if r.status == ONLY_B]
    assert only_b == [("kernel space", "KASAN shadow memory"),
                      ("kernel space", "KASAN shadow memory", "shadow of non-canonical addresses")]
    assert [r for r in l4_l5 if r.status == ONLY_A] == []


def test_duplicate_names_match_in_order_and_synthetic_gaps_are_ignored(l4_l5):
    holes = [r for r in l4_l5 if r.path == ("kernel space", "unused hole")]
    assert [(r.a_start, r.b_start) for r in holes] == [
        (0xFFFFC88000000000, 0xFF91000000000000),
        (0xFFFFE90000000000, 0xFFD2000000000000),
        (0xFFFFEB0000000000, 0xFFD6000000000000),
        (0xFFFFFC0000000000, 0xFFFFFC0000000000),
        (0xFFFFFE8000000000, 0xFFFFFE8000000000),
        (0xFFFFFF8000000000, 0xFFFFFF8000000000),
        (0xFFFFFFFF00000000, 0xFFFFFFFF00000000),
        (0xFFFFFFFFFFE00000, 0xFFFFFFFFFFE00000),
    ]
    assert not any(r.name == "unused" for r in l4_l5)


def test_rows_in_address_order_of_a_then_b(l4_l5):
    in_a = [r for r in l4_l5 if r.a_start is not None]
    assert in_a == l4_l5[:len(in_a)]
    assert [r.a_start for r in in_a] == sorted(r.a_start for r in in_a)
    assert all(r.status == ONLY_B for r in l4_l5[len(in_a):])
    assert l4_l5[0].path == ("user space",)
    assert l4_l5[1].path == ("user space", "user-space virtual memory")  # outer before inner


def test_summary(l4_l5, split_3g_1g):
    assert diff_summary(l4_l5) == "38 regions: 21 same, 15 moved, 0 only in A, 2 only in B"
    # lowmem's three children (RAM below the kernel image, the image, RAM above it) move with it
    assert diff_summary(split_3g_1g) == "30 regions: 16 same, 14 moved, 0 only in A, 0 only in B"
    assert diff_summary([]) == "0 regions: 0 same, 0 moved, 0 only in A, 0 only in B"


def test_lowmem_moves_with_the_split(split_3g_1g):
    lowmem = row(split_3g_1g, "kernel space", "lowmem (direct mapping of RAM)")
    assert lowmem.status == MOVED
    assert (lowmem.a_start, lowmem.a_end) == (0xC0000000, 0xF6BFE000)  # today's MAXMEM and 32 CPUs: ~876 MiB
    assert (lowmem.b_start, lowmem.b_end) == (0x40000000, 0xC0000000)
    assert lowmem.size_change == (0xC0000000 - 0x40000000) - (0xF6BFE000 - 0xC0000000)
    user = row(split_3g_1g, "user space")
    assert (user.a_end, user.b_end, user.size_change) == (0xC0000000, 0x40000000, -(2 << 30))
    stack = row(split_3g_1g, "user space", "stack")
    assert (stack.status, stack.a_end, stack.b_end, stack.size_change) == (MOVED, 0xC0000000, 0x40000000, 0)
    for path in [("kernel space", "persistent kmap (pkmap)"), ("kernel space", "fixmap"),
                 ("user space", "heap"), ("kernel space", "cpu_entry_area", "read-only IDT")]:
        assert row(split_3g_1g, *path).status == SAME, path


def test_a_layout_against_itself_is_all_same():
    a = load("x86_32-vmsplit-2g")
    rows = diff_layouts(a, load("x86_32-vmsplit-2g"))
    assert rows and all(r.status == SAME for r in rows)
    swapped = diff_layouts(load("x86_64-5level"), load("x86_64-4level"))
    assert [r.path for r in swapped if r.status == ONLY_A] == [
        ("kernel space", "KASAN shadow memory"),
        ("kernel space", "KASAN shadow memory", "shadow of non-canonical addresses")]
