"""The x86 32-bit _OPT splits and PAE, checked against exact addresses.

Expected values are written out as numbers, worked out by hand from the
kernel's definitions (arch/x86/include/asm/pgtable_32_areas.h, fixmap.h,
pgtable-3level_types.h, arch/x86/mm/init_32.c, arch/x86/kernel/e820.c) with
the layouts' defaults: nr_cpus = 8, 197 permanent fixmap slots, 43 pages per
cpu_entry_area, RAM = 2 GiB.

Without PAE (the _OPT splits; the same as tests/test_layouts_x86_32.py):

  FIXADDR_TOT_START    0xffd39000, CPU_ENTRY_AREA_BASE 0xff800000
  LDT_BASE_ADDR        0xff400000, PKMAP_BASE 0xff000000, VMALLOC_END 0xfeffe000

With PAE (pae=1): PTRS_PER_PTE 512, PMD_SIZE 2 MiB, LAST_PKMAP 512.

  FIX_BTMAP_END        197 ^ 708 crosses a 512-slot table, so 197 + 512 - 197 = 512
  FIX_BTMAP_BEGIN      1023, then FIX_WP_TEST: __end_of_fixed_addresses = 1025
  FIXADDR_TOT_START    0xfffff000 - 1025 pages              = 0xffbfe000
  CPU_ENTRY_AREA_BASE  (0xffbfe000 - 345 pages) & 0xffe00000 = 0xffa00000
  cpu_entry_area end   base + 1 + 8 * 43 pages               = 0xffb59000
  LDT_BASE_ADDR        0xff800000,  PKMAP_BASE 0xff600000 (512 pages, 2 MiB)
  VMALLOC_END          PKMAP_BASE - 2 pages                  = 0xff5fe000
  MAXMEM modern        0xff5fe000 - PAGE_OFFSET - 128M
  max_pfn              min(RAM, MAX_ARCH_PFN = 64 GiB) instead of min(RAM, 4 GiB)

MAXMEM classic is 4G - PAGE_OFFSET - 128M with or without PAE.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
from vaslayout.core.loader import LayoutError
from vaslayout.core.translate import phys_lookup, translate

K = 1 << 10
M = 1 << 20
G = 1 << 30
TOP = 1 << 32
ROOT = Path(__file__).resolve().parent.parent

OPT_PAGE_OFFSET = {"3g-opt": 0xB000_0000, "2g-opt": 0x7800_0000}
OPT_SPLITS = tuple(OPT_PAGE_OFFSET)
OPT_CONFIG = {"3g-opt": "CONFIG_VMSPLIT_3G_OPT", "2g-opt": "CONFIG_VMSPLIT_2G_OPT"}
PAE_PAGE_OFFSET = {"3g": 0xC000_0000, "2g": 0x8000_0000, "1g": 0x4000_0000}
PAE_SPLITS = tuple(PAE_PAGE_OFFSET)
PAGE_OFFSET = {**OPT_PAGE_OFFSET, **PAE_PAGE_OFFSET}
MODELS = {"classic": 0, "modern": 1}

MAXMEM = {
    # _OPT splits, no PAE
    ("3g-opt", "classic"): 0x4800_0000,  # 1152 MiB: 4G - 0xB0000000 - 128M
    ("3g-opt", "modern"): 0x46FF_E000,  # 0xfeffe000 - 0xB0000000 - 128M
    ("2g-opt", "classic"): 0x8000_0000,  # 2048 MiB: 4G - 0x78000000 - 128M
    ("2g-opt", "modern"): 0x7EFF_E000,
    # PAE: the classic formula does not change, the modern one follows VMALLOC_END = 0xff5fe000
    ("3g", "classic"): 0x3800_0000,  # 896 MiB
    ("3g", "modern"): 0x375F_E000,  # 886 MiB - 8 KiB
    ("2g", "classic"): 0x7800_0000,  # 1920 MiB
    ("2g", "modern"): 0x775F_E000,
    ("1g", "classic"): 0xB800_0000,  # 2944 MiB
    ("1g", "modern"): 0xB75F_E000,
}

# Above vmalloc the kernel part depends only on PAE (without it: X86_32_KERNEL_TOP).
TOP_PAE = [
    ("vmalloc guard pages", 0xFF5F_E000, 0xFF60_0000),
    ("persistent kmap (pkmap)", 0xFF60_0000, 0xFF80_0000),
    ("LDT remap", 0xFF80_0000, 0xFFA0_0000),
    ("read-only IDT", 0xFFA0_0000, 0xFFA0_1000),
    ("per-CPU entry areas", 0xFFA0_1000, 0xFFB5_9000),
    ("unused (PMD rounding below the fixmap)", 0xFFB5_9000, 0xFFBF_E000),
    ("boot-time fixmap (early_ioremap)", 0xFFBF_E000, 0xFFDF_F000),
    ("unused (boot-time slots rounded up to a page table)", 0xFFDF_F000, 0xFFF3_A000),
    ("permanent fixmap", 0xFFF3_A000, 0xFFFF_F000),
    ("FIX_HOLE page (above FIXADDR_TOP)", 0xFFFF_F000, TOP),
]


# The tables here were worked out for Kconfig's NR_CPUS_DEFAULT (8) and the classic MAXMEM;
# the layouts default to today's kernels (tests/test_layouts_i386_defaults.py checks those).
TABLE_CONFIG = {"nr_cpus": 8, "maxmem_model": 0}


def layout(split: str, **overrides):
    return load(f"x86_32-vmsplit-{split}", overrides={k: str(v) for k, v in {**TABLE_CONFIG, **overrides}.items()})


def pae_layout(split: str, **overrides):
    return layout(split, pae=1, **overrides)


def kernel_leaves(split: str, model: str, pae: bool) -> list[tuple[str, int, int]]:
    """Every leaf of the kernel part, in address order, with RAM = 2 GiB."""
    po = PAGE_OFFSET[split]
    high_memory = po + min(2 * G, MAXMEM[split, model])
    vmalloc_end = 0xFF5F_E000 if pae else 0xFEFF_E000
    return [
        *x86_32_lowmem_leaves(po, high_memory),
        ("VMALLOC_OFFSET gap", high_memory, high_memory + 8 * M),
        ("vmalloc/ioremap space", high_memory + 8 * M, vmalloc_end),
        *(TOP_PAE if pae else X86_32_KERNEL_TOP),
    ]


def opt_cases():
    for split in OPT_SPLITS:
        for model in MODELS:
            yield pytest.param(split, model, id=f"{split}-{model}")


def pae_cases():
    for split in PAE_SPLITS:
        for model in MODELS:
            yield pytest.param(split, model, id=f"{split}-pae-{model}")


def edge_cases(splits, pae: bool):
    for split in splits:
        for model in MODELS:
            tag = f"{split}-pae" if pae else split
            yield from leaf_edge_cases(split, model, kernel_leaves(split, model, pae), tag=tag)


# === the _OPT splits (no PAE) ==================================================

@pytest.mark.parametrize("split", OPT_SPLITS)
def test_opt_page_offset_edge(split):
    lay = layout(split)
    po = OPT_PAGE_OFFSET[split]
    assert lay.params["PAGE_OFFSET"].value == po
    assert lay.derived["TASK_SIZE"].value == po
    below = translate(lay, po - 1)
    assert [r.id for r in below.path if r.id][0] == "user"
    assert below.region.id == "stack"
    assert below.phys is None
    at = translate(lay, po)
    assert in_region(at, "lowmem")
    assert [r.id for r in at.path if r.id][0] == "kernel"
    assert at.phys == 0
    assert translate(lay, po + 0x1000).phys == 0x1000
    assert (lay.find("user").start, lay.find("user").end) == (0, po)
    assert (lay.find("kernel").start, lay.find("kernel").end) == (po, TOP)


@pytest.mark.parametrize(("split", "pgd"), [("3g-opt", 704), ("2g-opt", 480)])
def test_opt_kernel_space_starts_inside_a_pgd_slot(split, pgd):
    lay = layout(split)
    assert lay.paging.name == "x86-32"
    assert lay.derived["PGD_KERNEL_START"].value == pgd
    assert translate(lay, OPT_PAGE_OFFSET[split]).indices == {"pgd": pgd, "pte": 0, "offset": 0}


OPT_RAM_CASES = {
    # (split, ram): (lowmem size, highmem range or None); classic MAXMEM
    ("3g-opt", "512M"): (0x2000_0000, None),
    ("3g-opt", "1G"): (0x4000_0000, None),  # "for full 1G low memory"
    ("3g-opt", "2G"): (0x4800_0000, (0x4800_0000, 0x8000_0000)),
    ("3g-opt", "8G"): (0x4800_0000, (0x4800_0000, 0x1_0000_0000)),  # trimmed to 4 GiB without PAE
    ("2g-opt", "512M"): (0x2000_0000, None),
    ("2g-opt", "2G"): (0x8000_0000, None),  # "for full 2G low memory"
    ("2g-opt", "8G"): (0x8000_0000, (0x8000_0000, 0x1_0000_0000)),
}
OPT_RAM_IDS = [pytest.param(s, r, id=f"{s}-ram{r}") for s, r in OPT_RAM_CASES]


@pytest.mark.parametrize(("split", "ram"), OPT_RAM_IDS)
def test_opt_ram_moves_lowmem_end(split, ram):
    size, _ = OPT_RAM_CASES[split, ram]
    check_lowmem_end(layout(split, ram=ram), OPT_PAGE_OFFSET[split], size)


@pytest.mark.parametrize(("split", "ram"), OPT_RAM_IDS)
def test_opt_physical_ranges(split, ram):
    size, highmem = OPT_RAM_CASES[split, ram]
    lay = layout(split, ram=ram)
    assert lay.physical_bits == 32
    phys = {p.name: p for p in lay.physical}
    assert (phys["lowmem"].start, phys["lowmem"].end, phys["lowmem"].kind) == (0, size, "direct-map")
    if highmem is None:
        assert list(phys) == ["lowmem"]
    else:
        assert (phys["highmem"].start, phys["highmem"].end, phys["highmem"].kind) == (*highmem, "highmem")


@pytest.mark.parametrize(("split", "most", "high_memory"), [
    pytest.param("3g-opt", 1152 * M, 0xF800_0000, id="3g-opt"),
    pytest.param("2g-opt", 2048 * M, 0xF800_0000, id="2g-opt"),
])
def test_opt_classic_max_lowmem(split, most, high_memory):
    # kernel-facts 4c: MAXMEM = 4 GiB - PAGE_OFFSET - 128 MiB, high_memory at most 0xF8000000
    lay = layout(split, ram="4G")
    assert lay.params["maxmem_model"].value == 0
    assert lay.derived["MAXMEM"].value == most
    assert lay.find("lowmem").size == most
    assert lay.derived["high_memory"].value == high_memory
    assert lay.derived["VMALLOC_START"].value == high_memory + 8 * M


@pytest.mark.parametrize(("split", "model"), list(opt_cases()))
def test_opt_maxmem_value(split, model):
    lay = layout(split, maxmem_model=MODELS[model])
    assert lay.derived["MAXMEM"].value == MAXMEM[split, model]
    assert lay.params["maxmem_model"].choice == model


@pytest.mark.parametrize("split", OPT_SPLITS)
def test_opt_modern_model_gives_16_mib_less(split):
    classic = layout(split, ram="4G").find("lowmem").size
    modern = layout(split, ram="4G", maxmem_model=1).find("lowmem").size
    assert classic - modern == 16 * M + 8 * K


def test_2g_opt_modern_model_leaves_highmem_at_2g():
    lay = layout("2g-opt", maxmem_model=1)  # RAM = 2 GiB
    phys = {p.name: p for p in lay.physical}
    assert (phys["lowmem"].start, phys["lowmem"].end) == (0, 0x7EFF_E000)
    assert (phys["highmem"].start, phys["highmem"].end) == (0x7EFF_E000, 0x8000_0000)
    assert lay.derived["high_memory"].value == 0xF6FF_E000


@pytest.mark.parametrize("split", OPT_SPLITS)
def test_opt_kernel_constants(split):
    d = derived_values(layout(split))
    assert d["PMD_SIZE"] == 4 * M
    assert d["PMD_MASK"] == 0xFFC0_0000
    assert d["PTRS_PER_PTE"] == 1024
    assert d["LAST_PKMAP"] == 1024
    assert d["FIX_BTMAP_END"] == 197
    assert d["FIXADDR_TOT_START"] == 0xFFD3_9000
    assert d["CPU_ENTRY_AREA_BASE"] == 0xFF80_0000
    assert d["LDT_BASE_ADDR"] == 0xFF40_0000
    assert d["PKMAP_BASE"] == 0xFF00_0000
    assert d["VMALLOC_END"] == 0xFEFF_E000
    assert d["MAX_PHYSMEM_BITS"] == 32


@pytest.mark.parametrize(("split", "model"), list(opt_cases()))
def test_opt_kernel_leaves_exact(split, model):
    assert kernel_leaf_spans(layout(split, maxmem_model=MODELS[model])) == kernel_leaves(split, model, pae=False)


@pytest.mark.parametrize(("split", "model", "name", "start", "end", "nxt"), list(edge_cases(OPT_SPLITS, pae=False)))
def test_opt_kernel_region_edges(split, model, name, start, end, nxt):
    check_leaf_edges(layout(split, maxmem_model=MODELS[model]), name, start, end, nxt, top=TOP)


@pytest.mark.parametrize(("split", "model"), list(opt_cases()))
def test_opt_mem_init_bug_on_orderings(split, model):
    check_mem_init_orderings(derived_values(layout(split, maxmem_model=MODELS[model])))


@pytest.mark.parametrize("split", OPT_SPLITS)
def test_opt_user_space_process(split):
    check_user_process(layout(split), OPT_PAGE_OFFSET[split])


@pytest.mark.parametrize("split", OPT_SPLITS)
def test_opt_ids_and_kinds(split):
    lay = layout(split)
    assert lay.id == f"x86_32-vmsplit-{split}"
    assert lay.arch == "x86_32"
    assert lay.address_bits == 32
    assert lay.params["pae"].value == 0
    assert lay.params["pae"].choice == "off"
    for region_id, kind in [("user", "user-space"), ("kernel", "kernel-space"), ("lowmem", "direct-map"),
                            ("vmalloc", "vmalloc"), ("pkmap", "pkmap"), ("ldt", "ldt"),
                            ("cpu_entry_area", "cpu-entry"), ("fixmap", "fixmap"), ("fix_hole", "guard")]:
        assert lay.find(region_id).kind == kind


# --- pae=1 is refused on the _OPT splits -----------------------------------------

@pytest.mark.parametrize("split", OPT_SPLITS)
def test_opt_refuses_pae(split):
    with pytest.raises(LayoutError) as info:
        load(f"x86_32-vmsplit-{split}", {"pae": "1"})
    message = info.value.message
    assert message.startswith(f"{OPT_CONFIG[split]} depends on !X86_PAE (arch/x86/Kconfig)")
    assert "2-level paging" in message
    assert str(info.value) == f"--set pae=1: {message}"


@pytest.mark.parametrize("split", OPT_SPLITS)
def test_opt_accepts_pae_off(split):
    assert layout(split, pae=0).paging.name == "x86-32"


@pytest.mark.parametrize("split", OPT_SPLITS)
def test_cli_refuses_pae_on_opt(split):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    p = subprocess.run([sys.executable, "-m", "vaslayout", "show", f"x86_32-vmsplit-{split}", "--set", "pae=1"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert p.stdout == ""
    assert "Traceback" not in p.stderr
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith(f"vaslayout: --set pae=1: {OPT_CONFIG[split]} depends on !X86_PAE (arch/x86/Kconfig): ")


# === PAE on the 3G, 2G and 1G splits ============================================

@pytest.mark.parametrize("split", PAE_SPLITS)
def test_pae_paging_mode(split):
    lay = pae_layout(split)
    assert lay.paging.name == "x86-32-pae"
    assert lay.params["pae"].choice == "on"
    assert [lv.name for lv in lay.paging.levels] == ["pgd", "pmd", "pte"]
    assert set(translate(lay, PAE_PAGE_OFFSET[split]).indices) == {"pgd", "pmd", "pte", "offset"}


@pytest.mark.parametrize("split", PAE_SPLITS)
def test_pae_off_is_the_default(split):
    lay = layout(split)
    assert lay.params["pae"].value == 0
    assert lay.paging.name == "x86-32"
    assert lay.physical_bits == 32
    assert set(translate(lay, PAE_PAGE_OFFSET[split]).indices) == {"pgd", "pte", "offset"}


PAE_INDICES = [
    # address: (pgd, pmd, pte, offset); 2/9/9/12
    (0xC000_0000, (3, 0, 0, 0)),
    (0xC020_1ABC, (3, 1, 1, 0xABC)),
    (0xBFFF_FFFF, (2, 511, 511, 0xFFF)),
    (0x8000_0000, (2, 0, 0, 0)),
    (0x4000_0000, (1, 0, 0, 0)),
    (0x0804_8000, (0, 64, 72, 0)),
    (0xFF60_0000, (3, 507, 0, 0)),
    (0xFFFF_FFFF, (3, 511, 511, 0xFFF)),
]


@pytest.mark.parametrize("split", PAE_SPLITS)
@pytest.mark.parametrize(("addr", "want"), [pytest.param(a, w, id=f"{a:#010x}") for a, w in PAE_INDICES])
def test_pae_indices(split, addr, want):
    got = translate(pae_layout(split), addr).indices
    assert got == dict(zip(("pgd", "pmd", "pte", "offset"), want, strict=True))


@pytest.mark.parametrize(("split", "pgd"), [("3g", 3), ("2g", 2), ("1g", 1)])
def test_pae_kernel_space_starts_at_pgd_slot(split, pgd):
    lay = pae_layout(split)
    assert lay.derived["PGDIR_SHIFT"].value == 30
    assert lay.derived["PGD_KERNEL_START"].value == pgd
    assert translate(lay, PAE_PAGE_OFFSET[split]).indices == {"pgd": pgd, "pmd": 0, "pte": 0, "offset": 0}
    assert translate(lay, PAE_PAGE_OFFSET[split] - 1).indices["pgd"] == pgd - 1


@pytest.mark.parametrize("split", PAE_SPLITS)
def test_pae_pkmap_is_512_pages(split):
    lay = pae_layout(split)
    pkmap = lay.find("pkmap")
    assert (pkmap.start, pkmap.end) == (0xFF60_0000, 0xFF80_0000)
    assert pkmap.size == 2 * M == 512 * 4 * K
    assert lay.derived["LAST_PKMAP"].value == 512
    ldt = lay.find("ldt")
    assert (ldt.start, ldt.end) == (0xFF80_0000, 0xFFA0_0000)


@pytest.mark.parametrize("split", PAE_SPLITS)
def test_pae_kernel_constants(split):
    d = derived_values(pae_layout(split))
    assert d["PMD_SIZE"] == 2 * M
    assert d["PMD_MASK"] == 0xFFE0_0000
    assert d["PTRS_PER_PTE"] == 512
    assert d["LAST_PKMAP"] == 512
    assert d["FIXADDR_START"] == 0xFFF3_A000
    assert d["FIX_BTMAP_END"] == 512
    assert d["FIX_BTMAP_BEGIN"] == 1023
    assert d["end_of_fixed_addresses"] == 1025
    assert d["FIXADDR_TOT_START"] == 0xFFBF_E000
    assert d["CPU_ENTRY_AREA_PAGES"] == 344
    assert d["CPU_ENTRY_AREA_BASE"] == 0xFFA0_0000
    assert d["CPU_ENTRY_AREA_MAP_SIZE"] == 0x15_9000
    assert d["LDT_BASE_ADDR"] == 0xFF80_0000
    assert d["LDT_END_ADDR"] == 0xFFA0_0000
    assert d["PKMAP_BASE"] == 0xFF60_0000
    assert d["VMALLOC_END"] == 0xFF5F_E000
    assert d["MAX_ARCH_PFN"] == 1 << 24
    assert d["MAX_PHYSMEM_BITS"] == 36


def test_pae_with_32_cpus():
    # 69 + 16 * 32 = 581 permanent slots; 581 ^ 1092 crosses a table, so FIX_BTMAP_END = 1024
    d = derived_values(pae_layout("3g", nr_cpus=32, maxmem_model=1))
    assert d["FIX_BTMAP_END"] == 1024
    assert d["FIXADDR_TOT_START"] == 0xFF9F_E000
    assert d["CPU_ENTRY_AREA_BASE"] == 0xFF40_0000
    assert d["LDT_BASE_ADDR"] == 0xFF20_0000
    assert d["PKMAP_BASE"] == 0xFF00_0000
    assert d["VMALLOC_END"] == 0xFEFF_E000
    assert d["MAXMEM"] == 0x36FF_E000


@pytest.mark.parametrize(("split", "model"), list(pae_cases()))
def test_pae_maxmem_value(split, model):
    lay = pae_layout(split, maxmem_model=MODELS[model])
    assert lay.derived["MAXMEM"].value == MAXMEM[split, model]


@pytest.mark.parametrize(("split", "model"), list(pae_cases()))
def test_pae_kernel_leaves_exact(split, model):
    assert kernel_leaf_spans(pae_layout(split, maxmem_model=MODELS[model])) == kernel_leaves(split, model, pae=True)


@pytest.mark.parametrize(("split", "model", "name", "start", "end", "nxt"), list(edge_cases(PAE_SPLITS, pae=True)))
def test_pae_kernel_region_edges(split, model, name, start, end, nxt):
    check_leaf_edges(pae_layout(split, maxmem_model=MODELS[model]), name, start, end, nxt, top=TOP)


@pytest.mark.parametrize(("split", "model"), list(pae_cases()))
def test_pae_mem_init_bug_on_orderings(split, model):
    check_mem_init_orderings(derived_values(pae_layout(split, maxmem_model=MODELS[model])))


# --- physical memory with PAE --------------------------------------------------------

PAE_RAM_CASES = {
    # (split, ram): (lowmem size, highmem range or None); classic MAXMEM
    ("3g", "512M"): (0x2000_0000, None),
    ("3g", "2G"): (0x3800_0000, (0x3800_0000, 0x8000_0000)),
    ("3g", "8G"): (0x3800_0000, (0x3800_0000, 0x2_0000_0000)),  # not cut at 4 GiB
    ("3g", "128G"): (0x3800_0000, (0x3800_0000, 0x10_0000_0000)),  # cut at 64 GiB
    ("2g", "8G"): (0x7800_0000, (0x7800_0000, 0x2_0000_0000)),
    ("1g", "2G"): (0x8000_0000, None),
    ("1g", "8G"): (0xB800_0000, (0xB800_0000, 0x2_0000_0000)),
}
PAE_RAM_IDS = [pytest.param(s, r, id=f"{s}-pae-ram{r}") for s, r in PAE_RAM_CASES]


@pytest.mark.parametrize(("split", "ram"), PAE_RAM_IDS)
def test_pae_physical_ranges(split, ram):
    size, highmem = PAE_RAM_CASES[split, ram]
    lay = pae_layout(split, ram=ram)
    assert lay.physical_bits == 36
    phys = {p.name: p for p in lay.physical}
    assert (phys["lowmem"].start, phys["lowmem"].end) == (0, size)
    if highmem is None:
        assert list(phys) == ["lowmem"]
    else:
        assert (phys["highmem"].start, phys["highmem"].end, phys["highmem"].kind) == (*highmem, "highmem")
    po = PAE_PAGE_OFFSET[split]
    assert lay.derived["high_memory"].value == po + size
    assert in_region(translate(lay, po + size - 1), "lowmem")
    assert translate(lay, po + size).region.name == "VMALLOC_OFFSET gap"


@pytest.mark.parametrize("split", PAE_SPLITS)
def test_pae_8g_versus_no_pae(split):
    assert layout(split, ram="8G").derived["max_pfn"].value == 1 << 20  # 4 GiB
    assert pae_layout(split, ram="8G").derived["max_pfn"].value == 1 << 21  # 8 GiB


@pytest.mark.parametrize("split", PAE_SPLITS)
@pytest.mark.parametrize("phys", [0, 0x1000, 0x2000_0000 - 1], ids=["0", "0x1000", "512M-1"])
def test_pae_lowmem_phys_lookup(split, phys):
    lay = pae_layout(split, ram="8G")
    got = phys_lookup(lay, phys)
    assert got.range.name == "lowmem"
    assert [a.address for a in got.aliases] == [PAE_PAGE_OFFSET[split] + phys]
    assert "lowmem" in {r.id for r in got.aliases[0].path}


HIGHMEM_START = {"3g": 0x3800_0000, "2g": 0x7800_0000, "1g": 0xB800_0000}


@pytest.mark.parametrize("split", PAE_SPLITS)
@pytest.mark.parametrize("where", ["first", "4G", "last"])
def test_pae_highmem_phys_lookup(split, where):
    lay = pae_layout(split, ram="8G")
    phys = {"first": HIGHMEM_START[split], "4G": 0x1_0000_0000, "last": 0x1_FFFF_FFFF}[where]
    got = phys_lookup(lay, phys)
    assert got.range.name == "highmem"
    assert (got.range.start, got.range.end) == (HIGHMEM_START[split], 0x2_0000_0000)
    assert got.aliases == ()
    assert "no permanent kernel mapping" in got.explanation
    assert "kmap() maps the page for a while into a slot of the pkmap window [0xff600000-0xff7fffff]" in got.explanation


@pytest.mark.parametrize("split", PAE_SPLITS)
def test_pae_phys_lookup_beyond_ram_and_beyond_36_bits(split):
    lay = pae_layout(split, ram="8G")
    beyond = phys_lookup(lay, 0x2_0000_0000)
    assert beyond.range is None
    assert "beyond the assumed RAM, which ends at 0x200000000" in beyond.explanation
    assert phys_lookup(lay, (1 << 36) - 1).range is None
    with pytest.raises(ValueError, match="wider than 36-bit physical addresses"):
        phys_lookup(lay, 1 << 36)
    with pytest.raises(ValueError, match="wider than 32-bit physical addresses"):
        phys_lookup(layout(split, ram="8G"), 1 << 32)
