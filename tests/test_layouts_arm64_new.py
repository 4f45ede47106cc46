"""arm64 by kernel version and configuration, and riscv64's module area, as real kernels have them.

Facts (issue 16, items 4-6): arm64 6.1 has 128 MiB of modules and KIMAGE_VADDR = VMALLOC_START =
0xffff800008000000; arm64 6.12 with 4 KiB pages on an LPA2 CPU has VMALLOC_END 0xffffc1ffbf800000
and vmemmap at 0xffffc1ffc0000000; riscv64 6.12 has MODULES_VADDR = _end - 2 GiB
(0xffffffff01e6c000 in Debian's build). The other rows follow memory.h's formulas with the sizes
of arch/arm64/Kconfig (PGTABLE_LEVELS, KASAN_SHADOW_OFFSET).
"""

from __future__ import annotations

import pytest

from vaslayout.catalog import load
from vaslayout.core.loader import LayoutError
from vaslayout.core.translate import translate

G, M = 1 << 30, 1 << 20


def at(layout, addr: int) -> str:
    return translate(layout, addr).region.kind


@pytest.mark.parametrize(
    ("modules_size", "vmalloc_start"),
    [("128M", 0xFFFF_8000_0800_0000), ("2G", 0xFFFF_8000_8000_0000)],
    ids=["6.1", "6.5+"],
)
def test_arm64_module_area_by_version(modules_size, vmalloc_start):
    layout = load("arm64-4k-48bit", {"modules_size": modules_size})
    modules = layout.find("modules")
    assert (modules.start, modules.end) == (0xFFFF_8000_0000_0000, vmalloc_start)
    assert layout.find("vmalloc").start == vmalloc_start == layout.derived["MODULES_END"].value
    assert at(layout, vmalloc_start - 1) == "modules"
    # KIMAGE_VADDR: the kernel image is in vmalloc, not modules
    assert at(layout, vmalloc_start) == "kernel-text"
    assert "vmalloc" in [r.id for r in translate(layout, vmalloc_start).path]


def test_arm64_default_is_the_table():
    assert load("arm64-4k-48bit").params["modules_size"].value == 2 * G


def test_lpa2_4k_52bit_as_6_12_runs_it():
    layout = load("arm64-4k-52bit")
    assert layout.paging.name == "arm64-4k-52" and len(layout.paging.levels) == 5
    vmalloc, vmemmap = layout.find("vmalloc"), layout.find("vmemmap")
    assert vmalloc.end == 0xFFFF_C1FF_BF80_0000
    assert vmemmap.start == 0xFFFF_C1FF_C000_0000
    assert at(layout, 0xFFFF_C1FF_BF7F_FFFF) == "vmalloc"
    assert at(layout, 0xFFFF_C1FF_C000_0000) == "vmemmap"
    assert layout.find("kernel").start == 0xFFF0_0000_0000_0000  # PAGE_OFFSET = -(1 << 52)
    assert translate(layout, 0xFFF0_0000_0000_1000).phys == 0x1000


@pytest.mark.parametrize(
    ("layout_id", "va_bits", "page_shift", "levels", "kasan_offset", "vmemmap"),
    [
        ("arm64-4k-39bit", 39, 12, 3, 0xDFFF_FFC0_0000_0000, 0xFFFF_FFFE_0000_0000),
        ("arm64-16k-47bit", 47, 14, 3, 0xDFFF_C000_0000_0000, 0xFFFF_FF80_0000_0000),
        ("arm64-64k-42bit", 42, 16, 2, 0xDFFF_FE00_0000_0000, 0xFFFF_FFFF_0000_0000),
    ],
)
def test_android_and_embedded_configs(layout_id, va_bits, page_shift, levels, kasan_offset, vmemmap):
    layout = load(layout_id)
    mode = layout.paging
    assert (mode.va_bits, mode.page_shift, len(mode.levels)) == (va_bits, page_shift, levels)
    assert mode.levels[0].hi == va_bits - 1 and mode.levels[-1].lo == page_shift
    page_offset = (1 << 64) - (1 << va_bits)
    user, kernel = layout.role_region("user"), layout.role_region("kernel")
    assert (user.start, user.end) == (0, 1 << va_bits)
    assert (kernel.start, kernel.end) == (page_offset, 1 << 64)
    assert layout.params["kasan_shadow_offset"].value == kasan_offset
    # generic KASAN: the shadow ends at PAGE_END = -(1 << (VA_BITS - 1)), where the modules begin
    assert layout.derived["KASAN_SHADOW_END"].value == (1 << 64) - (1 << (va_bits - 1)) == layout.find("modules").start
    assert layout.find("vmemmap").start == vmemmap  # -(1 << (VA_BITS - (PAGE_SHIFT - 6))), the table's
    assert not translate(layout, 1 << va_bits).canonical
    assert translate(layout, (1 << va_bits) - 1).canonical
    assert translate(layout, page_offset).canonical and not translate(layout, page_offset - 1).canonical


def test_39bit_user_space_is_512_gib():
    layout = load("arm64-4k-39bit")
    stack = layout.find("stack")
    assert stack.end == 1 << 39
    assert layout.find("program_text").start == (2 * (1 << 39) // 3) & ~0xFFFF


@pytest.mark.parametrize(
    ("mode", "shift", "offset", "present"),
    [(0, 3, 0xDFFF_8000_0000_0000, True), (1, 4, 0xEFFF_8000_0000_0000, True), (2, 3, 0xDFFF_8000_0000_0000, False)],
    ids=["generic", "sw-tags", "hw-tags"],
)
def test_kasan_modes(mode, shift, offset, present):
    layout = load("arm64-4k-48bit", {"kasan_mode": mode})
    assert layout.params["kasan_shadow_offset"].value == offset
    assert layout.kasan is not None and layout.kasan.scale_shift == shift
    assert (layout.find("kasan_shadow") is not None) is present
    assert layout.derived["KASAN_SHADOW_END"].value == 0xFFFF_8000_0000_0000
    if present:
        assert layout.find("kasan_shadow").start == 0xFFFF_8000_0000_0000 - (1 << (48 - shift))
    else:
        assert layout.find("linear_ram").end == 0xFFFF_8000_0000_0000


def test_kasan_shadow_offset_is_settable():
    """A kernel built with its own CONFIG_KASAN_SHADOW_OFFSET: the shadow moves with it."""
    layout = load("arm64-4k-48bit", {"kasan_shadow_offset": "0xdfff700000000000"})
    assert layout.kasan is not None and layout.kasan.offset == 0xDFFF_7000_0000_0000
    assert layout.derived["KASAN_SHADOW_END"].value == 0xFFFF_7000_0000_0000  # the decode uses it
    # the map draws the shadow row at the Kconfig default's place (kasan_region_start), beside the linear map
    assert layout.find("kasan_shadow").end == layout.derived["PAGE_END"].value


@pytest.mark.parametrize("layout_id", ["riscv-sv39", "riscv-sv48", "riscv-sv57"])
def test_riscv_modules_start_at_the_kernel_end_minus_2g(layout_id):
    layout = load(layout_id)
    modules = layout.find("modules")
    assert (modules.start, modules.end) == (0xFFFF_FFFF_01E6_C000, 0xFFFF_FFFF_8000_0000)
    assert at(layout, 0xFFFF_FFFF_01E6_BFFF) == "hole"
    assert at(layout, 0xFFFF_FFFF_01E6_C000) == "modules"
    assert at(layout, 0xFFFF_FFFF_0000_0000) == "hole"  # MODULES_LOWEST_VADDR: free in this build
    bigger = load(layout_id, {"kernel_end": "0xffffffff84000000"})
    assert bigger.find("modules").start == 0xFFFF_FFFF_0400_0000
    table = load(layout_id, {"kernel_end": "0xffffffff80000000"})
    assert table.find("modules").start == 0xFFFF_FFFF_0000_0000


@pytest.mark.parametrize("kernel_end", ["0xffffffff7ffff000", "0xffffffff81e6c001"], ids=["below-start", "unaligned"])
def test_riscv_kernel_end_must_be_a_page_above_the_image_start(kernel_end):
    with pytest.raises(LayoutError, match="PFN_ALIGN"):
        load("riscv-sv39", {"kernel_end": kernel_end})
