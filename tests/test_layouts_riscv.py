"""The RISC-V layouts against the kernel's own tables.

The rows below are transcribed from Documentation/arch/riscv/vm-layout.rst
(torvalds/linux @ebdf88c2479b, the newest text): start, inclusive end, and the
region name the layout gives the row. Older copies of that file put the Sv39
fixmap, PCI io and vmemmap 8 GB higher (0xffffffc6...) and the direct map at
0xffffffd800000000; the first rows of the Sv39 table below would catch a
layout built from them.

The doc leaves two kinds of range out: the space between the start of kernel
space and the fixmap, and (Sv39 only) 4 GB between the direct map and kasan.
The layouts give them explicit `unused hole` rows; they are listed in GAPS.
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
    slug,
)
from vaslayout.catalog import load
from vaslayout.core.loader import LayoutError
from vaslayout.core.translate import phys_lookup, translate

TOP = 1 << 64
IDS = ("riscv-sv39", "riscv-sv48", "riscv-sv57")
KERNEL_LINK_ADDR = 0xFFFFFFFF80000000  # the last 2 GB, the same in every mode
RAM_BASE = 0x80000000  # the default phys_ram_base (QEMU virt)
KERNEL_PHYS = 0x80200000  # the default kernel_phys (OpenSBI jumps 2 MB above itself)

# The modules and kernel rows, "identical layout to the 39-bit one from here on".
COMMON_TAIL = [
    (0xFFFFFFFF00000000, 0xFFFFFFFF7FFFFFFF, "modules, BPF", "modules"),
    (0xFFFFFFFF80000000, 0xFFFFFFFFFFFFFFFF, "kernel", "kernel-text"),
]

ROWS_SV39 = [
    (0x0000000000000000, 0x0000003FFFFFFFFF, "user-space virtual memory", "user-space"),
    (0x0000004000000000, 0xFFFFFFBFFFFFFFFF, "non-canonical hole", "non-canonical"),
    (0xFFFFFFC4FEA00000, 0xFFFFFFC4FEFFFFFF, "fixmap", "fixmap"),
    (0xFFFFFFC4FF000000, 0xFFFFFFC4FFFFFFFF, "PCI io", "ioremap"),
    (0xFFFFFFC500000000, 0xFFFFFFC5FFFFFFFF, "vmemmap", "vmemmap"),
    (0xFFFFFFC600000000, 0xFFFFFFD5FFFFFFFF, "vmalloc/ioremap space", "vmalloc"),
    (0xFFFFFFD600000000, 0xFFFFFFF5FFFFFFFF, "direct mapping of all physical memory", "direct-map"),
    (0xFFFFFFF700000000, 0xFFFFFFFEFFFFFFFF, "kasan", "kasan"),
    *COMMON_TAIL,
]

ROWS_SV48 = [
    (0x0000000000000000, 0x00007FFFFFFFFFFF, "user-space virtual memory", "user-space"),
    (0x0000800000000000, 0xFFFF7FFFFFFFFFFF, "non-canonical hole", "non-canonical"),
    (0xFFFF8D7FFEA00000, 0xFFFF8D7FFEFFFFFF, "fixmap", "fixmap"),
    (0xFFFF8D7FFF000000, 0xFFFF8D7FFFFFFFFF, "PCI io", "ioremap"),
    (0xFFFF8D8000000000, 0xFFFF8F7FFFFFFFFF, "vmemmap", "vmemmap"),
    (0xFFFF8F8000000000, 0xFFFFAF7FFFFFFFFF, "vmalloc/ioremap space", "vmalloc"),
    (0xFFFFAF8000000000, 0xFFFFEF7FFFFFFFFF, "direct mapping of all physical memory", "direct-map"),
    (0xFFFFEF8000000000, 0xFFFFFFFEFFFFFFFF, "kasan", "kasan"),
    *COMMON_TAIL,
]

ROWS_SV57 = [
    (0x0000000000000000, 0x00FFFFFFFFFFFFFF, "user-space virtual memory", "user-space"),
    (0x0100000000000000, 0xFEFFFFFFFFFFFFFF, "non-canonical hole", "non-canonical"),
    (0xFF1BFFFFFEA00000, 0xFF1BFFFFFEFFFFFF, "fixmap", "fixmap"),
    (0xFF1BFFFFFF000000, 0xFF1BFFFFFFFFFFFF, "PCI io", "ioremap"),
    (0xFF1C000000000000, 0xFF1FFFFFFFFFFFFF, "vmemmap", "vmemmap"),
    (0xFF20000000000000, 0xFF5FFFFFFFFFFFFF, "vmalloc/ioremap space", "vmalloc"),
    (0xFF60000000000000, 0xFFDEFFFFFFFFFFFF, "direct mapping of all physical memory", "direct-map"),
    (0xFFDF000000000000, 0xFFFFFFFEFFFFFFFF, "kasan", "kasan"),
    *COMMON_TAIL,
]

TABLES = {"riscv-sv39": ROWS_SV39, "riscv-sv48": ROWS_SV48, "riscv-sv57": ROWS_SV57}

# Ranges the doc does not print; each layout names them "unused hole".
GAPS = {
    "riscv-sv39": [
        (0xFFFFFFC000000000, 0xFFFFFFC4FE9FFFFF, "unused hole", "hole"),
        (0xFFFFFFF600000000, 0xFFFFFFF6FFFFFFFF, "unused hole", "hole"),
    ],
    "riscv-sv48": [(0xFFFF800000000000, 0xFFFF8D7FFE9FFFFF, "unused hole", "hole")],
    "riscv-sv57": [(0xFF00000000000000, 0xFF1BFFFFFE9FFFFF, "unused hole", "hole")],
}

# Per mode: (VA_BITS, first kernel address, PAGE_OFFSET, PGDIR_SIZE).
MODES = {
    "riscv-sv39": (39, 0xFFFFFFC000000000, 0xFFFFFFD600000000, 1 << 30),
    "riscv-sv48": (48, 0xFFFF800000000000, 0xFFFFAF8000000000, 1 << 39),
    "riscv-sv57": (57, 0xFF00000000000000, 0xFF60000000000000, 1 << 48),
}


def _all_rows(layout_id):
    return sorted(TABLES[layout_id] + GAPS[layout_id])


@pytest.fixture(scope="module")
def layouts():
    # vm-layout.rst's table has the modules fill the 2 GB below the kernel, as if the image were
    # empty; real kernels start them at _end - 2 GB (tests/test_layouts_arm64_new.py checks those).
    return {layout_id: load(layout_id, {"kernel_end": "0xffffffff80000000"}) for layout_id in IDS}


@pytest.mark.parametrize("layout_id", IDS)
def test_rows_tile_the_address_space(layout_id):
    check_contiguous(_all_rows(layout_id), TOP)


@pytest.mark.parametrize(
    ("layout_id", "start", "last", "name", "kind", "nxt"),
    row_cases({layout_id: _all_rows(layout_id) for layout_id in IDS}, label=slug),
)
def test_row(layouts, layout_id, start, last, name, kind, nxt):
    layout = layouts[layout_id]
    for _, region in check_row_ends(layout, start, last, name, kind):
        assert not region.synthetic
        assert region.description and region.source
    if nxt is None:
        assert last == TOP - 1
        return
    assert check_next_row(layout, last, nxt).kind == nxt[3]


@pytest.mark.parametrize("layout_id", IDS)
def test_top_level_structure(layouts, layout_id):
    va_bits, kernel_start, _, _ = MODES[layout_id]
    user_end = 1 << (va_bits - 1)
    top = layouts[layout_id].root.children
    assert [(r.name, r.kind, r.start, r.end) for r in top] == [
        ("user-space virtual memory", "user-space", 0, user_end),
        ("non-canonical hole", "non-canonical", user_end, kernel_start),
        ("kernel space", "kernel-space", kernel_start, TOP),
    ]
    assert kernel_start == TOP - (1 << va_bits) + user_end  # KERN_VIRT_START = -BIT(VA_BITS) + TASK_SIZE


@pytest.mark.parametrize(
    ("layout_id", "addr", "canonical"),
    [
        pytest.param("riscv-sv39", 0x0000003FFFFFFFFF, True, id="sv39-top-of-user-half"),
        pytest.param("riscv-sv39", 0x0000004000000000, False, id="sv39-first-non-canonical"),
        pytest.param("riscv-sv39", 0xFFFFFFBFFFFFFFFF, False, id="sv39-last-non-canonical"),
        pytest.param("riscv-sv39", 0xFFFFFFC000000000, True, id="sv39-bottom-of-kernel-half"),
        pytest.param("riscv-sv39", 0x0000800000000000, False, id="sv39-sv48-user-address-is-non-canonical"),
        pytest.param("riscv-sv39", 0xDFFFFFFF00000000, False, id="sv39-kasan-offset"),
        pytest.param("riscv-sv48", 0x00007FFFFFFFFFFF, True, id="sv48-top-of-user-half"),
        pytest.param("riscv-sv48", 0x0000800000000000, False, id="sv48-first-non-canonical"),
        pytest.param("riscv-sv48", 0xFFFF7FFFFFFFFFFF, False, id="sv48-last-non-canonical"),
        pytest.param("riscv-sv48", 0xFFFF800000000000, True, id="sv48-bottom-of-kernel-half"),
        pytest.param("riscv-sv48", 0x0000004000000000, True, id="sv48-above-38-bits-is-canonical"),
        pytest.param("riscv-sv48", 0xFFFFFFC000000000, True, id="sv48-sv39-kernel-start-is-canonical"),
        pytest.param("riscv-sv57", 0x00FFFFFFFFFFFFFF, True, id="sv57-top-of-user-half"),
        pytest.param("riscv-sv57", 0x0100000000000000, False, id="sv57-first-non-canonical"),
        pytest.param("riscv-sv57", 0xFEFFFFFFFFFFFFFF, False, id="sv57-last-non-canonical"),
        pytest.param("riscv-sv57", 0xFF00000000000000, True, id="sv57-bottom-of-kernel-half"),
        pytest.param("riscv-sv57", 0x0000800000000000, True, id="sv57-above-47-bits-is-canonical"),
        pytest.param("riscv-sv57", 0xFFFF800000000000, True, id="sv57-sv48-kernel-start-is-canonical"),
    ],
)
def test_canonical(layouts, layout_id, addr, canonical):
    check_canonical(layouts[layout_id], addr, canonical)


@pytest.mark.parametrize(
    ("layout_id", "levels"),
    [
        pytest.param("riscv-sv39", [("pgd", 38, 30), ("pmd", 29, 21), ("pte", 20, 12)], id="sv39-3-levels"),
        pytest.param(
            "riscv-sv48", [("pgd", 47, 39), ("pud", 38, 30), ("pmd", 29, 21), ("pte", 20, 12)], id="sv48-4-levels"
        ),
        pytest.param(
            "riscv-sv57",
            [("pgd", 56, 48), ("p4d", 47, 39), ("pud", 38, 30), ("pmd", 29, 21), ("pte", 20, 12)],
            id="sv57-5-levels",
        ),
    ],
)
def test_paging_levels(layouts, layout_id, levels):
    mode = layouts[layout_id].paging
    assert mode.name == layout_id
    assert (mode.address_bits, mode.va_bits, mode.page_shift) == (64, MODES[layout_id][0], 12)
    assert [(lv.name, lv.hi, lv.lo) for lv in mode.levels] == levels
    assert all(lv.bits == 9 and lv.entries == 512 for lv in mode.levels)
    assert list(mode.indices(0)) == [name for name, _, _ in levels] + ["offset"]


@pytest.mark.parametrize(
    ("layout_id", "addr", "indices"),
    [
        pytest.param("riscv-sv39", 0x0000002AAAAAA000, (170, 341, 170, 0), id="sv39-pie-text"),
        pytest.param("riscv-sv39", 0x0000003FFFFFFFFF, (255, 511, 511, 0xFFF), id="sv39-last-user-byte"),
        pytest.param("riscv-sv39", 0xFFFFFFC000000000, (256, 0, 0, 0), id="sv39-kernel-half-starts-at-pgd-256"),
        pytest.param("riscv-sv39", 0xFFFFFFC4FEA00000, (275, 501, 0, 0), id="sv39-fixmap"),
        pytest.param("riscv-sv39", 0xFFFFFFD600000000, (344, 0, 0, 0), id="sv39-page-offset"),
        pytest.param("riscv-sv39", 0xFFFFFFFF80000000, (510, 0, 0, 0), id="sv39-kernel"),
        pytest.param("riscv-sv39", 0xFFFFFFFFFFFFFFFF, (511, 511, 511, 0xFFF), id="sv39-last-byte"),
        pytest.param("riscv-sv48", 0x0000555555555000, (170, 341, 170, 341, 0), id="sv48-pie-text"),
        pytest.param("riscv-sv48", 0x00007FFFFFFFFFFF, (255, 511, 511, 511, 0xFFF), id="sv48-last-user-byte"),
        pytest.param("riscv-sv48", 0xFFFF800000000000, (256, 0, 0, 0, 0), id="sv48-kernel-half-starts-at-pgd-256"),
        pytest.param("riscv-sv48", 0xFFFF8D7FFEA00000, (282, 511, 501, 0, 0), id="sv48-fixmap"),
        pytest.param("riscv-sv48", 0xFFFFAF8000000000, (351, 0, 0, 0, 0), id="sv48-page-offset"),
        pytest.param("riscv-sv48", 0xFFFFFFFF80000000, (511, 510, 0, 0, 0), id="sv48-kernel"),
        pytest.param("riscv-sv57", 0x0000555555555000, (0, 170, 341, 170, 341, 0), id="sv57-pie-text"),
        pytest.param("riscv-sv57", 0x00FFFFFFFFFFFFFF, (255, 511, 511, 511, 511, 0xFFF), id="sv57-last-user-byte"),
        pytest.param("riscv-sv57", 0xFF00000000000000, (256, 0, 0, 0, 0, 0), id="sv57-kernel-half-starts-at-pgd-256"),
        pytest.param("riscv-sv57", 0xFF1BFFFFFEA00000, (283, 511, 511, 501, 0, 0), id="sv57-fixmap"),
        pytest.param("riscv-sv57", 0xFF60000000000000, (352, 0, 0, 0, 0, 0), id="sv57-page-offset"),
        pytest.param("riscv-sv57", 0xFFFFFFFF80000000, (511, 511, 510, 0, 0, 0), id="sv57-kernel"),
    ],
)
def test_index_split(layouts, layout_id, addr, indices):
    layout = layouts[layout_id]
    got = translate(layout, addr).indices
    assert tuple(got.values()) == indices
    # The indices are the low VA_BITS of the address, 9 bits a level over a 12-bit offset.
    rebuilt = got["offset"]
    for lv in layout.paging.levels:
        rebuilt |= got[lv.name] << lv.lo
    assert rebuilt == addr & ((1 << MODES[layout_id][0]) - 1)


@pytest.mark.parametrize("layout_id", IDS)
class TestDirectMap:
    def test_starts_at_page_offset(self, layouts, layout_id):
        _, _, page_offset, pgdir_size = MODES[layout_id]
        layout = layouts[layout_id]
        assert layout.find("direct_map").start == layout.derived["PAGE_OFFSET"].value == page_offset
        assert page_offset % pgdir_size == 0  # setup_vm(): BUG_ON(PAGE_OFFSET % PGDIR_SIZE)
        assert layout.find("vmalloc").end == page_offset  # VMALLOC_END = PAGE_OFFSET

    def test_phys_of_direct_map(self, layouts, layout_id):
        page_offset = MODES[layout_id][2]
        layout = layouts[layout_id]
        assert translate(layout, page_offset).phys == RAM_BASE
        assert translate(layout, page_offset + 0x1234).phys == RAM_BASE + 0x1234
        assert translate(layout, page_offset + 0x7FFFFFFF).phys == 0xFFFFFFFF
        assert translate(layout, page_offset + 0x80000000).ram_covered is False  # beyond 2 GB of RAM

    def test_phys_follows_params(self, layout_id):
        page_offset = MODES[layout_id][2]
        at_zero = load(layout_id, overrides={"phys_ram_base": "0"})
        assert translate(at_zero, page_offset + 0x1000).phys == 0x1000
        bigger = load(layout_id, overrides={"ram": "4G"})
        assert translate(bigger, page_offset + 0x80000000).phys == 0x100000000
        assert translate(bigger, page_offset + 0x100000000).ram_covered is False

    def test_phys_lookup_finds_both_aliases(self, layouts, layout_id):
        page_offset = MODES[layout_id][2]
        got = phys_lookup(layouts[layout_id], KERNEL_PHYS + 0x1000)
        assert [a.address for a in got.aliases] == [page_offset + 0x201000, KERNEL_LINK_ADDR + 0x1000]
        assert got.range is not None and got.range.name == "RAM"
        assert phys_lookup(layouts[layout_id], 0x1000).aliases == ()  # below RAM: not mapped

    def test_physical_ranges(self, layouts, layout_id):
        layout = layouts[layout_id]
        assert layout.physical_bits == 56  # a 44-bit PPN (PTE bits 53..10) over 4 KB pages
        assert [(p.name, p.start, p.end, p.kind) for p in layout.physical] == [
            ("RAM", RAM_BASE, RAM_BASE + (2 << 30), "direct-map")
        ]


@pytest.mark.parametrize(
    ("layout_id", "size"),
    [
        pytest.param("riscv-sv39", 128 << 30, id="sv39-128GB"),
        pytest.param("riscv-sv48", 64 << 40, id="sv48-64TB"),
        # The doc's size column says 32 PB (KERN_VIRT_SIZE), but the row ends
        # where kasan starts, 256 TB (one pgd entry) earlier.
        pytest.param("riscv-sv57", (32 << 50) - (256 << 40), id="sv57-32PB-less-one-pgd-entry"),
    ],
)
def test_direct_map_size(layouts, layout_id, size):
    layout = layouts[layout_id]
    assert layout.find("direct_map").size == size
    assert layout.derived["KERN_VIRT_SIZE"].value == (512 // 2 * MODES[layout_id][3]) // 2


@pytest.mark.parametrize("layout_id", IDS)
class TestKernelImage:
    def test_linked_in_the_last_2_gb(self, layouts, layout_id):
        kernel = layouts[layout_id].find("kernel_text")
        assert (kernel.start, kernel.end, kernel.kind) == (KERNEL_LINK_ADDR, TOP, "kernel-text")

    def test_phys_of_kernel_text(self, layouts, layout_id):
        layout = layouts[layout_id]
        assert translate(layout, KERNEL_LINK_ADDR).phys == KERNEL_PHYS
        assert translate(layout, KERNEL_LINK_ADDR + 0x1000).phys == KERNEL_PHYS + 0x1000

    @pytest.mark.parametrize("kernel_phys", [0x80000000, 0x80400000, 0x40200000])
    def test_kernel_phys_override(self, layout_id, kernel_phys):
        layout = load(layout_id, overrides={"kernel_phys": hex(kernel_phys)})
        assert translate(layout, KERNEL_LINK_ADDR + 0x1000).phys == kernel_phys + 0x1000

    def test_modules_have_no_linear_rule(self, layouts, layout_id):
        assert translate(layouts[layout_id], 0xFFFFFFFF40000000).phys is None


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        pytest.param({"kernel_phys": "0x80100000"}, "kernel_phys must be 2 MB aligned", id="kernel-phys-1MB"),
        pytest.param({"phys_ram_base": "0x80001000"}, "phys_ram_base is memblock_start_of_DRAM()", id="ram-base-4KB"),
    ],
)
@pytest.mark.parametrize("layout_id", IDS)
def test_misaligned_params_are_refused(layout_id, overrides, words):
    with pytest.raises(LayoutError, match=words.replace("(", r"\(").replace(")", r"\)")):
        load(layout_id, overrides=overrides)


@pytest.mark.parametrize("layout_id", IDS)
class TestKasan:
    def test_offset(self, layouts, layout_id):
        layout = layouts[layout_id]
        assert layout.kasan is not None
        assert (layout.kasan.offset, layout.kasan.scale_shift) == (0xDFFFFFFF00000000, 3)
        # kasan.h: KASAN_SHADOW_OFFSET = KASAN_SHADOW_END - (1ULL << (64 - KASAN_SHADOW_SCALE_SHIFT))
        assert layout.kasan.offset == layout.find("kasan").end - (1 << 61)

    def test_region(self, layouts, layout_id):
        va_bits, kernel_start, _, pgdir_size = MODES[layout_id]
        layout = layouts[layout_id]
        kasan = layout.find("kasan")
        size = 1 << (va_bits - 1 - 3)  # KASAN_SHADOW_SIZE
        assert kasan.end == layout.find("modules").start == 0xFFFFFFFF00000000  # MODULES_LOWEST_VADDR
        assert kasan.start == (kasan.end - size) & ~(pgdir_size - 1)  # rounded down to PGDIR_SIZE
        assert kasan.rule is not None and kasan.rule.name == "kasan-shadow"
        # The shadow of the first kernel address is the first byte of the unrounded shadow.
        assert (kernel_start >> 3) + layout.kasan.offset == kasan.end - size
        assert ((kasan.end - size - layout.kasan.offset) << 3) % TOP == kernel_start

    def test_every_byte_decodes_to_kernel_space_or_padding(self, layouts, layout_id):
        kernel_start = MODES[layout_id][1]
        layout = layouts[layout_id]
        kasan = layout.find("kasan")
        decode = translate(layout, kasan.last).explanation
        assert "0xfffffffffffffff8-0xffffffffffffffff" in decode
        first = translate(layout, kasan.start)
        orig = ((kasan.start - layout.kasan.offset) << 3) % TOP
        assert (orig >= kernel_start) is (layout_id == "riscv-sv39")
        assert first.region.kind == "kasan"


@pytest.mark.parametrize(
    ("layout_id", "padding"),
    [
        pytest.param("riscv-sv48", (0xFFFFEF8000000000, 0xFFFFEFFF00000000), id="sv48-508GB"),
        pytest.param("riscv-sv57", (0xFFDF000000000000, 0xFFDFFFFF00000000), id="sv57-almost-256TB"),
    ],
)
def test_kasan_rounding_padding(layouts, layout_id, padding):
    layout = layouts[layout_id]
    kasan = layout.find("kasan")
    names = [(c.name, c.start, c.end, c.kind) for c in kasan.children]
    assert names == [
        ("shadow of non-canonical addresses", padding[0], padding[1], "kasan"),
        ("shadow of kernel space", padding[1], kasan.end, "kasan"),
    ]
    assert layout.find("kasan_shadow").start == padding[1]
    # Shadow of the padding: addresses just below the kernel half, all non-canonical.
    lo = ((padding[0] - layout.kasan.offset) << 3) % TOP
    assert not layout.paging.canonical(lo)
    assert not layout.paging.canonical(MODES[layout_id][1] - 1)


def test_sv39_kasan_has_no_padding(layouts):
    kasan = layouts["riscv-sv39"].find("kasan")
    assert kasan.children == ()
    assert kasan.size == 32 << 30


@pytest.mark.parametrize(
    ("layout_id", "vmemmap", "size"),
    [
        pytest.param("riscv-sv39", 0xFFFFFFC500000000, 4 << 30, id="sv39"),
        pytest.param("riscv-sv48", 0xFFFF8D8000000000, 2 << 40, id="sv48"),
        pytest.param("riscv-sv57", 0xFF1C000000000000, 1 << 50, id="sv57"),
    ],
)
def test_vmemmap_rule(layouts, layout_id, vmemmap, size):
    layout = layouts[layout_id]
    region = layout.find("vmemmap")
    assert (region.start, region.size) == (vmemmap, size)
    # VMEMMAP_SIZE = BIT(VA_BITS - PAGE_SHIFT - 1 + STRUCT_PAGE_MAX_SHIFT)
    assert size == 1 << (MODES[layout_id][0] - 12 - 1 + 6)
    assert region.rule is not None
    assert (region.rule.name, region.rule.struct_size) == ("struct-page", 64)
    assert layout.find("vmalloc").rule is None
    assert layout.derived["vmemmap_start_pfn"].value == RAM_BASE >> 12


@pytest.mark.parametrize("layout_id", IDS)
def test_fixmap_and_pci_io_sizes(layouts, layout_id):
    layout = layouts[layout_id]
    fixmap, pci_io, vmemmap = (layout.find(i) for i in ("fixmap", "pci_io", "vmemmap"))
    assert fixmap.size == 6 << 20  # PMD_SIZE + FIX_FDT_SIZE
    assert pci_io.size == 16 << 20  # PCI_IO_SIZE
    assert fixmap.end == pci_io.start and pci_io.end == vmemmap.start


@pytest.mark.parametrize(
    ("layout_id", "window", "text", "mmap_base"),
    [
        pytest.param("riscv-sv39", 1 << 38, 0x2AAAAAA000, 0x3FF8000000, id="sv39"),
        pytest.param("riscv-sv48", 1 << 47, 0x555555555000, 0x7FFFF8000000, id="sv48"),
        pytest.param("riscv-sv57", 1 << 47, 0x555555555000, 0x7FFFF8000000, id="sv57-window-capped-at-47-bits"),
    ],
)
class TestIllustrativeProcess:
    def test_pie_text_at_elf_et_dyn_base(self, layouts, layout_id, window, text, mmap_base):
        layout = layouts[layout_id]
        assert layout.derived["DEFAULT_MAP_WINDOW"].value == window
        assert layout.derived["ELF_ET_DYN_BASE"].value == window // 3 * 2
        region = translate(layout, text).region
        assert (region.name, region.kind, region.start) == ("program text and read-only data", "user-text", text)

    def test_kinds_in_address_order(self, layouts, layout_id, window, text, mmap_base):
        user = layouts[layout_id].find("user")
        kinds = [r.kind for r in user.children if not r.synthetic]
        expected = ["user-text", "user-data", "heap", "mmap", "hole", "stack"]
        assert kinds == expected + (["user-space"] if layout_id == "riscv-sv57" else [])
        assert layouts[layout_id].find("heap").start == layouts[layout_id].find("program_data").end

    def test_mmap_area_below_stack_gap(self, layouts, layout_id, window, text, mmap_base):
        layout = layouts[layout_id]
        assert layout.derived["mmap_base"].value == mmap_base
        assert layout.find("mmap_area").end == mmap_base
        assert translate(layout, mmap_base - 1).region.name == "ld-linux-riscv64-lp64d.so.1"
        gap = translate(layout, mmap_base).region
        stack = layout.find("stack")
        assert (gap.name, gap.kind, gap.end) == ("stack gap", "hole", stack.start)
        assert stack.end - mmap_base == 128 << 20  # mm/util.c MIN_GAP

    def test_stack_ends_at_stack_top(self, layouts, layout_id, window, text, mmap_base):
        stack = layouts[layout_id].find("stack")
        assert (stack.kind, stack.end) == ("stack", window)
        assert layouts[layout_id].derived["STACK_TOP"].value == window


def test_sv57_user_space_above_the_mmap_window(layouts):
    layout = layouts["riscv-sv57"]
    t = translate(layout, 1 << 47)
    assert (t.region.name, t.region.kind) == ("above the default mmap window", "user-space")
    assert (t.region.start, t.region.end) == (1 << 47, 1 << 56)


@pytest.mark.parametrize("layout_id", IDS)
def test_leaves_partition(layouts, layout_id):
    assert_partition(layouts[layout_id], TOP)


@pytest.mark.parametrize("layout_id", IDS)
def test_every_value_is_documented(layouts, layout_id):
    layout = layouts[layout_id]
    assert set(layout.params) == {"ram", "phys_ram_base", "kernel_phys", "kernel_end"}
    for value in [*layout.params.values(), *layout.derived.values()]:
        assert value.description and value.source, value.name
    for leaf in layout.leaves:
        if not leaf.synthetic:
            assert leaf.description and leaf.source, leaf.name
    assert (layout.arch, layout.address_bits) == ("riscv64", 64)
    doc = [s for s in layout.sources if s.file == "Documentation/arch/riscv/vm-layout.rst"]
    assert [(s.repo, s.commit) for s in doc] == [("torvalds/linux", "ebdf88c2479b")]
