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
