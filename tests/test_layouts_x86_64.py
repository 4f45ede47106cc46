"""The x86-64 layouts against the kernel's own tables.

The rows below are transcribed from Documentation/arch/x86/x86_64/mm.rst
(torvalds/linux @25768de50b1f): start, inclusive end, and the region name the
layout gives the row. Rows marked UNDOCUMENTED are the two ranges the doc
leaves out; the engine fills them with `unused` holes.
"""

from __future__ import annotations

import pytest

from tests.layout_checks import (
    assert_partition,
    check_canonical,
    check_contiguous,
    check_next_row,
    check_row_ends,
    row_cases,
)
from vaslayout.catalog import load
from vaslayout.core.translate import translate

TOP = 1 << 64
UNDOCUMENTED = "unused"

# The rows from 0xfffffc0000000000 up, the same with 4- and 5-level paging.
# FIXADDR_START is variable; the layouts default it to 0xffffffffff580000.
COMMON_TAIL = [
    (0xFFFFFC0000000000, 0xFFFFFDFFFFFFFFFF, "unused hole", "hole"),
    (0xFFFFFE0000000000, 0xFFFFFE7FFFFFFFFF, "cpu_entry_area mapping", "cpu-entry"),
    (0xFFFFFE8000000000, 0xFFFFFEFFFFFFFFFF, "unused hole", "hole"),
    (0xFFFFFF0000000000, 0xFFFFFF7FFFFFFFFF, "%esp fixup stacks", "espfix"),
    (0xFFFFFF8000000000, 0xFFFFFFEEFFFFFFFF, "unused hole", "hole"),
    (0xFFFFFFEF00000000, 0xFFFFFFFEFFFFFFFF, "EFI region mapping space", "efi"),
    (0xFFFFFFFF00000000, 0xFFFFFFFF7FFFFFFF, "unused hole", "hole"),
    (0xFFFFFFFF80000000, 0xFFFFFFFF9FFFFFFF, "kernel text mapping", "kernel-text"),
    (0xFFFFFFFFA0000000, 0xFFFFFFFFFEFFFFFF, "module mapping space", "modules"),
    (0xFFFFFFFFFF000000, 0xFFFFFFFFFF57FFFF, UNDOCUMENTED, "hole"),
    (0xFFFFFFFFFF580000, 0xFFFFFFFFFF5FFFFF, "kernel-internal fixmap range", "fixmap"),
    (0xFFFFFFFFFF600000, 0xFFFFFFFFFF600FFF, "legacy vsyscall ABI", "vsyscall"),
    (0xFFFFFFFFFF601000, 0xFFFFFFFFFFDFFFFF, UNDOCUMENTED, "hole"),
    (0xFFFFFFFFFFE00000, 0xFFFFFFFFFFFFFFFF, "unused hole", "hole"),
]

ROWS_4LEVEL = [
    (0x0000000000000000, 0x00007FFFFFFFEFFF, "user-space virtual memory", "user-space"),
    (0x00007FFFFFFFF000, 0x00007FFFFFFFFFFF, "guard hole", "guard"),
    (0x0000800000000000, 0x7FFFFFFFFFFFFFFF, "non-canonical hole, user side", "non-canonical"),
    (0x8000000000000000, 0xFFFF7FFFFFFFFFFF, "non-canonical hole, kernel side", "non-canonical"),
    (0xFFFF800000000000, 0xFFFF87FFFFFFFFFF, "guard hole, reserved for hypervisor", "guard"),
    (0xFFFF880000000000, 0xFFFF887FFFFFFFFF, "LDT remap for PTI", "ldt"),
    (0xFFFF888000000000, 0xFFFFC87FFFFFFFFF, "direct mapping of all physical memory", "direct-map"),
    (0xFFFFC88000000000, 0xFFFFC8FFFFFFFFFF, "unused hole", "hole"),
    (0xFFFFC90000000000, 0xFFFFE8FFFFFFFFFF, "vmalloc/ioremap space", "vmalloc"),
    (0xFFFFE90000000000, 0xFFFFE9FFFFFFFFFF, "unused hole", "hole"),
    (0xFFFFEA0000000000, 0xFFFFEAFFFFFFFFFF, "virtual memory map", "vmemmap"),
    (0xFFFFEB0000000000, 0xFFFFEBFFFFFFFFFF, "unused hole", "hole"),
    (0xFFFFEC0000000000, 0xFFFFFBFFFFFFFFFF, "KASAN shadow memory", "kasan"),
    *COMMON_TAIL,
]

# The doc prints the user-space end as 00fffffffffff000 (sic): that is the
# first byte of the guard page, so the inclusive end is 0x00ffffffffffefff.
ROWS_5LEVEL = [
    (0x0000000000000000, 0x00FFFFFFFFFFEFFF, "user-space virtual memory", "user-space"),
    (0x00FFFFFFFFFFF000, 0x00FFFFFFFFFFFFFF, "guard hole", "guard"),
    (0x0100000000000000, 0x7FFFFFFFFFFFFFFF, "non-canonical hole, user side", "non-canonical"),
    (0x8000000000000000, 0xFEFFFFFFFFFFFFFF, "non-canonical hole, kernel side", "non-canonical"),
    (0xFF00000000000000, 0xFF0FFFFFFFFFFFFF, "guard hole, reserved for hypervisor", "guard"),
    (0xFF10000000000000, 0xFF10FFFFFFFFFFFF, "LDT remap for PTI", "ldt"),
    (0xFF11000000000000, 0xFF90FFFFFFFFFFFF, "direct mapping of all physical memory", "direct-map"),
    (0xFF91000000000000, 0xFF9FFFFFFFFFFFFF, "unused hole", "hole"),
    (0xFFA0000000000000, 0xFFD1FFFFFFFFFFFF, "vmalloc/ioremap space", "vmalloc"),
    (0xFFD2000000000000, 0xFFD3FFFFFFFFFFFF, "unused hole", "hole"),
    (0xFFD4000000000000, 0xFFD5FFFFFFFFFFFF, "virtual memory map", "vmemmap"),
    (0xFFD6000000000000, 0xFFDEFFFFFFFFFFFF, "unused hole", "hole"),
    (0xFFDF000000000000, 0xFFFFFBFFFFFFFFFF, "KASAN shadow memory", "kasan"),
    *COMMON_TAIL,
]

TABLES = {"x86_64-4level": ROWS_4LEVEL, "x86_64-5level": ROWS_5LEVEL}


@pytest.fixture(scope="module")
def layouts():
    # mm.rst's tables describe a kernel built without CONFIG_RANDOMIZE_BASE (512 MB of kernel
    # text); the layouts default to the 1 GB distribution kernels have (tests/test_layouts_kaslr.py).
    return {layout_id: load(layout_id, {"randomize_base": 0}) for layout_id in TABLES}


@pytest.mark.parametrize("layout_id", list(TABLES))
def test_tables_are_contiguous(layout_id):
    check_contiguous(TABLES[layout_id], TOP)


@pytest.mark.parametrize(("layout_id", "start", "last", "name", "kind", "nxt"), row_cases(TABLES))
def test_row(layouts, layout_id, start, last, name, kind, nxt):
    layout = layouts[layout_id]
    for t, region in check_row_ends(layout, start, last, name, kind):
        if not region.children:
            assert t.region is region  # a leaf row is the lookup's own region
        if name == UNDOCUMENTED:
            assert region.synthetic
    if nxt is not None:
        check_next_row(layout, last, nxt)


@pytest.mark.parametrize(
    ("layout_id", "addr", "leaf"),
    [
        pytest.param("x86_64-4level", 0x0, UNDOCUMENTED, id="4level-null-page-is-unmapped"),
        pytest.param("x86_64-5level", 0x0, UNDOCUMENTED, id="5level-null-page-is-unmapped"),
        pytest.param("x86_64-4level", 0x00007FFFFFFFEFFF, "stack", id="4level-last-user-byte-is-stack"),
        pytest.param("x86_64-5level", 0x00007FFFFFFFEFFF, "stack", id="5level-stack-top-below-47-bits"),
        pytest.param("x86_64-5level", 0x00FFFFFFFFFFEFFF, UNDOCUMENTED, id="5level-last-user-byte-unused"),
        pytest.param(
            "x86_64-5level", 0xFFDF000000000000, "shadow of non-canonical addresses", id="5level-kasan-row-start"
        ),
        pytest.param(
            "x86_64-5level", 0xFFDFFC0000000000, "KASAN shadow of kernel space", id="5level-kasan-shadow-start"
        ),
    ],
)
def test_leaf_inside_parent_rows(layouts, layout_id, addr, leaf):
    assert translate(layouts[layout_id], addr).region.name == leaf


@pytest.mark.parametrize(
    ("layout_id", "addr", "canonical"),
    [
        pytest.param("x86_64-4level", 0x0000800000000000, False, id="4level-first-non-canonical"),
        pytest.param("x86_64-4level", 0xFFFF7FFFFFFFFFFF, False, id="4level-last-non-canonical"),
        pytest.param("x86_64-4level", 0x00007FFFFFFFFFFF, True, id="4level-top-of-user-half"),
        pytest.param("x86_64-4level", 0xFFFF800000000000, True, id="4level-bottom-of-kernel-half"),
        pytest.param("x86_64-4level", 0xDFFFFC0000000000, False, id="4level-kasan-offset"),
        pytest.param("x86_64-5level", 0x0100000000000000, False, id="5level-first-non-canonical"),
        pytest.param("x86_64-5level", 0xFEFFFFFFFFFFFFFF, False, id="5level-last-non-canonical"),
        pytest.param("x86_64-5level", 0x00FFFFFFFFFFFFFF, True, id="5level-top-of-user-half"),
        pytest.param("x86_64-5level", 0xFF00000000000000, True, id="5level-bottom-of-kernel-half"),
        pytest.param("x86_64-5level", 0x0000800000000000, True, id="5level-above-47-bits-is-canonical"),
        pytest.param("x86_64-5level", 0xFFFF800000000000, True, id="5level-4level-kernel-start-is-canonical"),
    ],
)
def test_canonical(layouts, layout_id, addr, canonical):
    check_canonical(layouts[layout_id], addr, canonical)


@pytest.mark.parametrize(
    ("layout_id", "page_offset"),
    [
        pytest.param("x86_64-4level", 0xFFFF888000000000, id="4level"),
        pytest.param("x86_64-5level", 0xFF11000000000000, id="5level"),
    ],
)
class TestDirectMap:
    def test_base_and_pgd_slot(self, layouts, layout_id, page_offset):
        layout = layouts[layout_id]
        assert layout.find("direct_map").start == page_offset
        assert layout.params["page_offset_base"].value == page_offset
        assert translate(layout, page_offset).indices["pgd"] == 273

    def test_linear_translation(self, layouts, layout_id, page_offset):
        layout = layouts[layout_id]
        assert translate(layout, page_offset).phys == 0
        assert translate(layout, page_offset + 0x1000).phys == 0x1000
        assert translate(layout, page_offset + 0x7FFFFFFF).phys == 0x7FFFFFFF

    def test_only_ram_is_backed(self, layouts, layout_id, page_offset):
        assert translate(layouts[layout_id], page_offset + 0x80000000).ram_covered is False
        bigger = load(layout_id, overrides={"ram": "4G"})
        assert translate(bigger, page_offset + 0x80000000).phys == 0x80000000
        assert translate(bigger, page_offset + 0x100000000).ram_covered is False

    def test_physical_ranges(self, layouts, layout_id, page_offset):
        layout = layouts[layout_id]
        assert layout.physical_bits == 52
        assert [(p.name, p.start, p.end, p.kind) for p in layout.physical] == [("RAM", 0, 2 << 30, "direct-map")]


@pytest.mark.parametrize("layout_id", list(TABLES))
class TestKernelText:
    def test_phys_base_zero(self, layouts, layout_id):
        t = translate(layouts[layout_id], 0xFFFFFFFF81000000)
        assert t.region.name == "kernel text mapping"
        assert t.phys == 0x1000000

    @pytest.mark.parametrize("phys_base", [0x1000000, 0x2A00000])
    def test_phys_base_override(self, layout_id, phys_base):
        layout = load(layout_id, overrides={"phys_base": hex(phys_base)})
        assert translate(layout, 0xFFFFFFFF81000000).phys == 0x1000000 + phys_base
        assert translate(layout, 0xFFFFFFFF80000000).phys == phys_base

    def test_modules_have_no_linear_rule(self, layouts, layout_id):
        assert translate(layouts[layout_id], 0xFFFFFFFFC0000000).phys is None


@pytest.mark.parametrize(
    ("layout_id", "va_shift", "start", "end"),
    [
        pytest.param("x86_64-4level", 47, 0xFFFFEC0000000000, 0xFFFFFC0000000000, id="4level"),
        pytest.param("x86_64-5level", 56, 0xFFDFFC0000000000, 0xFFFFFC0000000000, id="5level"),
    ],
)
def test_kasan_shadow(layouts, layout_id, va_shift, start, end):
    layout = layouts[layout_id]
    offset = layout.params["kasan_shadow_offset"].value
    assert offset == 0xDFFFFC0000000000
    formula = offset + ((((-1) << va_shift) % TOP) >> 3)
    shadow = layout.find("kasan_shadow")
    assert shadow.start == formula == start
    assert shadow.end == start + (1 << (va_shift - 3)) == end
    assert shadow.kind == "kasan"
    assert layout.kasan is not None
    assert (layout.kasan.offset, layout.kasan.scale_shift) == (offset, 3)
    # The shadow of the lowest kernel address is the first shadow byte.
    assert ((shadow.start - offset) << 3) % TOP == (-1 << va_shift) % TOP
    assert [r.name for r in layout.leaves if r.kind == "kasan"][0] == shadow.name


@pytest.mark.parametrize(
    ("layout_id", "vmemmap"),
    [
        pytest.param("x86_64-4level", 0xFFFFEA0000000000, id="4level"),
        pytest.param("x86_64-5level", 0xFFD4000000000000, id="5level"),
    ],
)
def test_vmemmap_rule(layouts, layout_id, vmemmap):
    region = layouts[layout_id].find("vmemmap")
    assert region.start == vmemmap
    assert region.rule is not None
    assert (region.rule.name, region.rule.struct_size) == ("struct-page", 64)
    assert layouts[layout_id].find("vmalloc").rule is None


@pytest.mark.parametrize("layout_id", list(TABLES))
def test_defaults_partition(layouts, layout_id):
    assert_partition(layouts[layout_id], TOP)


@pytest.mark.parametrize(
    ("layout_id", "vmalloc_base", "hole_before", "hole_after"),
    [
        pytest.param("x86_64-4level", 0xFFFFC98000000000, 1 << 40, 1 << 39, id="4level-up-half-a-TB"),
        pytest.param("x86_64-4level", 0xFFFFC88000000000, 0, (1 << 40) + (1 << 39), id="4level-right-after-direct-map"),
        pytest.param("x86_64-5level", 0xFFA1000000000000, 4 << 50, 1 << 48, id="5level-up-a-quarter-PB"),
        pytest.param("x86_64-5level", 0xFF91000000000000, 0, 17 << 48, id="5level-right-after-direct-map"),
    ],
)
def test_moving_vmalloc_base(layout_id, vmalloc_base, hole_before, hole_after):
    # moving a base models CONFIG_RANDOMIZE_MEMORY, which sizes the direct map to the RAM; keep
    # the table's size to see only vmalloc move
    table_size = "64T" if layout_id == "x86_64-4level" else "32P"
    layout = load(layout_id, overrides={"vmalloc_base": hex(vmalloc_base), "direct_map_size": table_size})
    assert_partition(layout, TOP)
    vmalloc = layout.find("vmalloc")
    assert vmalloc.start == vmalloc_base
    assert vmalloc.size == layout.find("vmalloc").size == load(layout_id).find("vmalloc").size
    direct_map, vmemmap = layout.find("direct_map"), layout.find("vmemmap")
    assert vmalloc.start - direct_map.end == hole_before
    assert vmemmap.start - vmalloc.end == hole_after
    before = translate(layout, vmalloc.start - 1).region
    assert before.name == ("unused hole" if hole_before else "direct mapping of all physical memory")
    assert translate(layout, vmalloc.start).region.name == "vmalloc/ioremap space"
    assert translate(layout, vmalloc.last).region.name == "vmalloc/ioremap space"
    after = translate(layout, vmalloc.end).region
    assert (after.name, after.start, after.end) == ("unused hole", vmalloc.end, vmemmap.start)


@pytest.mark.parametrize(
    ("layout_id", "overrides"),
    [
        pytest.param(
            "x86_64-4level",
            {
                "page_offset_base": "0xffff8a4000000000",
                "direct_map_size": "11T",
                "vmalloc_base": "0xffffb7c000000000",
                "vmemmap_base": "0xffffe2c000000000",
            },
            id="4level-kaslr-like",
        ),
        pytest.param(
            "x86_64-5level",
            {
                "page_offset_base": "0xff38000000000000",
                "direct_map_size": "11T",
                "vmalloc_base": "0xff9a000000000000",
                "vmemmap_base": "0xffd8000000000000",
            },
            id="5level-kaslr-like",
        ),
    ],
)
def test_randomized_bases_keep_layout_consistent(layout_id, overrides):
    layout = load(layout_id, overrides=overrides)
    assert_partition(layout, TOP)
    direct_map, vmalloc, vmemmap = (layout.find(i) for i in ("direct_map", "vmalloc", "vmemmap"))
    assert direct_map.start == int(overrides["page_offset_base"], 16)
    assert direct_map.size == 11 << 40
    assert direct_map.end < vmalloc.start < vmalloc.end < vmemmap.start
    page_offset = direct_map.start
    assert translate(layout, page_offset + 0x1234).phys == 0x1234
    for addr in (direct_map.end, vmalloc.end, vmemmap.end):
        assert translate(layout, addr).region.name == "unused hole"


@pytest.mark.parametrize("layout_id", list(TABLES))
class TestIllustrativeProcess:
    def test_pie_text_at_elf_et_dyn_base(self, layouts, layout_id):
        layout = layouts[layout_id]
        default_map_window = (1 << 47) - 4096
        assert layout.derived["ELF_ET_DYN_BASE"].value == default_map_window // 3 * 2 == 0x555555554AAA
        text = translate(layout, 0x555555554000).region
        assert (text.name, text.kind, text.start) == ("program text and read-only data", "user-text", 0x555555554000)

    def test_kinds_in_address_order(self, layouts, layout_id):
        user_vm = layouts[layout_id].find("user_vm")
        kinds = [r.kind for r in user_vm.children if not r.synthetic]
        assert kinds == ["user-text", "user-data", "heap", "mmap", "hole", "stack"]

    def test_heap_follows_bss(self, layouts, layout_id):
        layout = layouts[layout_id]
        assert layout.find("heap").start == layout.find("program_data").end

    def test_mmap_area_below_stack_gap(self, layouts, layout_id):
        layout = layouts[layout_id]
        assert layout.derived["mmap_base"].value == 0x7FFFF7FFF000
        mmap_area = layout.find("mmap_area")
        assert (mmap_area.kind, mmap_area.end) == ("mmap", 0x7FFFF7FFF000)
        assert translate(layout, 0x7FFFF7FFEFFF).region.name == "ld-linux-x86-64.so.2"
        gap = translate(layout, 0x7FFFF7FFF000).region
        stack = layout.find("stack")
        assert (gap.name, gap.kind, gap.end) == ("stack gap", "hole", stack.start)
        # mmap_base() keeps at least 128 MB between itself and STACK_TOP.
        assert stack.end - gap.start == 128 << 20

    def test_stack_ends_at_stack_top(self, layouts, layout_id):
        stack = layouts[layout_id].find("stack")
        assert (stack.kind, stack.end) == ("stack", 0x7FFFFFFFF000)
        assert stack.start < stack.end

    def test_user_region(self, layouts, layout_id):
        user = layouts[layout_id].find("user")
        assert (user.kind, user.start) == ("user-space", 0)
        kernel = layouts[layout_id].find("kernel")
        assert (kernel.kind, kernel.end) == ("kernel-space", TOP)


@pytest.mark.parametrize(
    ("layout_id", "user_end", "kernel_start"),
    [
        pytest.param("x86_64-4level", 0x0000800000000000, 0xFFFF800000000000, id="4level"),
        pytest.param("x86_64-5level", 0x0100000000000000, 0xFF00000000000000, id="5level"),
    ],
)
def test_top_level_structure(layouts, layout_id, user_end, kernel_start):
    top = layouts[layout_id].root.children
    assert [(r.name, r.kind, r.start, r.end) for r in top] == [
        ("user space", "user-space", 0, user_end),
        ("non-canonical hole, user side", "non-canonical", user_end, 1 << 63),
        ("non-canonical hole, kernel side", "non-canonical", 1 << 63, kernel_start),
        ("kernel space", "kernel-space", kernel_start, TOP),
    ]


@pytest.mark.parametrize("layout_id", list(TABLES))
def test_fixmap_default(layouts, layout_id):
    layout = layouts[layout_id]
    fixmap = layout.find("fixmap")
    assert fixmap.start == layout.params["fixaddr_start"].value == 0xFFFFFFFFFF580000
    assert fixmap.start % 4096 == 0
    assert fixmap.size == 512 << 10
    assert fixmap.end == layout.find("vsyscall").start == 0xFFFFFFFFFF600000


@pytest.mark.parametrize("layout_id", list(TABLES))
def test_every_param_is_documented(layouts, layout_id):
    layout = layouts[layout_id]
    expected = {
        "ram",
        "phys_base",
        "randomize_base",
        "randomize_memory",
        "physical_padding_tb",
        "page_offset_base",
        "vmalloc_base",
        "vmemmap_base",
        "direct_map_size",
        "kasan_shadow_offset",
        "compat_task",
        "fixaddr_start",
    }
    assert set(layout.params) == expected
    for param in layout.params.values():
        assert param.description and param.source, param.name
    for leaf in layout.leaves:
        if not leaf.synthetic:
            assert leaf.description and leaf.source, leaf.name
