"""The three x86 32-bit VMSPLIT layouts, checked against exact addresses.

Expected values are written out as numbers, worked out by hand from the
kernel's definitions (arch/x86/include/asm/pgtable_32_areas.h, fixmap.h,
cpu_entry_area.h, arch/x86/mm/init_32.c) with the layouts' defaults:
nr_cpus = 8, 197 permanent fixmap slots, 43 pages per cpu_entry_area,
RAM = 2 GiB.

  FIXADDR_TOP          0xfffff000
  FIXADDR_START        0xfffff000 - 197 pages          = 0xfff3a000
  FIXADDR_TOT_START    0xfffff000 - 710 pages          = 0xffd39000
  CPU_ENTRY_AREA_BASE  (0xffd39000 - 345 pages) & PMD  = 0xff800000
  cpu_entry_area end   base + 1 + 8 * 43 pages         = 0xff959000
  LDT_BASE_ADDR        0xff400000,  PKMAP_BASE 0xff000000
  VMALLOC_END          PKMAP_BASE - 2 pages            = 0xfeffe000
  MAXMEM classic       4G - PAGE_OFFSET - 128M
  MAXMEM modern        0xfeffe000 - PAGE_OFFSET - 128M
"""

from __future__ import annotations

import pytest

from tests.layout_checks import (
    X86_32_KERNEL_TOP,
    check_leaf_edges,
    check_lowmem_end,
    check_mem_init_orderings,
    check_user_process,
    derived_values,
    in_region,
    kernel_leaf_spans,
    leaf_edge_cases,
    x86_32_lowmem_leaves,
)
from vaslayout.catalog import load
from vaslayout.core.translate import translate

M = 1 << 20
G = 1 << 30

PAGE_OFFSET = {"3g": 0xC000_0000, "2g": 0x8000_0000, "1g": 0x4000_0000}
SPLITS = tuple(PAGE_OFFSET)
MODELS = {"classic": 0, "modern": 1}

MAXMEM = {
    ("3g", "classic"): 0x3800_0000,  # 896 MiB
    ("3g", "modern"): 0x36FF_E000,  # 880 MiB - 8 KiB
    ("2g", "classic"): 0x7800_0000,  # 1920 MiB
    ("2g", "modern"): 0x76FF_E000,
    ("1g", "classic"): 0xB800_0000,  # 2944 MiB
    ("1g", "modern"): 0xB6FF_E000,
}

def kernel_leaves(split: str, model: str) -> list[tuple[str, int, int]]:
    """Every leaf of the kernel part, in address order, with RAM = 2 GiB."""
    po = PAGE_OFFSET[split]
    high_memory = po + min(2 * G, MAXMEM[split, model])
    return [
        *x86_32_lowmem_leaves(po, high_memory),
        ("VMALLOC_OFFSET gap", high_memory, high_memory + 8 * M),
        ("vmalloc/ioremap space", high_memory + 8 * M, 0xFEFF_E000),
        *X86_32_KERNEL_TOP,
    ]


def cases():
    for split in SPLITS:
        for model in MODELS:
            yield pytest.param(split, model, id=f"{split}-{model}")


# The tables here were worked out for Kconfig's NR_CPUS_DEFAULT (8) and the classic MAXMEM;
# the layouts default to today's kernels (tests/test_layouts_i386_defaults.py checks those).
TABLE_CONFIG = {"nr_cpus": 8, "maxmem_model": 0}


def layout(split: str, **overrides):
    return load(f"x86_32-vmsplit-{split}", overrides={k: str(v) for k, v in {**TABLE_CONFIG, **overrides}.items()})


def leaf(lay, addr: int):
    return translate(lay, addr).region


# --- the user/kernel boundary ------------------------------------------------

@pytest.mark.parametrize("split", SPLITS)
def test_page_offset_edge(split):
    lay = layout(split)
    po = PAGE_OFFSET[split]
    assert lay.params["PAGE_OFFSET"].value == po
    below = translate(lay, po - 1)
    assert [r.id for r in below.path if r.id][0] == "user"
    assert below.region.id == "stack"
    at = translate(lay, po)
    assert in_region(at, "lowmem")
    assert [r.id for r in at.path if r.id][0] == "kernel"
    assert at.phys == 0
    assert lay.find("user").start == 0 and lay.find("user").end == po
    assert lay.find("kernel").start == po and lay.find("kernel").end == 1 << 32


@pytest.mark.parametrize("split", SPLITS)
def test_phys_of_second_lowmem_page(split):
    lay = layout(split)
    t = translate(lay, PAGE_OFFSET[split] + 0x1000)
    assert in_region(t, "lowmem")
    assert t.phys == 0x1000


@pytest.mark.parametrize("split", SPLITS)
def test_kernel_space_starts_at_pgd_slot(split):
    lay = layout(split)
    t = translate(lay, PAGE_OFFSET[split])
    assert t.indices == {"pgd": PAGE_OFFSET[split] >> 22, "pte": 0, "offset": 0}


# --- RAM size: lowmem end, highmem, vmalloc start ----------------------------

RAM_CASES = {
    # (split, ram): (lowmem size, highmem range or None); classic MAXMEM
    ("3g", "512M"): (0x2000_0000, None),
    ("3g", "2G"): (0x3800_0000, (0x3800_0000, 0x8000_0000)),
    ("3g", "8G"): (0x3800_0000, (0x3800_0000, 0x1_0000_0000)),  # trimmed to 4 GiB without PAE
    ("2g", "512M"): (0x2000_0000, None),
    ("2g", "2G"): (0x7800_0000, (0x7800_0000, 0x8000_0000)),
    ("2g", "8G"): (0x7800_0000, (0x7800_0000, 0x1_0000_0000)),
    ("1g", "512M"): (0x2000_0000, None),
    ("1g", "2G"): (0x8000_0000, None),
    ("1g", "8G"): (0xB800_0000, (0xB800_0000, 0x1_0000_0000)),
}


@pytest.mark.parametrize(("split", "ram"), [pytest.param(s, r, id=f"{s}-ram{r}") for s, r in RAM_CASES])
def test_ram_moves_lowmem_end(split, ram):
    size, highmem = RAM_CASES[split, ram]
    lay = layout(split, ram=ram)
    check_lowmem_end(lay, PAGE_OFFSET[split], size)
    assert lay.find("vmalloc").start == lay.derived["high_memory"].value + 8 * M


@pytest.mark.parametrize(("split", "ram"), [pytest.param(s, r, id=f"{s}-ram{r}") for s, r in RAM_CASES])
def test_physical_ranges(split, ram):
    size, highmem = RAM_CASES[split, ram]
    lay = layout(split, ram=ram)
    phys = {p.name: p for p in lay.physical}
    assert (phys["lowmem"].start, phys["lowmem"].end, phys["lowmem"].kind) == (0, size, "direct-map")
    if highmem is None:
        assert "highmem" not in phys
        assert len(lay.physical) == 1
    else:
        assert (phys["highmem"].start, phys["highmem"].end) == highmem
        assert phys["highmem"].kind == "highmem"
        assert "no permanent kernel mapping" in phys["highmem"].description


ONE_GIB_TABLE = {
    # kernel-facts 4c, 1 GiB of RAM, classic formula: lowmem, highmem, high_memory, VMALLOC_START
    "3g": (896 * M, 128 * M, 0xF800_0000, 0xF880_0000),
    "2g": (1 * G, 0, 0xC000_0000, 0xC080_0000),
    "1g": (1 * G, 0, 0x8000_0000, 0x8080_0000),
}


@pytest.mark.parametrize("split", SPLITS)
def test_one_gib_of_ram(split):
    lowmem, highmem, high_memory, vmalloc_start = ONE_GIB_TABLE[split]
    lay = layout(split, ram="1G")
    phys = {p.name: p for p in lay.physical}
    assert phys["lowmem"].size == lowmem
    assert (phys["highmem"].size if "highmem" in phys else 0) == highmem
    assert lay.derived["high_memory"].value == high_memory
    assert lay.derived["VMALLOC_START"].value == vmalloc_start


@pytest.mark.parametrize(("split", "most"), [("3g", 896 * M), ("2g", 1920 * M), ("1g", 2944 * M)])
def test_classic_max_lowmem(split, most):
    lay = layout(split, ram="4G")
    assert lay.params["maxmem_model"].value == 0
    assert lay.derived["MAXMEM"].value == most
    assert lay.find("lowmem").size == most
    assert lay.derived["high_memory"].value == 0xF800_0000
    assert lay.derived["VMALLOC_START"].value == 0xF880_0000


# --- the two MAXMEM models ---------------------------------------------------

@pytest.mark.parametrize(("split", "model"), list(cases()))
def test_maxmem_value(split, model):
    lay = layout(split, maxmem_model=MODELS[model])
    assert lay.derived["MAXMEM"].value == MAXMEM[split, model]
    assert lay.params["maxmem_model"].choice == model


@pytest.mark.parametrize("split", ["3g", "1g"])
def test_modern_model_gives_less_lowmem(split):
    big = "4G"  # enough RAM to fill lowmem in both models
    classic = layout(split, ram=big).find("lowmem").size
    modern = layout(split, ram=big, maxmem_model=1).find("lowmem").size
    assert modern < classic
    assert classic - modern == 16 * M + 8 * 1024  # VMALLOC_END sits 16 MiB + 8 KiB below 4 GiB


@pytest.mark.parametrize(("split", "model"), list(cases()))
def test_mem_init_bug_on_orderings(split, model):
    check_mem_init_orderings(derived_values(layout(split, maxmem_model=MODELS[model])))


@pytest.mark.parametrize("split", SPLITS)
def test_kernel_constants(split):
    d = derived_values(layout(split))
    assert d["FIXADDR_TOP"] == 0xFFFF_F000
    assert d["FIXADDR_START"] == 0xFFF3_A000
    assert d["FIX_BTMAP_END"] == 197
    assert d["FIX_BTMAP_BEGIN"] == 708
    assert d["FIXADDR_TOT_START"] == 0xFFD3_9000
    assert d["CPU_ENTRY_AREA_PAGES"] == 344
    assert d["CPU_ENTRY_AREA_BASE"] == 0xFF80_0000
    assert d["CPU_ENTRY_AREA_MAP_SIZE"] == 0x15_9000
    assert d["LDT_BASE_ADDR"] == 0xFF40_0000
    assert d["LDT_END_ADDR"] == 0xFF80_0000
    assert d["PKMAP_BASE"] == 0xFF00_0000
    assert d["VMALLOC_END"] == 0xFEFF_E000
    assert d["VMALLOC_RESERVE"] == 128 * M
    assert d["VMALLOC_OFFSET"] == 8 * M
    assert d["PMD_MASK"] == 0xFFC0_0000
    assert d["TASK_SIZE"] == PAGE_OFFSET[split]


def test_one_cpu_moves_everything_up():
    lay = layout("3g", nr_cpus=1, maxmem_model=1)
    d = derived_values(lay)
    assert lay.params["fixmap_permanent_pages"].value == 85
    assert d["FIXADDR_START"] == 0xFFFA_A000
    assert d["FIXADDR_TOT_START"] == 0xFFDA_9000
    assert d["CPU_ENTRY_AREA_BASE"] == 0xFFC0_0000
    assert d["LDT_BASE_ADDR"] == 0xFF80_0000
    assert d["PKMAP_BASE"] == 0xFF40_0000
    assert d["VMALLOC_END"] == 0xFF3F_E000
    assert d["MAXMEM"] == 0x373F_E000


def test_btmap_rounds_up_to_a_page_table():
    # 600 + 511 crosses a 1024-slot page table, so FIX_BTMAP_END moves up to 1024.
    d = derived_values(layout("3g", fixmap_permanent_pages=600))
    assert d["FIX_BTMAP_END"] == 1024
    assert d["FIX_BTMAP_BEGIN"] == 1535
    assert d["FIXADDR_TOT_START"] == 0xFFFF_F000 - 1537 * 0x1000


# --- every edge of the kernel part ---------------------------------------------

@pytest.mark.parametrize(("split", "model"), list(cases()))
def test_kernel_leaves_exact(split, model):
    assert kernel_leaf_spans(layout(split, maxmem_model=MODELS[model])) == kernel_leaves(split, model)


def edge_cases():
    for split in SPLITS:
        for model in MODELS:
            yield from leaf_edge_cases(split, model, kernel_leaves(split, model), tag=split)


@pytest.mark.parametrize(("split", "model", "name", "start", "end", "nxt"), list(edge_cases()))
def test_kernel_region_edges(split, model, name, start, end, nxt):
    check_leaf_edges(layout(split, maxmem_model=MODELS[model]), name, start, end, nxt, top=1 << 32)


@pytest.mark.parametrize("split", SPLITS)
def test_ids_and_kinds(split):
    lay = layout(split)
    assert lay.find("user").kind == "user-space"
    assert lay.find("kernel").kind == "kernel-space"
    assert lay.find("lowmem").kind == "direct-map"
    assert lay.find("vmalloc").kind == "vmalloc"
    assert lay.find("pkmap").kind == "pkmap"
    assert lay.find("ldt").kind == "ldt"
    assert lay.find("cpu_entry_area").kind == "cpu-entry"
    assert (lay.find("fixmap").start, lay.find("fixmap").end) == (0xFFD3_9000, 0xFFFF_F000)
    assert lay.find("fixmap").kind == "fixmap"
    assert lay.find("fix_hole").kind == "guard"
    assert lay.paging.name == "x86-32"
    assert lay.address_bits == 32


# --- the top page ----------------------------------------------------------------

@pytest.mark.parametrize("split", SPLITS)
def test_top_page(split):
    lay = layout(split)
    top = translate(lay, 0xFFFF_F000)
    assert top.region.id == "fix_hole"
    assert top.phys is None
    assert top.indices == {"pgd": 1023, "pte": 1023, "offset": 0}
    last = translate(lay, 0xFFFF_FFFF)
    assert last.region.id == "fix_hole"
    assert last.indices == {"pgd": 1023, "pte": 1023, "offset": 0xFFF}
    assert last.canonical
    below = translate(lay, 0xFFFF_EFFF)
    assert below.region.id == "fixmap_permanent"
    assert [r.id for r in below.path if r.id][-2:] == ["fixmap", "fixmap_permanent"]


# --- user space ------------------------------------------------------------------

@pytest.mark.parametrize("split", SPLITS)
def test_user_space_process(split):
    lay = layout(split)
    assert leaf(lay, 0).kind == "hole"
    check_user_process(lay, PAGE_OFFSET[split])
    assert translate(lay, 0x0804_8000).phys is None
