"""The kernel image and the zones, row by row with their edges, at the values real kernels had.

The numbers are those of the committed captures (tests/data/captures/): Debian 6.1 686-pae's
_text at 0xdb000000 (KASLR), armhf LPAE's "Kernel code" at 0x40208000, arm64 6.1's image at
0xffffb7bbb6400000 with memstart_addr 0xffffbfca40000000, arm64 6.12 on a 48-bit CPU with
memstart_addr 0xfff0a1c100000000, and their dmesg "Zone ranges".
"""

from __future__ import annotations

import pytest

from vaslayout.catalog import load
from vaslayout.core.loader import LayoutError
from vaslayout.core.translate import translate

M, G = 1 << 20, 1 << 30


def names(layout, addr: int) -> list[str]:
    return [r.name for r in translate(layout, addr).path]


def check_image(layout, start: int, end: int, phys: int, parent: str, below: str | None, above: str) -> None:
    """The image's first and last byte are kernel text in `parent` at `phys`; the bytes around it are not."""
    first, last = translate(layout, start), translate(layout, end - 1)
    assert (first.region.name, first.region.kind, first.phys) == ("kernel image", "kernel-text", phys)
    assert (last.region.name, last.phys) == ("kernel image", phys + end - start - 1)
    assert parent in names(layout, start) and parent in names(layout, end - 1)
    if below is not None:
        assert translate(layout, start - 1).region.name == below
    assert translate(layout, end).region.name == above


# --- i386 PAE: the image in lowmem, where KASLR put it ---------------------------------------

def test_i386_image_default_is_physical_start():
    layout = load("x86_32-vmsplit-3g", {"pae": 1})
    check_image(layout, 0xC100_0000, 0xC100_0000 + 0xF1_9000, 0x100_0000, "lowmem (direct mapping of RAM)",
                "lowmem below the kernel image", "lowmem above the kernel image")


def test_i386_image_moved_by_kaslr():
    layout = load("x86_32-vmsplit-3g", {"pae": 1, "kernel_phys": "0x1b000000", "kernel_size": "0xf19000"})
    check_image(layout, 0xDB00_0000, 0xDBF1_9000, 0x1B00_0000, "lowmem (direct mapping of RAM)",
                "lowmem below the kernel image", "lowmem above the kernel image")


def test_i386_image_beyond_lowmem_is_not_drawn():
    """With less RAM than the image needs the row goes, and lowmem is one leaf again."""
    layout = load("x86_32-vmsplit-3g", {"ram": "16M"})
    assert layout.find("kernel_image") is None
    assert translate(layout, 0xC000_0000).region.name == "lowmem (direct mapping of RAM)"


# --- armhf LPAE: the image at PAGE_OFFSET + TEXT_OFFSET ----------------------------------------

def test_armhf_image_at_text_offset():
    layout = load("arm-vmsplit-3g", {"lpae": 1, "phys_offset": "0x40000000"})
    check_image(layout, 0xC020_8000, 0xC020_8000 + 0x160_5288, 0x4020_8000, "lowmem (kernel direct-mapped RAM)",
                "lowmem below the kernel image", "lowmem above the kernel image")
    assert translate(layout, 0xC040_0000).region.kind == "kernel-text"  # the capture's _stext


def test_armhf_image_without_platform_offset():
    layout = load("arm-vmsplit-3g", {"text_offset": "0x8000"})
    check_image(layout, 0xC000_8000, 0xC000_8000 + 0x160_5288, 0x8000, "lowmem (kernel direct-mapped RAM)",
                "lowmem below the kernel image", "lowmem above the kernel image")


# --- arm64: the image in vmalloc, the linear map at memstart_addr -----------------------------

ARM64_61 = {"modules_size": "128M", "phys_offset": "0x40000000", "ram": "4G", "kaslr_offset": "0x37bbae400000",
            "kernel_phys": "0x40200000", "kernel_size": "0x2010000", "memstart_addr": "0xffffbfca40000000"}


def test_arm64_image_without_kaslr_starts_vmalloc():
    layout = load("arm64-4k-48bit")
    check_image(layout, 0xFFFF_8000_8000_0000, 0xFFFF_8000_8250_0000, 0x20_0000, "vmalloc", None,
                "vmalloc above the kernel image")
    assert translate(layout, 0xFFFF_8000_7FFF_FFFF).region.name == "modules"
    assert layout.find("vmalloc_below_image") is None


def test_arm64_61_kaslr_image_and_linear_map():
    layout = load("arm64-4k-48bit", ARM64_61)
    check_image(layout, 0xFFFF_B7BB_B640_0000, 0xFFFF_B7BB_B841_0000, 0x4020_0000, "vmalloc",
                "vmalloc below the kernel image", "vmalloc above the kernel image")
    assert translate(layout, 0xFFFF_8000_0800_0000).region.name == "vmalloc below the kernel image"
    ram = translate(layout, 0xFFFF_4036_0000_0000)  # kcore's RAM segment
    assert (ram.phys, ram.ram_covered) == (0x4000_0000, True)
    last = translate(layout, 0xFFFF_4036_0000_0000 + 4 * G - 1)
    assert (last.phys, last.ram_covered) == (0x1_3FFF_FFFF, True)
    assert translate(layout, 0xFFFF_4036_0000_0000 + 4 * G).ram_covered is False


def test_arm64_612_52bit_kernel_on_a_48bit_cpu():
    """memstart_addr is lowered by _PAGE_OFFSET(48) - _PAGE_OFFSET(52); the linear map still lands on RAM."""
    layout = load("arm64-4k-48bit", {"va_layout": 1, "built_va_bits": 52, "phys_offset": "0x40000000",
                                     "ram": "4G", "memstart_addr": "0xfff0a1c100000000"})
    assert layout.derived["va_bits_shift"].value == (1 << 52) - (1 << 48)
    assert translate(layout, 0xFFFF_5E3F_4000_0000).phys == 0x4000_0000
    unrandomized = load("arm64-4k-48bit", {"built_va_bits": 52, "phys_offset": "0x40000000"})
    assert unrandomized.params["memstart_addr"].value == 0xFFF1_0000_4000_0000
    assert translate(unrandomized, 0xFFFF_0000_0000_0000).phys == 0x4000_0000


def test_arm64_image_must_fit_in_vmalloc():
    with pytest.raises(LayoutError, match="outside its parent"):
        load("arm64-4k-39bit", {"kaslr_offset": str(1 << 38)})


# --- zones, edges at the captures' dmesg -----------------------------------------------------

@pytest.mark.parametrize(("layout_id", "overrides", "want"), [
    pytest.param("arm64-4k-48bit", {"phys_offset": "0x40000000", "ram": "4G"},
                 [("ZONE_DMA", 0x4000_0000, 0x1_0000_0000), ("ZONE_NORMAL", 0x1_0000_0000, 0x1_4000_0000)],
                 id="arm64-qemu-virt"),
    pytest.param("arm64-64k-52bit", {"phys_offset": "0x8000000000", "ram": "2G"},
                 [("ZONE_DMA", 0x80_0000_0000, 0x80_8000_0000)], id="arm64-ram-above-4g"),
    pytest.param("arm64-4k-48bit", {"ram": "2G"}, [("ZONE_DMA", 0, 2 * G)], id="arm64-small"),
    pytest.param("arm-vmsplit-3g", {"lpae": 1, "phys_offset": "0x40000000", "ram": "2G"},
                 [("ZONE_DMA", 0x4000_0000, 0x7000_0000), ("ZONE_HIGHMEM", 0x7000_0000, 0xC000_0000)],
                 id="armhf-lpae"),
    pytest.param("arm-vmsplit-1g", {"ram": "2G"}, [("ZONE_DMA", 0, 2 * G)], id="arm-all-lowmem"),
    pytest.param("riscv-sv39", {"ram": "2G"}, [("ZONE_DMA32", 0x8000_0000, 0x1_0000_0000)], id="riscv-2g"),
    pytest.param("riscv-sv48", {"ram": "8G"},
                 [("ZONE_DMA32", 0x8000_0000, 0x1_0000_0000), ("ZONE_NORMAL", 0x1_0000_0000, 0x2_8000_0000)],
                 id="riscv-8g"),
])
def test_zones(layout_id, overrides, want):
    layout = load(layout_id, overrides)
    assert [(z.name, z.start, z.end) for z in layout.zones] == want
    for (_, start, end), nxt in zip(want, [*want[1:], None], strict=True):
        assert translate_zone(layout, start) == translate_zone(layout, end - 1) != translate_zone(layout, end)
        if nxt is None:
            assert translate_zone(layout, end) is None


def translate_zone(layout, phys: int) -> str | None:
    return next((z.name for z in layout.zones if z.start <= phys < z.end), None)


def test_arm64_vmemmap_follows_memstart_addr():
    """kcore's vmemmap segment of the 6.1 KASLR boot holds the struct page of RAM's first pfn, 0x40000."""
    layout = load("arm64-4k-48bit", ARM64_61)
    t = translate(layout, 0xFFFF_FD00_D800_0000)
    assert t.region.kind == "vmemmap"
    assert "describes pfn 0x40000," in t.explanation
    assert "describes pfn 0x40001," in translate(layout, 0xFFFF_FD00_D800_0040).explanation
