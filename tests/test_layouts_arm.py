"""The ARM 32-bit and arm64 layouts against the kernel's own tables.

ARM rows come from Documentation/arch/arm/memory.rst (torvalds/linux
@512a93a93dbe), with the symbolic bounds worked out for each split with the
layouts' defaults (2 GiB of RAM, the 240 MiB vmalloc reserve of
arch/arm/mm/mmu.c). arm64 rows come from Documentation/arch/arm64/memory.rst
(@57b421369dd7) and, for va_layout=1, from the layout memory.h and pgtable.h
produce since v6.9 (the doc patch "docs: arm64: update memory layout for
vmemmap region" prints the same rows).

A row is (start, inclusive last, name, kind, after): `after` names the region
that holds the byte after the row (UNDOCUMENTED for a gap the engine fills,
None at the top of the address space).
"""

from __future__ import annotations

import pytest

from tests.layout_checks import assert_partition, check_canonical, check_row_ends, row_region, slug
from vaslayout.catalog import load
from vaslayout.core.loader import LayoutError
from vaslayout.core.translate import phys_lookup, translate

TOP32 = 1 << 32
TOP64 = 1 << 64
MiB = 1 << 20
GiB = 1 << 30
UNDOCUMENTED = "unused"

# --------------------------------------------------------------------------
# ARM 32-bit
# --------------------------------------------------------------------------

USER_MAPPINGS = "user space mappings"
MODULES = "kernel module space"
PKMAP = "permanent kernel mappings (pkmap)"
LOWMEM = "lowmem (kernel direct-mapped RAM)"
GAP = "VMALLOC_OFFSET gap"
ARM_IMAGE = "kernel image"
ARM_TEXT_OFFSET, ARM_IMAGE_SIZE = 0x208000, 0x1605288
VMALLOC = "vmalloc() / ioremap() space"
DTB = "device-tree blob (read-only)"
VECTORS = "CPU vector page"
ALIASING = "cache aliasing (ARMv6 and later)"

# The fixed rows at the top, the same for every split.
ARM_TOP = [
    (0xFEE00000, 0xFEFFFFFF, "PCI I/O space", "ioremap", UNDOCUMENTED),
    (0xFF800000, 0xFFBFFFFF, DTB, "fixmap", "guard region"),
    (0xFFC00000, 0xFFC7FFFF, "guard region", "guard", "fixmap"),
    (0xFFC80000, 0xFFEFFFFF, "fixmap", "fixmap", UNDOCUMENTED),
    (0xFFFE0000, 0xFFFEFFFF, "XScale cache flush area / TCM", "fixmap", VECTORS),
    (0xFFFE0000, 0xFFFE7FFF, "ITCM mapping area", "fixmap", "DTCM mapping area"),
    (0xFFFE8000, 0xFFFEFFFF, "DTCM mapping area", "fixmap", VECTORS),
    (0xFFFF0000, 0xFFFF0FFF, VECTORS, "vsyscall", "reserved"),
    # The doc prints ffff1000-ffff7fff, but its own ARMv6 row starts at
    # ffff4000; the layout keeps the later row whole and ends this one there.
    (0xFFFF1000, 0xFFFF3FFF, "reserved", "hole", ALIASING),
    (0xFFFF4000, 0xFFFFFFFF, ALIASING, "fixmap", None),
    (0xFFFF8000, 0xFFFFFFFF, "copy_user_page / clear_user_page", "fixmap", None),
]


def _arm_rows(task_size, page_offset, high_memory, vmalloc_start):
    return [
        (0x00000000, 0x00000FFF, "CPU vector page / null pointer trap", "guard", USER_MAPPINGS),
        (0x00001000, task_size - 1, USER_MAPPINGS, "user-space", MODULES),
        (task_size, page_offset - 2 * MiB - 1, MODULES, "modules", PKMAP),
        (page_offset - 2 * MiB, page_offset - 1, PKMAP, "pkmap", LOWMEM),
        (page_offset, high_memory - 1, LOWMEM, "direct-map", GAP),
        # the kernel image at PAGE_OFFSET + TEXT_OFFSET (0x208000), Debian 6.1's 0x1605288 bytes
        (page_offset, page_offset + ARM_TEXT_OFFSET - 1, "lowmem below the kernel image", "direct-map", ARM_IMAGE),
        (page_offset + ARM_TEXT_OFFSET, page_offset + ARM_TEXT_OFFSET + ARM_IMAGE_SIZE - 1, ARM_IMAGE, "kernel-text",
         "lowmem above the kernel image"),
        (page_offset + ARM_TEXT_OFFSET + ARM_IMAGE_SIZE, high_memory - 1, "lowmem above the kernel image", "direct-map",
         GAP),
        (vmalloc_start, 0xFF7FFFFF, VMALLOC, "vmalloc", DTB),
        *ARM_TOP,
    ]


ARM_TABLES = {
    # 3G/1G: lowmem stops at 0xf0000000 (768 MiB); 2 GiB of RAM leaves 1280 MiB of highmem.
    "arm-vmsplit-3g": _arm_rows(0xBF000000, 0xC0000000, 0xF0000000, 0xF0800000),
    # 2G/2G: lowmem stops at 0xf0000000 too (1792 MiB); 256 MiB of highmem.
    "arm-vmsplit-2g": _arm_rows(0x7F000000, 0x80000000, 0xF0000000, 0xF0800000),
    # 1G/3G: room for 2816 MiB of lowmem, so all 2 GiB are lowmem.
    "arm-vmsplit-1g": _arm_rows(0x3F000000, 0x40000000, 0xC0000000, 0xC0800000),
}

ARM_SPLITS = [
    pytest.param("arm-vmsplit-3g", 0xC0000000, 768 * MiB, id="3g"),
    pytest.param("arm-vmsplit-2g", 0x80000000, 1792 * MiB, id="2g"),
    pytest.param("arm-vmsplit-1g", 0x40000000, 2816 * MiB, id="1g"),
]

# --------------------------------------------------------------------------
# arm64
# --------------------------------------------------------------------------

USER64 = "user space (TTBR0)"
HOLE64 = "non-canonical hole between TTBR0 and TTBR1"
LINEAR = "kernel logical memory map"
FIXED = "fixed mappings (top down)"
GUARD = "guard region"
PCI = "PCI I/O space"


def _arm64_head(user_last, page_offset, kasan_start):
    return [
        (0x0000000000000000, user_last, USER64, "user-space", HOLE64),
        (page_offset, 0xFFFF7FFFFFFFFFFF, LINEAR, "direct-map", "modules"),
        (kasan_start, 0xFFFF7FFFFFFFFFFF, "kasan shadow region", "kasan", "modules"),
        (0xFFFF800000000000, 0xFFFF80007FFFFFFF, "modules", "modules", "vmalloc"),
    ]


# The kernel image at KIMAGE_VADDR = VMALLOC_START (kaslr_offset 0), 37 MiB (Debian 6.12's _text .. _end).
def _image_rows(vmalloc_last, after):
    image_end = 0xFFFF800080000000 + 0x2500000
    return [
        (0xFFFF800080000000, image_end - 1, "kernel image", "kernel-text", "vmalloc above the kernel image"),
        (image_end, vmalloc_last, "vmalloc above the kernel image", "vmalloc", after),
    ]


# memory.rst @57b421369dd7, the tail is the same for both page sizes but vmemmap.
def _doc_tail(vmemmap_last, top_guard):
    return [
        (0xFFFF800080000000, 0xFFFFFBFFEFFFFFFF, "vmalloc", "vmalloc", FIXED),
        *_image_rows(0xFFFFFBFFEFFFFFFF, FIXED),
        (0xFFFFFBFFF0000000, 0xFFFFFBFFFDFFFFFF, FIXED, "fixmap", GUARD),
        (0xFFFFFBFFFE000000, 0xFFFFFBFFFE7FFFFF, GUARD, "guard", PCI),
        (0xFFFFFBFFFE800000, 0xFFFFFBFFFF7FFFFF, PCI, "ioremap", GUARD),
        (0xFFFFFBFFFF800000, 0xFFFFFBFFFFFFFFFF, GUARD, "guard", "vmemmap"),
        (0xFFFFFC0000000000, vmemmap_last, "vmemmap", "vmemmap", GUARD),
        (top_guard, 0xFFFFFFFFFFFFFFFF, GUARD, "guard", None),
    ]


# Since v6.9: vmemmap ends at -1 GiB, PCI I/O and the fixmap above it.
def _v69_tail(vmalloc_last):
    return [
        (0xFFFF800080000000, vmalloc_last, "vmalloc", "vmalloc", GUARD),
        *_image_rows(vmalloc_last, GUARD),
        (vmalloc_last + 1, vmalloc_last + 8 * MiB, GUARD, "guard", "vmemmap"),
        (vmalloc_last + 8 * MiB + 1, 0xFFFFFFFFBFFFFFFF, "vmemmap", "vmemmap", GUARD),
        (0xFFFFFFFFC0000000, 0xFFFFFFFFC07FFFFF, GUARD, "guard", PCI),
        (0xFFFFFFFFC0800000, 0xFFFFFFFFC17FFFFF, PCI, "ioremap", FIXED),
        (0xFFFFFFFFC1800000, 0xFFFFFFFFFF7FFFFF, FIXED, "fixmap", GUARD),
        (0xFFFFFFFFFF800000, 0xFFFFFFFFFFFFFFFF, GUARD, "guard", None),
    ]


HEAD_4K = _arm64_head(0x0000FFFFFFFFFFFF, 0xFFFF000000000000, 0xFFFF600000000000)
HEAD_64K = _arm64_head(0x000FFFFFFFFFFFFF, 0xFFF0000000000000, 0xFFFD800000000000)

ARM64_TABLES = {
    ("arm64-4k-48bit", 0): HEAD_4K + _doc_tail(0xFFFFFDFFFFFFFFFF, 0xFFFFFE0000000000),
    ("arm64-64k-52bit", 0): HEAD_64K + _doc_tail(0xFFFFFFDFFFFFFFFF, 0xFFFFFFE000000000),
    ("arm64-4k-48bit", 1): HEAD_4K + _v69_tail(0xFFFFFDFFBF7FFFFF),
    ("arm64-64k-52bit", 1): HEAD_64K + _v69_tail(0xFFFFFC1FBF7FFFFF),
}

ARM64_IDS = ["arm64-4k-48bit", "arm64-64k-52bit"]


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def layouts():
    out = {layout_id: load(layout_id) for layout_id in ARM_TABLES}
    out.update({(layout_id, model): load(layout_id, {"va_layout": model}) for layout_id, model in ARM64_TABLES})
    return out


def _short(name: str) -> str:
    """arm-vmsplit-3g -> 3g, arm64-4k-48bit -> 4k."""
    return name.replace("arm-vmsplit-", "").replace("arm64-", "").split("-")[0]


def _key_id(key) -> str:
    if isinstance(key, str):
        return _short(key)
    return f"{_short(key[0])}-{'doc' if key[1] == 0 else 'v6.9'}"


def _row_cases():
    for layout_id, rows in ARM_TABLES.items():
        for row in rows:
            yield pytest.param(layout_id, *row, id=f"{_key_id(layout_id)}-{slug(row[2])}-{row[0]:x}")
    for key, rows in ARM64_TABLES.items():
        for row in rows:
            yield pytest.param(key, *row, id=f"{_key_id(key)}-{slug(row[2])}-{row[0]:x}")


# --------------------------------------------------------------------------
# row by row
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "start", "last", "name", "kind", "after"), list(_row_cases()))
def test_row(layouts, key, start, last, name, kind, after):
    layout = layouts[key]
    check_row_ends(layout, start, last, name, kind)
    if after is None:
        assert last == layout.size - 1
    else:
        t = translate(layout, last + 1)
        assert name not in [r.name for r in t.path if r.start == start]
        if after == UNDOCUMENTED:
            assert t.region.name == UNDOCUMENTED and t.region.synthetic
        else:
            assert row_region(t, after).start == last + 1


@pytest.mark.parametrize("key", [*ARM_TABLES, *ARM64_TABLES], ids=_key_id)
def test_defaults_partition(layouts, key):
    layout = layouts[key]
    assert_partition(layout, TOP32 if layout.address_bits == 32 else TOP64, nonempty=False)


@pytest.mark.parametrize("layout_id", [*ARM_TABLES, *ARM64_IDS])
def test_every_param_and_leaf_is_documented(layout_id):
    layout = load(layout_id)
    for param in layout.params.values():
        assert param.description and param.source, param.name
    for derived in layout.derived.values():
        assert derived.description and derived.source, derived.name
    for leaf in layout.leaves:
        if not leaf.synthetic:
            assert leaf.description and leaf.source, leaf.name
    assert layout.summary and layout.sources
    assert all(s.repo for s in layout.sources)


# --------------------------------------------------------------------------
# ARM 32-bit
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("layout_id", "page_offset", "lowmem_max"), ARM_SPLITS)
class TestArmSplit:
    def test_split_constants(self, layout_id, page_offset, lowmem_max):
        layout = load(layout_id)
        d = {name: v.value for name, v in layout.derived.items()}
        assert layout.params["PAGE_OFFSET"].value == page_offset
        assert d["TASK_SIZE"] == d["MODULES_VADDR"] == page_offset - 16 * MiB
        assert d["MODULES_END"] == d["PKMAP_BASE"] == page_offset - d["PMD_SIZE"]
        assert d["PMD_SIZE"] == 2 * MiB
        assert d["LAST_PKMAP"] == 512
        assert d["VMALLOC_END"] == 0xFF800000
        # mmu.c: vmalloc_limit = VMALLOC_END - vmalloc_size - VMALLOC_OFFSET - PAGE_OFFSET + PHYS_OFFSET
        assert d["lowmem_limit"] == 0xFF800000 - (240 << 20) - (8 << 20) - page_offset == lowmem_max

    def test_kasan_row_is_empty_without_kasan(self, layout_id, page_offset, lowmem_max):
        layout = load(layout_id)
        assert layout.derived["TASK_SIZE"].value == layout.derived["MODULES_VADDR"].value
        assert not [r for r in layout.leaves if r.kind == "kasan"]
        assert layout.kasan is None

    def test_lowmem_is_linear_from_phys_offset(self, layout_id, page_offset, lowmem_max):
        layout = load(layout_id)
        lowmem = layout.find("lowmem")
        assert translate(layout, page_offset).phys == 0
        assert translate(layout, page_offset + 0x1234).phys == 0x1234
        assert translate(layout, lowmem.last).phys == lowmem.size - 1
        assert translate(layout, lowmem.end).phys is None
        moved = load(layout_id, {"phys_offset": "0x40000000", "ram": "1G"})
        assert translate(moved, page_offset + 0x1234).phys == 0x40001234
        assert [a.address for a in phys_lookup(moved, 0x40001234).aliases] == [page_offset + 0x1234]

    def test_pgd_index_linux_and_hardware(self, layout_id, page_offset, lowmem_max):
        layout = load(layout_id)
        mode = layout.paging
        assert mode.name == "arm-2level"
        # Linux: PGDIR_SHIFT 21, 2048 entries of 2 MiB; hardware: 4096 entries of 1 MiB.
        assert translate(layout, page_offset).indices == {"pgd": page_offset >> 21, "pte": 0, "offset": 0}
        assert mode.hw_levels[0].index(page_offset) == page_offset >> 20
        assert [lv.entries for lv in mode.levels] == [2048, 512]
        assert [lv.entries for lv in mode.hw_levels] == [4096, 256]

    def test_vmalloc_follows_high_memory(self, layout_id, page_offset, lowmem_max):
        # 300 MiB is not a multiple of 8 MiB: VMALLOC_START = (high_memory + 8M) & ~(8M - 1).
        layout = load(layout_id, {"ram": "300M"})
        high_memory = page_offset + 300 * MiB
        assert layout.derived["high_memory"].value == high_memory
        vmalloc = layout.find("vmalloc")
        assert vmalloc.start == (high_memory + 8 * MiB) & ~(8 * MiB - 1)
        assert vmalloc.start - high_memory == 4 * MiB
        assert translate(layout, high_memory).region.name == GAP
        assert [p.name for p in layout.physical] == ["lowmem"]

    def test_illustrative_process(self, layout_id, page_offset, lowmem_max):
        layout = load(layout_id)
        task_size = page_offset - 16 * MiB
        text = translate(layout, 0x00400000).region
        assert (text.name, text.kind) == ("program text and read-only data", "user-text")
        assert layout.derived["mmap_base"].value == task_size - 128 * MiB
        stack = layout.find("stack")
        assert (stack.kind, stack.end) == ("stack", task_size)
        kinds = [r.kind for r in layout.find("user_vm").children if not r.synthetic]
        assert kinds == ["user-text", "user-data", "heap", "mmap", "hole", "stack"]


@pytest.mark.parametrize(
    ("layout_id", "ram", "lowmem", "highmem"),
    [
        pytest.param("arm-vmsplit-3g", "2G", 768 * MiB, 1280 * MiB, id="3g-2G"),
        pytest.param("arm-vmsplit-3g", "512M", 512 * MiB, 0, id="3g-512M"),
        pytest.param("arm-vmsplit-2g", "2G", 1792 * MiB, 256 * MiB, id="2g-2G"),
        pytest.param("arm-vmsplit-1g", "2G", 2 * GiB, 0, id="1g-2G"),
        pytest.param("arm-vmsplit-1g", "3G", 2816 * MiB, 256 * MiB, id="1g-3G"),
    ],
)
def test_lowmem_and_highmem(layout_id, ram, lowmem, highmem):
    layout = load(layout_id, {"ram": ram})
    expected = [("lowmem", 0, lowmem, "direct-map")]
    if highmem:
        expected.append(("highmem", lowmem, lowmem + highmem, "highmem"))
    assert [(p.name, p.start, p.end, p.kind) for p in layout.physical] == expected
    assert layout.physical_bits == 32
    if highmem:
        found = phys_lookup(layout, lowmem)
        assert found.range is not None and found.range.name == "highmem"
        assert found.aliases == ()


def test_highmem_on_the_3g_split_with_2g_of_ram():
    layout = load("arm-vmsplit-3g", {"ram": "2G"})
    assert layout.derived["high_memory"].value == 0xF0000000
    last_lowmem = translate(layout, 0xEFFFFFFF)
    assert (last_lowmem.region.name, last_lowmem.phys) == ("lowmem above the kernel image", 0x2FFFFFFF)
    assert LOWMEM in [r.name for r in last_lowmem.path]
    assert translate(layout, 0xF0000000).phys is None
    assert phys_lookup(layout, 0x30000000).range.name == "highmem"


class TestLpae:
    def test_switches_the_paging_mode(self):
        short, lpae = load("arm-vmsplit-3g"), load("arm-vmsplit-3g", {"lpae": 1})
        assert (short.paging.name, lpae.paging.name) == ("arm-2level", "arm-lpae")
        assert (short.physical_bits, lpae.physical_bits) == (32, 40)
        assert lpae.paging.hw_levels == ()

    def test_index_split(self):
        layout = load("arm-vmsplit-3g", {"lpae": 1})
        assert translate(layout, 0xC0000000).indices == {"pgd": 3, "pmd": 0, "pte": 0, "offset": 0}
        assert translate(layout, 0xC0623ABC).indices == {"pgd": 3, "pmd": 3, "pte": 0x23, "offset": 0xABC}
        assert [lv.entries for lv in layout.paging.levels] == [4, 512, 512]

    def test_same_virtual_layout(self):
        short, lpae = load("arm-vmsplit-3g"), load("arm-vmsplit-3g", {"lpae": 1})
        assert [(r.name, r.start, r.end) for r in short.leaves] == [(r.name, r.start, r.end) for r in lpae.leaves]
        assert lpae.derived["PMD_SIZE"].value == 2 * MiB
        assert (short.derived["FDT_FIXED_SIZE"].value, lpae.derived["FDT_FIXED_SIZE"].value) == (2 * MiB, 4 * MiB)

    def test_ram_above_4g_needs_lpae(self):
        layout = load("arm-vmsplit-3g", {"lpae": 1, "ram": "8G", "phys_offset": "0x80000000"})
        assert [(p.name, p.start, p.end) for p in layout.physical] == [
            ("lowmem", 0x80000000, 0x80000000 + 768 * MiB),
            ("highmem", 0x80000000 + 768 * MiB, 0x80000000 + 8 * GiB),
        ]
        with pytest.raises(LayoutError, match="without LPAE physical addresses have 32 bits"):
            load("arm-vmsplit-3g", {"ram": "8G"})
        with pytest.raises(LayoutError, match="without LPAE"):
            load("arm-vmsplit-3g", {"ram": "4G", "phys_offset": "0x40000000"})

    def test_vmsplit_3g_opt_refused_with_lpae(self):
        opt = load("arm-vmsplit-3g", {"PAGE_OFFSET": "0xB0000000"})
        assert opt.find("lowmem").size == 1 * GiB  # "for full 1G low memory"
        with pytest.raises(LayoutError, match="VMSPLIT_3G_OPT depends on !ARM_LPAE"):
            load("arm-vmsplit-3g", {"PAGE_OFFSET": "0xB0000000", "lpae": 1})

    def test_page_offset_choices(self):
        with pytest.raises(LayoutError, match="must be one of"):
            load("arm-vmsplit-3g", {"PAGE_OFFSET": "0xA0000000"})


@pytest.mark.parametrize(
    ("vmalloc_size", "lowmem", "vmalloc_start"),
    [
        pytest.param("240M", 768 * MiB, 0xF0800000, id="default-240M"),
        pytest.param("512M", 496 * MiB, 0xDF800000, id="512M"),
        pytest.param("1M", 992 * MiB, 0xFE800000, id="raised-to-16M"),
        pytest.param("2G", 32 * MiB, 0xC2800000, id="lowered-to-976M"),
    ],
)
def test_vmalloc_boot_option(vmalloc_size, lowmem, vmalloc_start):
    layout = load("arm-vmsplit-3g", {"vmalloc_size": vmalloc_size})
    assert layout.find("lowmem").size == lowmem
    assert layout.find("vmalloc").start == vmalloc_start
    assert layout.find("vmalloc").end == 0xFF800000


def test_pci_io_inside_vmalloc(layouts):
    layout = layouts["arm-vmsplit-3g"]
    t = translate(layout, 0xFEE00000)
    assert [r.name for r in t.path] == ["kernel space", VMALLOC, "PCI I/O space"]
    assert t.phys is None


# --------------------------------------------------------------------------
# arm64
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layout_id", "addr", "canonical"),
    [
        pytest.param("arm64-4k-48bit", 0x0000FFFFFFFFFFFF, True, id="4k-top-of-ttbr0"),
        pytest.param("arm64-4k-48bit", 0x0001000000000000, False, id="4k-first-non-canonical"),
        pytest.param("arm64-4k-48bit", 0x0080000000000000, False, id="4k-bit55-alone"),
        pytest.param("arm64-4k-48bit", 0xFFFEFFFFFFFFFFFF, False, id="4k-last-non-canonical"),
        pytest.param("arm64-4k-48bit", 0xFFFF000000000000, True, id="4k-bottom-of-ttbr1"),
        pytest.param("arm64-64k-52bit", 0x000FFFFFFFFFFFFF, True, id="64k-top-of-ttbr0"),
        pytest.param("arm64-64k-52bit", 0x0010000000000000, False, id="64k-first-non-canonical"),
        pytest.param("arm64-64k-52bit", 0xFFEFFFFFFFFFFFFF, False, id="64k-last-non-canonical"),
        pytest.param("arm64-64k-52bit", 0xFFF0000000000000, True, id="64k-bottom-of-ttbr1"),
        pytest.param("arm64-64k-52bit", 0x0001000000000000, True, id="64k-above-48-bits-is-canonical"),
    ],
)
def test_canonical(layout_id, addr, canonical):
    layout = load(layout_id)
    assert layout.paging.canonical(addr) is canonical
    check_canonical(layout, addr, canonical)


@pytest.mark.parametrize(
    ("layout_id", "user_end", "page_offset"),
    [
        pytest.param("arm64-4k-48bit", 1 << 48, 0xFFFF000000000000, id="4k"),
        pytest.param("arm64-64k-52bit", 1 << 52, 0xFFF0000000000000, id="64k"),
    ],
)
def test_top_level_structure(layout_id, user_end, page_offset):
    top = load(layout_id).root.children
    assert [(r.name, r.kind, r.start, r.end) for r in top] == [
        (USER64, "user-space", 0, user_end),
        (HOLE64, "non-canonical", user_end, page_offset),
        ("kernel space (TTBR1)", "kernel-space", page_offset, TOP64),
    ]
    hole = top[1]
    assert "Bit 55" in hole.description and "TTBR0_EL1" in hole.description and "TTBR1_EL1" in hole.description
    # Bit 55 tells the halves apart: clear all through user space, set all through kernel space.
    for addr in (0, user_end - 1):
        assert (addr >> 55) & 1 == 0
    for addr in (page_offset, TOP64 - 1):
        assert (addr >> 55) & 1 == 1


def _compose(fields):
    """An address from (value, lo) pairs."""
    addr = 0
    for value, lo in fields:
        addr |= value << lo
    return addr


@pytest.mark.parametrize(
    ("layout_id", "mode", "fields", "expected"),
    [
        pytest.param(
            "arm64-4k-48bit",
            "arm64-4k-48",
            [(0xFFFF, 48), (0x1A5, 39), (0x0C3, 30), (0x012, 21), (0x1FF, 12), (0xABC, 0)],
            {"pgd": 0x1A5, "pud": 0x0C3, "pmd": 0x012, "pte": 0x1FF, "offset": 0xABC},
            id="4k-47..39-38..30-29..21-20..12-11..0",
        ),
        pytest.param(
            "arm64-4k-48bit",
            "arm64-4k-48",
            [(0x1FF, 39), (0x1FF, 30), (0x1FF, 21), (0x1FF, 12), (0xFFF, 0)],
            {"pgd": 511, "pud": 511, "pmd": 511, "pte": 511, "offset": 0xFFF},
            id="4k-last-user-byte",
        ),
        pytest.param(
            "arm64-64k-52bit",
            "arm64-64k-52",
            [(0xFFF, 52), (0x3A5, 42), (0x1234, 29), (0x0ABC, 16), (0xBEEF, 0)],
            {"pgd": 0x3A5, "pmd": 0x1234, "pte": 0x0ABC, "offset": 0xBEEF},
            id="64k-51..42-41..29-28..16-15..0",
        ),
        pytest.param(
            "arm64-64k-52bit",
            "arm64-64k-52",
            [(0x3FF, 42), (0x1FFF, 29), (0x1FFF, 16), (0xFFFF, 0)],
            {"pgd": 1023, "pmd": 8191, "pte": 8191, "offset": 0xFFFF},
            id="64k-last-user-byte",
        ),
    ],
)
def test_index_split(layout_id, mode, fields, expected):
    layout = load(layout_id)
    assert layout.paging.name == mode
    addr = _compose(fields)
    assert layout.paging.indices(addr) == expected
    assert translate(layout, addr).indices == expected


@pytest.mark.parametrize(
    ("layout_id", "entries"),
    [
        pytest.param("arm64-4k-48bit", [512, 512, 512, 512], id="4k"),
        pytest.param("arm64-64k-52bit", [1024, 8192, 8192], id="64k"),
    ],
)
def test_table_sizes(layout_id, entries):
    mode = load(layout_id).paging
    assert [lv.entries for lv in mode.levels] == entries
    assert mode.hw_levels == ()


@pytest.mark.parametrize(
    ("layout_id", "page_offset", "linear_bytes"),
    [
        pytest.param("arm64-4k-48bit", 0xFFFF000000000000, 96 << 40, id="4k"),
        pytest.param("arm64-64k-52bit", 0xFFF0000000000000, 3456 << 40, id="64k"),
    ],
)
class TestLinearMap:
    def test_phys_offset_zero(self, layout_id, page_offset, linear_bytes):
        layout = load(layout_id)
        assert translate(layout, page_offset).phys == 0
        assert translate(layout, page_offset + 0x7FFFFFFF).phys == 0x7FFFFFFF
        assert translate(layout, page_offset + 0x80000000).ram_covered is False  # beyond the 2 GiB of RAM
        assert layout.find("linear_ram").size == linear_bytes

    def test_phys_offset_moves_ram(self, layout_id, page_offset, linear_bytes):
        layout = load(layout_id, {"phys_offset": "0x40000000"})
        assert translate(layout, page_offset + 0x1000).phys == 0x40001000
        found = phys_lookup(layout, 0x40001000)
        assert found.range.name == "RAM"
        assert [a.address for a in found.aliases] == [page_offset + 0x1000]
        assert phys_lookup(layout, 0x1000).aliases == ()

    def test_physical_ranges(self, layout_id, page_offset, linear_bytes):
        layout = load(layout_id)
        assert [(p.name, p.start, p.end, p.kind) for p in layout.physical] == [("RAM", 0, 2 * GiB, "direct-map")]
        assert layout.physical_bits == (48 if "48" in layout_id else 52)


@pytest.mark.parametrize(
    ("layout_id", "va_bits", "start"),
    [
        pytest.param("arm64-4k-48bit", 48, 0xFFFF600000000000, id="4k"),
        pytest.param("arm64-64k-52bit", 52, 0xFFFD800000000000, id="64k"),
    ],
)
class TestKasanShadow:
    def test_shadow_is_a_child_of_the_linear_map(self, layout_id, va_bits, start):
        layout = load(layout_id)
        offset = layout.params["kasan_shadow_offset"].value
        assert offset == 0xDFFF800000000000
        end = (1 << 61) + offset  # KASAN_SHADOW_END
        assert end == 0xFFFF800000000000
        shadow = layout.find("kasan_shadow")
        assert (
            (shadow.start, shadow.end, shadow.kind)
            == (end - (1 << (va_bits - 3)), end, "kasan")
            == (start, end, "kasan")
        )
        assert shadow in layout.find("linear_map").children
        assert (shadow.rule.name, layout.kasan.offset, layout.kasan.scale_shift) == ("kasan-shadow", offset, 3)
        # The shadow of PAGE_OFFSET, the lowest kernel address, is the first shadow byte.
        assert ((start - offset) << 3) % TOP64 == layout.find("kernel").start

    def test_shadow_addresses_decode(self, layout_id, va_bits, start):
        t = translate(load(layout_id), start)
        assert t.phys is None
        kernel = f"{(-(1 << va_bits)) % TOP64:#018x}"
        assert f"[{kernel}-" in t.explanation

    def test_report_in_shadow_is_probably_wild(self, layout_id, va_bits, start):
        assert "KASAN: probably wild-memory-access" in translate(load(layout_id), start).explanation


def test_kasan_non_canonical_user_access():
    # The shadow of 1 << 47, a user address on arm64 (TASK_SIZE = 1 << 48).
    t = translate(load("arm64-4k-48bit"), 0xDFFF800000000000 + ((1 << 47) >> 3))
    assert not t.canonical
    assert "probably user-memory-access" in t.explanation


@pytest.mark.parametrize("key", list(ARM64_TABLES), ids=_key_id)
def test_vmemmap_struct_page(layouts, key):
    layout = layouts[key]
    vmemmap = layout.find("vmemmap")
    assert (vmemmap.rule.name, vmemmap.rule.struct_size) == ("struct-page", 64)
    page_shift = layout.paging.page_shift
    # One 64-byte struct page for every page of the linear map range [PAGE_OFFSET, PAGE_END).
    linear = layout.find("linear_map")
    assert vmemmap.size == (linear.size >> page_shift) * 64
    assert f"pfn {0x2:#x}" in translate(layout, vmemmap.start + 2 * 64 + 8).explanation
    assert layout.find("vmalloc").rule is None


@pytest.mark.parametrize("key", list(ARM64_TABLES), ids=_key_id)
def test_top_area_formulas(layouts, key):
    """The constants behind both tables, as memory.h and pgtable.h write them."""
    layout = layouts[key]
    d = {name: v.value for name, v in layout.derived.items()}
    if key[1] == 1:
        assert d["VMEMMAP_END"] == TOP64 - GiB
        assert d["PCI_IO_START"] == d["VMEMMAP_END"] + 8 * MiB
        assert d["FIXADDR_TOP"] == TOP64 - 8 * MiB
        assert d["VMALLOC_END"] == d["VMEMMAP_START"] - 8 * MiB
    else:
        assert d["PCI_IO_END"] == d["VMEMMAP_START"] - 8 * MiB
        assert d["FIXADDR_TOP"] == d["VMEMMAP_START"] - 32 * MiB
        assert d["VMALLOC_END"] == d["VMEMMAP_START"] - 256 * MiB
    assert d["MODULES_VADDR"] == 0xFFFF800000000000 and d["MODULES_END"] == d["VMALLOC_START"] == 0xFFFF800080000000


@pytest.mark.parametrize(
    ("layout_id", "stack_size"),
    [pytest.param("arm64-4k-48bit", 132 << 10, id="4k"), pytest.param("arm64-64k-52bit", 192 << 10, id="64k")],
)
class TestArm64Process:
    def test_pie_text(self, layout_id, stack_size):
        layout = load(layout_id)
        assert layout.derived["ELF_ET_DYN_BASE"].value == 2 * (1 << 48) // 3 == 0xAAAAAAAAAAAA
        text = translate(layout, 0xAAAAAAAA0000).region
        assert (text.name, text.kind, text.start) == ("program text and read-only data", "user-text", 0xAAAAAAAA0000)
        assert layout.find("heap").start == layout.find("program_data").end

    def test_mmap_base_and_stack(self, layout_id, stack_size):
        layout = load(layout_id)
        assert layout.derived["mmap_base"].value == 0xFFFFF8000000
        assert layout.find("mmap_area").end == 0xFFFFF8000000
        stack = layout.find("stack")
        assert (stack.kind, stack.start, stack.end) == ("stack", (1 << 48) - stack_size, 1 << 48)
        gap = translate(layout, 0xFFFFF8000000).region
        assert (gap.name, gap.kind, gap.end) == ("stack gap", "hole", stack.start)
        page = 1 << layout.paging.page_shift
        for name in ("program_text", "program_data", "heap", "libc", "vdso", "ld_so", "stack"):
            region = layout.find(name)
            assert region.start % page == 0 and region.size % page == 0, name

    def test_kinds_in_address_order(self, layout_id, stack_size):
        user = load(layout_id).find("user")
        kinds = [r.kind for r in user.children if not r.synthetic]
        expected = ["user-text", "user-data", "heap", "mmap", "hole", "stack"]
        assert kinds == expected + (["user-space"] if "52" in layout_id else [])


def test_52bit_user_addresses_are_opt_in():
    layout = load("arm64-64k-52bit")
    region = layout.find("user_52bit")
    assert (region.start, region.end, region.kind) == (1 << 48, 1 << 52, "user-space")
    assert layout.derived["DEFAULT_MAP_WINDOW_64"].value == 1 << 48
    assert layout.derived["TASK_SIZE_64"].value == 1 << 52


@pytest.mark.parametrize("layout_id", ARM64_IDS)
def test_va_layout_choices(layout_id):
    assert load(layout_id).params["va_layout"].choices == {0: "memory.rst table (before v6.9)", 1: "v6.9 and later"}
    with pytest.raises(LayoutError, match="must be one of"):
        load(layout_id, {"va_layout": 2})
