"""x86 32-bit defaults are today's kernels: the modern MAXMEM and Debian's NR_CPUS=32.

Facts from Debian's 686-pae kernel booted in QEMU with 2 and 4 GiB of RAM (issue 16, item 3):
879 MiB of lowmem, high_memory 0xf6ffe000, VMALLOC 0xf77fe000-0xfeffe000 (VmallocTotal 120 MiB).
The textbook 896 MiB (2.6-era MAXMEM) stays one param away.
"""

from __future__ import annotations

import pytest

from vaslayout.catalog import load
from vaslayout.core.translate import translate

M = 1 << 20


def leaf_at(layout, addr: int) -> str:
    return translate(layout, addr).region.name


@pytest.mark.parametrize("ram", ["2G", "4G"])
def test_pae_defaults_match_a_debian_686_pae_kernel(ram):
    layout = load("x86_32-vmsplit-3g", {"pae": 1, "ram": ram})
    assert (layout.params["maxmem_model"].value, layout.params["nr_cpus"].value) == (1, 32)
    lowmem, vmalloc = layout.find("lowmem"), layout.find("vmalloc")
    assert (lowmem.start, lowmem.end, lowmem.size // M) == (0xC000_0000, 0xF6FF_E000, 879)
    assert (vmalloc.start, vmalloc.end, vmalloc.size // M) == (0xF77F_E000, 0xFEFF_E000, 120)
    # row by row, both edges: lowmem, the 8 MiB VMALLOC_OFFSET gap, vmalloc
    assert leaf_at(layout, 0xF6FF_DFFF).startswith("lowmem")
    assert leaf_at(layout, 0xF6FF_E000) == leaf_at(layout, 0xF77F_DFFF) != leaf_at(layout, 0xF6FF_DFFF)
    assert leaf_at(layout, 0xF77F_E000) == leaf_at(layout, 0xFEFF_DFFF) == vmalloc.name
    assert translate(layout, 0xF6FF_DFFF).phys == 0x36FF_DFFF
    assert translate(layout, 0xF6FF_E000).phys is None


def test_without_pae_32_cpus_leave_a_little_less():
    layout = load("x86_32-vmsplit-3g", {"ram": "2G"})
    assert layout.find("lowmem").end == 0xF6BF_E000  # 875 MiB: the 4 MiB pkmap PMD and the bigger fixmap
    assert layout.find("vmalloc").end == 0xFEBF_E000


@pytest.mark.parametrize(
    ("layout_id", "classic_mib"),
    [("x86_32-vmsplit-3g", 896), ("x86_32-vmsplit-2g", 1920), ("x86_32-vmsplit-1g", 2944),
     ("x86_32-vmsplit-3g-opt", 1152), ("x86_32-vmsplit-2g-opt", 2048)],
)
def test_the_textbook_maxmem_is_one_param_away(layout_id, classic_mib):
    layout = load(layout_id, {"maxmem_model": 0, "ram": "4G"})
    assert layout.derived["MAXMEM"].value == classic_mib * M
    assert layout.find("lowmem").end == 0xF800_0000  # high_memory at its classic maximum
    assert load(layout_id, {"ram": "4G"}).derived["MAXMEM"].value < classic_mib * M


@pytest.mark.parametrize("layout_id", ["x86_32-vmsplit-3g", "x86_32-vmsplit-2g", "x86_32-vmsplit-1g",
                                       "x86_32-vmsplit-3g-opt", "x86_32-vmsplit-2g-opt"])
def test_the_layout_says_which_model_it_shows(layout_id):
    layout = load(layout_id)
    assert "The default, maxmem_model=1 (modern), is what current kernels do" in layout.summary
    assert "maxmem_model=0 (classic) selects the textbook MAXMEM" in layout.summary
    assert layout.params["maxmem_model"].choice == "modern"
