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

from vaslayout.proc.captured import CaptureSource

CAPTURES = Path(__file__).parent / "data" / "captures"
NAMES = sorted(p.name for p in CAPTURES.iterdir() if (p / "capture.json").is_file())

IMAGE_IN_LOWMEM = ("a kernel image region (kernel-text) in lowmem at PAGE_OFFSET + the load address, which "
                   "CONFIG_RANDOMIZE_BASE moves")
ARM64_IMAGE = ("arm64: the kernel image (KIMAGE_VADDR + kaslr offset) as a kernel-text region inside vmalloc; "
               "the linear map at PHYS_OFFSET = memstart_addr, which KASLR moves below RAM")
ARM64_ZONES = "arm64 layouts declare no zones (ZONE_DMA up to 4 GiB of RAM, ZONE_NORMAL above)"
# (capture, check) -> the layout value that is wrong; check "*" is every check of that capture.
# Fixed and so gone from here: x86-64 KERNEL_IMAGE_SIZE and the kaslr.c bases, i386 PAE's modern
# MAXMEM, arm64 6.1's 128 MiB module area, arm64 4K/52-bit (LPA2), riscv64's MODULES_VADDR.
XFAIL: dict[tuple[str, str], str] = {
    **{(f"i386-6.1-pae-{ram}", "text_symbol"): IMAGE_IN_LOWMEM for ram in ("2g", "4g")},
    **{(name, check): reason for name in ("arm64-6.1-48bit", "arm64-6.1-max", "arm64-6.12-48bit", "arm64-6.12-52bit")
       for check, reason in (("kcore_segments", ARM64_IMAGE), ("text_symbol", ARM64_IMAGE), ("zones", ARM64_ZONES))},
    ("armhf-6.1-lpae", "text_symbol"): IMAGE_IN_LOWMEM,
    ("armhf-6.1-lpae", "zones"): "arm layouts declare no zones (ZONE_DMA to the end of lowmem, ZONE_HIGHMEM above)",
    **{(f"riscv64-6.12-{mode}", "zones"): "riscv64 layouts declare no zones (ZONE_DMA32 below 4 GiB, ZONE_NORMAL above)"
       for mode in ("sv39", "sv48", "sv57")},
}


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
