"""x86-64 as real kernels are built and booted: KERNEL_IMAGE_SIZE by CONFIG_RANDOMIZE_BASE, and
CONFIG_RANDOMIZE_MEMORY as arch/x86/mm/kaslr.c places the direct map, vmalloc and vmemmap.

Facts from Debian's 6.1 and 6.12 kernels booted in QEMU (issue 16, items 1 and 2): MODULES_VADDR
is 0xffffffffc0000000 even with nokaslr, a KASLR boot's _text at 0xffffffffaec00000 is kernel text,
and one boot's bases were page_offset_base=0xffff8d4300000000, vmalloc_base=0xffffd2f300000000,
vmemmap_base=0xfffff64940000000.
"""

from __future__ import annotations

import pytest

from vaslayout.catalog import load
from vaslayout.core.loader import LayoutError
from vaslayout.core.translate import translate

G, T = 1 << 30, 1 << 40
REAL_BASES = {"page_offset_base": "0xffff8d4300000000", "vmalloc_base": "0xffffd2f300000000",
              "vmemmap_base": "0xfffff64940000000"}
BOTH = ["x86_64-4level", "x86_64-5level"]


def leaf_at(layout, addr: int) -> tuple[str, str]:
    region = translate(layout, addr).region
    return region.name, region.kind


@pytest.mark.parametrize("layout_id", BOTH)
@pytest.mark.parametrize(
    ("randomize_base", "text_last", "modules_first"),
    [(1, 0xFFFF_FFFF_BFFF_FFFF, 0xFFFF_FFFF_C000_0000), (0, 0xFFFF_FFFF_9FFF_FFFF, 0xFFFF_FFFF_A000_0000)],
    ids=["RANDOMIZE_BASE", "no-RANDOMIZE_BASE"],
)
def test_kernel_image_size_by_randomize_base(layout_id, randomize_base, text_last, modules_first):
    """page_64_types.h: KERNEL_IMAGE_SIZE is 1 GiB with CONFIG_RANDOMIZE_BASE, else 512 MiB."""
    layout = load(layout_id, {"randomize_base": randomize_base})
    assert layout.derived["KERNEL_IMAGE_SIZE"].value == (G if randomize_base else G // 2)
    assert leaf_at(layout, 0xFFFF_FFFF_8000_0000) == ("kernel text mapping", "kernel-text")
    assert leaf_at(layout, text_last) == ("kernel text mapping", "kernel-text")
    assert leaf_at(layout, modules_first) == ("module mapping space", "modules")
    assert layout.find("modules").end == 0xFFFF_FFFF_FF00_0000


@pytest.mark.parametrize("layout_id", BOTH)
def test_default_is_a_distribution_kernel(layout_id):
    """Debian builds with CONFIG_RANDOMIZE_BASE: a KASLR boot's _text is kernel text, not modules."""
    layout = load(layout_id)
    assert layout.params["randomize_base"].value == 1
    assert layout.derived["MODULES_VADDR"].value == 0xFFFF_FFFF_C000_0000
    assert leaf_at(layout, 0xFFFF_FFFF_AEC0_0000) == ("kernel text mapping", "kernel-text")
    assert layout.params["randomize_memory"].value == 0  # fixed bases: the docs' table, or nokaslr


def test_real_kaslr_bases_4level():
    layout = load("x86_64-4level", REAL_BASES)
    assert layout.params["randomize_memory"].value == 1
    direct_map, vmalloc, vmemmap = (layout.find(i) for i in ("direct_map", "vmalloc", "vmemmap"))
    # kaslr.c: 2 GiB of RAM is 1 TB, plus 10 TB of CONFIG_RANDOMIZE_MEMORY_PHYSICAL_PADDING
    assert (direct_map.start, direct_map.size) == (0xFFFF_8D43_0000_0000, 11 * T)
    assert (vmalloc.start, vmalloc.size) == (0xFFFF_D2F3_0000_0000, 32 * T)
    assert (vmemmap.start, vmemmap.size) == (0xFFFF_F649_4000_0000, 1 * T)
    # the holes follow the regions; KASAN kernels never randomize, so no shadow row is left
    assert layout.find("kasan_shadow") is None
    assert leaf_at(layout, direct_map.start - 1) == ("unused", "hole")
    assert leaf_at(layout, direct_map.end) == ("unused hole", "hole")
    assert leaf_at(layout, vmalloc.start - 1) == ("unused hole", "hole")
    assert leaf_at(layout, vmalloc.end) == ("unused hole", "hole")
    assert leaf_at(layout, vmemmap.start - 1) == ("unused hole", "hole")
    gap = translate(layout, vmemmap.end).region
    assert (gap.start, gap.end) == (vmemmap.end, 0xFFFF_FE00_0000_0000)  # up to vaddr_end
    assert leaf_at(layout, 0xFFFF_FE00_0000_0000) == ("cpu_entry_area mapping", "cpu-entry")
    # the direct map still translates from its new base
    assert translate(layout, 0xFFFF_8D43_0000_1234).phys == 0x1234
    assert translate(layout, 0xFFFF_8D43_8000_0000).ram_covered is False  # the rule's phys, beyond the 2 GiB of RAM


@pytest.mark.parametrize(("name", "value"), list(REAL_BASES.items()))
def test_any_single_base_can_be_set(name, value):
    layout = load("x86_64-4level", {name: value})
    region = layout.find({"page_offset_base": "direct_map", "vmalloc_base": "vmalloc",
                          "vmemmap_base": "vmemmap"}[name])
    assert region.start == int(value, 16)
    assert layout.params["randomize_memory"].value == 1
    assert layout.find("kasan_shadow") is None


def test_randomize_memory_at_the_fixed_bases_shrinks_the_direct_map():
    layout = load("x86_64-4level", {"randomize_memory": 1, "ram": "16T"})
    assert layout.find("direct_map").size == 26 * T  # 16 TB of RAM plus 10 TB of padding
    assert layout.find("vmemmap").size == 1 * T
    capped = load("x86_64-4level", {"randomize_memory": 1, "ram": "60T"})
    assert capped.find("direct_map").size == 64 * T  # never more than 1 << MAX_PHYSMEM_BITS


def test_vmemmap_grows_with_a_big_direct_map():
    """kaslr.c sizes vmemmap to the struct pages of the direct map (64 bytes per 4 KiB), in whole TB."""
    at_edge = load("x86_64-5level", {"randomize_memory": 1, "ram": "64T", "physical_padding_tb": 0})
    assert at_edge.find("vmemmap").size == 1 * T
    above = load("x86_64-5level", {"randomize_memory": 1, "ram": "65T", "physical_padding_tb": 0})
    assert above.find("direct_map").size == 65 * T
    assert above.find("vmemmap").size == 2 * T


def test_before_4_20_the_direct_map_starts_at_ffff880000000000():
    layout = load("x86_64-4level", {"page_offset_base": "0xffff880000000000"})
    assert layout.params["randomize_memory"].value == 0  # that base was the fixed one then
    direct_map = layout.find("direct_map")
    assert (direct_map.start, direct_map.last) == (0xFFFF_8800_0000_0000, 0xFFFF_C7FF_FFFF_FFFF)
    assert all(r.kind != "ldt" for r in layout.leaves)  # the LDT remap moved there only in 4.20
    assert translate(layout, 0xFFFF_8800_0000_0000).phys == 0
    assert leaf_at(layout, 0xFFFF_C800_0000_0000) == ("unused hole", "hole")
    assert layout.find("kasan_shadow") is not None


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"vmalloc_base": "0xffffc90000000001"}, "multiples of PUD_SIZE"),
        ({"vmemmap_base": "0xffffc90040000000"}, "keeps the order"),
        ({"vmalloc_base": "0xffff890000000000"}, "keeps the order"),
        ({"vmemmap_base": "0xfffffd0040000000"}, "vaddr_end"),
        ({"page_offset_base": "0xffff840000000000"}, "guard hole"),
    ],
    ids=["misaligned", "vmemmap-inside-vmalloc", "vmalloc-inside-direct-map", "past-vaddr-end", "in-guard-hole"],
)
def test_bases_the_kernel_cannot_pick_are_refused(overrides, words):
    with pytest.raises(LayoutError) as err:
        load("x86_64-4level", overrides)
    assert words in str(err.value)
    assert str(err.value).startswith("--set ")


def test_the_last_vmemmap_that_fits_below_vaddr_end():
    layout = load("x86_64-4level", {"vmemmap_base": "0xfffffd0000000000"})
    assert layout.find("vmemmap").end == 0xFFFF_FE00_0000_0000
    assert leaf_at(layout, 0xFFFF_FDFF_FFFF_FFFF) == ("virtual memory map", "vmemmap")


def test_5level_bases_move_too():
    layout = load("x86_64-5level", {"page_offset_base": "0xff11400000000000"})
    assert layout.find("direct_map").start == 0xFF11_4000_0000_0000
    assert layout.find("direct_map").size == 11 * T
    assert layout.find("kasan_area") is None
    assert leaf_at(layout, 0xFF10_0000_0000_0000) == ("LDT remap for PTI", "ldt")
