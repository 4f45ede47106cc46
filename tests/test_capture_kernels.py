"""Every committed real-kernel capture against the layout vaslayout resolves for it.

The captures (tests/data/captures/, one folder per boot of a Debian kernel in
QEMU, made by scripts/real-kernels/harness.py) are the oracle: the kernel's own
kcore segments, vmalloc areas, symbols, process maps, zones and RAM ranges.
A check a layout still gets wrong is marked xfail(strict=True) with the layout
value to fix, so it turns into a failure the day the layout is right.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from layout_vs_kernel import CHECKS

from vaslayout.core.translate import translate
from vaslayout.proc.captured import CaptureSource

CAPTURES = Path(__file__).parent / "data" / "captures"
NAMES = sorted(p.name for p in CAPTURES.iterdir() if (p / "capture.json").is_file())

# (capture, check) -> the layout value that is wrong; check "*" is every check of that capture.
# Fixed and so gone from here: x86-64 KERNEL_IMAGE_SIZE and the kaslr.c bases, i386 PAE's modern
# MAXMEM, arm64 6.1's 128 MiB module area, arm64 4K/52-bit (LPA2), riscv64's MODULES_VADDR, the
# zones of arm64, arm and riscv64, the kernel image in lowmem (i386, armhf) and arm64's image in
# vmalloc with the linear map at memstart_addr.
XFAIL: dict[tuple[str, str], str] = {}


@cache
def source(name: str) -> CaptureSource:
    return CaptureSource(str(CAPTURES / name))


def cases():
    for name in NAMES:
        for check in CHECKS:
            reason = XFAIL.get((name, check)) or XFAIL.get((name, "*"))
            marks = [pytest.mark.xfail(strict=True, reason=f"layout fix: {reason}")] if reason else []
            yield pytest.param(name, check, marks=marks, id=f"{name}:{check}")


@pytest.mark.parametrize(("name", "check"), list(cases()))
def test_the_layout_agrees_with_the_kernel(name: str, check: str) -> None:
    captured = source(name)
    problems = CHECKS[check](captured, captured.kernel_layout())
    assert problems == []


def test_the_set_covers_the_kernels_the_issue_names() -> None:
    """At least twelve kernels: x86-64 4/5-level with and without KASLR in two versions, i386, arm64, armhf, riscv."""
    assert len(NAMES) >= 12
    for prefix in ("x86_64-6.1-", "x86_64-6.12-", "i386-", "arm64-6.1-", "arm64-6.12-", "armhf-", "riscv64-"):
        assert any(n.startswith(prefix) for n in NAMES), prefix
    assert {n for n in NAMES if "kaslr" in n} >= {"x86_64-6.12-4level-kaslr", "x86_64-6.12-4level-nokaslr"}


@pytest.mark.parametrize("name", NAMES)
def test_each_capture_says_where_it_came_from(name: str) -> None:
    manifest = source(name).manifest
    assert manifest["format"] == "vaslayout-capture 1"
    assert manifest["origin"]["kernel_package"].startswith("linux-image-")
    assert "qemu-system-" in manifest["origin"]["qemu"]
    assert source(name).info.real.segments or "proc/kcore" in manifest["unreadable"], "kcore or why not"


# --------------------------------------------------------------------------- riscv64: the kernel's own numbers

RISCV = [n for n in NAMES if n.startswith("riscv64-")]
# struct kernel_mapping since 6.6 (arch/riscv/include/asm/page.h), word by word as kcore-vars.json holds it
KERNEL_MAP_FIELDS = ("page_offset", "virt_addr", "virt_offset", "phys_addr", "size", "va_pa_offset",
                     "va_kernel_pa_offset")
SATP_MODE_VA_BITS = {8: 39, 9: 48, 10: 57}  # satp.MODE (bits 63..60): Sv39, Sv48, Sv57 (RISC-V privileged spec)
TOP = 1 << 64


def _innermost(layout, addr: int) -> str:
    return layout.path_at(addr)[-1].kind


def _riscv(name: str):
    """A riscv64 capture's layout, its kcore variables, kernel_map by field and kcore segments by kind."""
    captured = source(name)
    variables = captured.info.real.variables or {}
    km = dict(zip(KERNEL_MAP_FIELDS, variables["kernel_map"], strict=False))
    return captured.kernel_layout(), variables, km, {s.kind: s for s in captured.info.real.segments}


def test_the_riscv_set_has_every_paging_mode() -> None:
    assert {n.rsplit("-", 1)[1] for n in RISCV} == {"sv39", "sv48", "sv57"}


@pytest.mark.parametrize("name", RISCV)
def test_riscv_kernel_map_is_the_layouts(name: str) -> None:
    """The kernel's struct kernel_mapping, satp_mode and high_memory, read through kcore, are the layout's numbers."""
    layout, variables, km, segments = _riscv(name)
    derived = {k: d.value for k, d in layout.derived.items()}
    params = layout.param_values()
    text = segments["text"]
    assert SATP_MODE_VA_BITS[variables["satp_mode"][0] >> 60] == derived["VA_BITS"] == int(name[-2:])
    assert km["page_offset"] == derived["PAGE_OFFSET"]
    assert km["virt_addr"] - km["virt_offset"] == derived["KERNEL_LINK_ADDR"]
    assert km["phys_addr"] == params["kernel_phys"] == text.paddr - (text.vaddr - km["virt_addr"])
    assert (km["virt_addr"] + km["size"] + 0xFFF) & ~0xFFF == params["kernel_end"]  # PFN_ALIGN(&_end)
    assert km["va_pa_offset"] == (derived["PAGE_OFFSET"] - params["phys_ram_base"]) % TOP
    assert km["va_kernel_pa_offset"] == (km["virt_addr"] - km["phys_addr"]) % TOP
    assert variables["min_low_pfn"][0] << 12 == params["phys_ram_base"]
    assert variables["high_memory"][0] == derived["PAGE_OFFSET"] + (variables["max_low_pfn"][0] << 12) \
        - params["phys_ram_base"]


@pytest.mark.parametrize("name", RISCV)
def test_riscv_row_edges_are_where_the_kernel_puts_them(name: str) -> None:
    """Either side of each edge the kernel reports: vmalloc | direct map, hole | modules | kernel, RAM's last byte."""
    layout, variables, km, segments = _riscv(name)
    vmemmap, vmalloc, modules = segments["vmemmap"], segments["vmalloc"], segments["modules"]
    assert (_innermost(layout, vmemmap.vaddr - 1), _innermost(layout, vmemmap.vaddr)) == ("ioremap", "vmemmap")
    assert _innermost(layout, vmalloc.vaddr - 1) == "vmemmap"
    assert {r.kind for r in layout.path_at(vmalloc.vaddr)} >= {"vmalloc"}
    assert (_innermost(layout, km["page_offset"] - 1), _innermost(layout, km["page_offset"])) \
        == ("vmalloc", "direct-map")
    assert (_innermost(layout, modules.vaddr - 1), _innermost(layout, modules.vaddr)) == ("hole", "modules")
    assert (_innermost(layout, km["virt_addr"] - 1), _innermost(layout, km["virt_addr"])) \
        == ("modules", "kernel-text")
    last_ram = variables["high_memory"][0] - 1
    assert _innermost(layout, last_ram) == "direct-map"
    assert translate(layout, last_ram).phys == (variables["max_low_pfn"][0] << 12) - 1
    assert translate(layout, km["virt_addr"]).phys == km["phys_addr"]
