"""Answers that keep the rule, the assumption and the kernel's own words apart.

Each test is built on a line a real kernel printed; the source of the line
is named next to it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from vaslayout.catalog import load
from vaslayout.core.translate import phys_lookup, translate

# syz-451 (google/syzkaller pkg/report/testdata/linux/report/451 @ 1e72964b):
#   RSP: 0018:ffff8880a689fd20 EFLAGS: 00010207
#   R08: fffffbfff082dbf9 ... R11: ffffffff8416dfc7
#   general protection fault for non-canonical address 0xe017577ddf75b7dd: 0000 [#1] PREEMPT SMP KASAN PTI
#   KASAN: maybe wild-memory-access in range [0x00badbeefbadbee8-0x00badbeefbadbeef]
# syz-510 (.../report/510): FS:  0000000000000000(0000) GS:ffff8880ae600000(0000) knlGS:0000000000000000
RSP_451 = 0xFFFF_8880_A689_FD20
GS_510 = 0xFFFF_8880_AE60_0000
SHADOW_451 = 0xFFFF_FBFF_F082_DBF9


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vaslayout", *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}, check=False)


# -- 1. the rule's phys, and the RAM assumption as a separate fact ------------------------


@pytest.mark.parametrize("addr", [RSP_451, GS_510])
def test_direct_map_beyond_assumed_ram_keeps_the_rules_phys(addr: int) -> None:
    t = translate(load("x86_64-4level"), addr)
    assert t.phys == addr - 0xFFFF_8880_0000_0000 and t.phys_source == "rule"
    assert t.ram_covered is False
    assert t.assumption is not None and (t.assumption.text, t.assumption.is_default) == ("ram=2G", True)
    assert "nothing is mapped" not in t.explanation
    for how in ("--set ram=", "--capture", "--pid"):
        assert how in t.explanation


def test_the_assumption_goes_once_ram_covers_it() -> None:
    t = translate(load("x86_64-4level", {"ram": "4G"}), GS_510)
    assert (t.phys, t.ram_covered) == (0xAE60_0000, True)
    assert "assumes" not in t.explanation


def test_lookup_text_and_json_show_phys_and_the_assumption() -> None:
    p = run("lookup", "x86_64-4level", hex(RSP_451), "--json")
    assert p.returncode == 0, p.stderr
    (d,) = json.loads(p.stdout)
    assert (d["phys"], d["phys_source"], d["ram_covered"]) == (0xA689_FD20, "rule", False)
    assert d["assumption"]["text"] == "ram=2G" and "--capture DIR" in d["assumption"]["change"]
    text = run("lookup", "x86_64-4level", hex(RSP_451)).stdout
    assert re.search(r"phys\s+0x00000000a689fd20", text)
    assert "ram=2G" in text


@pytest.mark.parametrize(("phys", "zone"), [(0x1_0000_0000, "ZONE_NORMAL"), (0x8000_0000, "ZONE_DMA32"),
                                            (0xA689_FD20, "ZONE_DMA32"), (0xFF_FFFF, "ZONE_DMA")])
def test_phys_names_the_zone_by_the_kernels_limits(phys: int, zone: str) -> None:
    """arch/x86/include/asm/dma.h: MAX_DMA_PFN 16 MiB, MAX_DMA32_PFN 4 GiB; 0xa689fd20 is syz-451's RSP."""
    p = phys_lookup(load("x86_64-4level"), phys)
    assert p.zone is not None and p.zone.name == zone
    assert zone in p.explanation


def test_phys_beyond_ram_names_the_assumption_and_the_rules_alias() -> None:
    p = phys_lookup(load("x86_64-4level"), 0xA689_FD20)
    assert p.ram_covered is False and p.assumption is not None and p.assumption.text == "ram=2G"
    assert [a.address for a in p.rule_aliases] == [RSP_451] and p.aliases == ()
    covered = phys_lookup(load("x86_64-4level", {"ram": "4G"}), 0xA689_FD20)
    assert covered.ram_covered is True and [a.address for a in covered.aliases] == [RSP_451]


# -- 2. a live process: the pagemap's page is the phys ----------------------------------


@pytest.fixture
def sleeper():
    """A process of our own to look at, ended when the test is done."""
    child = subprocess.Popen(["sleep", "60"])
    try:
        yield child.pid
    finally:
        child.kill()
        child.wait()


def _stack_top(pid: int) -> int:
    with open(f"/proc/{pid}/maps") as f:
        line = next(x for x in f if x.rstrip().endswith("[stack]"))
    return int(line.split("-")[1].split()[0], 16) - 8  # the top of the stack: argv and envp, always present


@pytest.mark.skipif(os.geteuid() != 0, reason="the kernel shows page frames only to CAP_SYS_ADMIN")
def test_live_lookup_gives_the_pagemap_phys_as_phys(sleeper: int) -> None:
    """A real process's /proc/PID/pagemap: the stack's top page is present, and its frame is the phys."""
    from vaslayout import proc

    addr = _stack_top(sleeper)
    (page,) = proc.read_pagemap(sleeper, [addr])
    assert page.phys is not None
    p = run("lookup", "--pid", str(sleeper), hex(addr), "--json")
    assert p.returncode == 0, p.stderr
    (d,) = json.loads(p.stdout)
    assert (d["phys"], d["phys_source"]) == (page.phys, "pagemap")
    assert d["page"]["phys"] == page.phys
    text = run("lookup", "--pid", str(sleeper), hex(addr)).stdout
    (phys_line,) = [line for line in text.splitlines() if line.startswith("phys")]
    assert f"{page.phys:#018x}" in phys_line and "pagemap" in phys_line
    assert "phys -" not in text


# -- 3. KASAN: what a shadow byte covers, and no line the kernel does not print --------------


def test_canonical_shadow_byte_says_what_it_covers_and_claims_no_line() -> None:
    """syz-451's R08 fffffbfff082dbf9 is the shadow of R11 ffffffff8416dfc7's granule."""
    t = translate(load("x86_64-4level"), SHADOW_451)
    assert t.kasan is not None and (t.kasan.start, t.kasan.last) == (0xFFFF_FFFF_8416_DFC8, 0xFFFF_FFFF_8416_DFCF)
    assert t.kasan.printed is False and t.kasan.line is None
    assert "the 8 bytes [0xffffffff8416dfc8-0xffffffff8416dfcf]" in t.explanation
    assert "KASAN:" not in t.explanation and "#GP on a non-canonical address" in t.explanation


def test_gp_on_a_non_canonical_address_prints_the_kernels_line() -> None:
    t = translate(load("x86_64-4level"), 0xE017_577D_DF75_B7DD)
    assert t.kasan is not None
    assert t.kasan.line == "KASAN: maybe wild-memory-access in range [0x00badbeefbadbee8-0x00badbeefbadbeef]"


# -- 4. a 32-bit task: TASK_SIZE of the current task -------------------------------------

# syzbot "general protection fault in is_page_fault_stale" (extid 23786faffb695f17edaa,
# 6.10.0-syzkaller-11185-g2c9b3512402e, "userspace arch: i386"), as quoted on
# kvm@vger.kernel.org, 2024-07-22, Message-ID <Zp6D-7aABU1Q1fIG@google.com>:
#   Oops: general protection fault, probably for non-canonical address 0xe000013ffffffffd: 0000 [#1]
#     PREEMPT SMP KASAN PTI
#   KASAN: maybe wild-memory-access in range [0x000029ffffffffe8-0x000029ffffffffef]
I386_GP = 0xE000_013F_FFFF_FFFD
I386_LINE = "KASAN: maybe wild-memory-access in range [0x000029ffffffffe8-0x000029ffffffffef]"


def test_a_32_bit_task_gets_the_kernels_wild_memory_access() -> None:
    t = translate(load("x86_64-4level", {"compat_task": "1"}), I386_GP)
    assert t.kasan is not None and t.kasan.line == I386_LINE


def test_a_64_bit_task_would_have_been_a_user_memory_access() -> None:
    t = translate(load("x86_64-4level"), I386_GP)
    assert t.kasan is not None and t.kasan.bug == "probably user-memory-access"


def test_compat_task_from_the_command_line() -> None:
    p = run("lookup", "x86_64-4level", "--set", "compat_task=1", hex(I386_GP))
    assert p.returncode == 0, p.stderr
    assert I386_LINE in " ".join(p.stdout.split())


# -- 5. arm64 KASAN: any fault at or above the offset, modes, offsets, 39-bit VA ------------

# "ipmr: do not call mr_mfc_uses_dev() for unres entries" (Eric Dumazet, netdev, 2025-01-21,
# Message-ID <20250121181241.841212-1-edumazet@google.com>; upstream 15a901361ec3), 6.13.0-rc7 arm64:
#   Unable to handle kernel paging request at virtual address ffff5fff2d536613
#   KASAN: maybe wild-memory-access in range [0xfffefff96a9b3098-0xfffefff96a9b309f]
ARM64_CANONICAL = 0xFFFF_5FFF_2D53_6613
ARM64_CANONICAL_LINE = "KASAN: maybe wild-memory-access in range [0xfffefff96a9b3098-0xfffefff96a9b309f]"


def test_arm64_decodes_a_canonical_fault_too() -> None:
    t = translate(load("arm64-4k-48bit"), ARM64_CANONICAL)
    assert t.canonical and t.half == "kernel"
    assert t.kasan is not None and t.kasan.line == ARM64_CANONICAL_LINE
    assert ARM64_CANONICAL_LINE in t.explanation


def test_arm64_5_4_to_5_10_shadow_offset() -> None:
    """syz-536 (.../report/536): 'virtual address dfffa00000000003', x21 = KASAN_SHADOW_OFFSET dfffa00000000000."""
    t = translate(load("arm64-4k-48bit", {"kasan_shadow_offset": "0xdfffa00000000000"}), 0xDFFF_A000_0000_0003)
    assert t.kasan is not None
    assert (t.kasan.start, t.kasan.last, t.kasan.kind) == (0x18, 0x1F, "null-ptr-deref")


# "[PATCH wireless v2 2/2] wifi: mac80211: Purge vif txq in ieee80211_do_stop()" (Remi Pommarel,
# linux-wireless, 2025-03-24, Message-Id <ff7849e268562456274213c0476e09481a48f489.1742833382.git.repk@triplefau.lt>),
# a 39-bit VA arm64 kernel (sp : ffffffc086ace450, x16: dfffffc000000000):
#   Unable to handle kernel paging request at virtual address dfffffc000000001
#   KASAN: null-ptr-deref in range [0x0000000000000008-0x000000000000000f]
def test_arm64_39_bit_kernel() -> None:
    layout = load("arm64-4k-48bit", {"kasan_shadow_offset": "0xdfffffc000000000"})
    t = translate(layout, 0xDFFF_FFC0_0000_0001)
    assert t.kasan is not None
    assert t.kasan.line == "KASAN: null-ptr-deref in range [0x0000000000000008-0x000000000000000f]"


# syz-734 (.../report/734), SW_TAGS KASAN:
#   Unable to handle kernel paging request at virtual address efff800000000137
#   KASAN: probably user-memory-access in range [0x0000000000001370-0x000000000000137f]
def test_arm64_software_tags() -> None:
    t = translate(load("arm64-4k-48bit", {"kasan_mode": "1"}), 0xEFFF_8000_0000_0137)
    assert t.canonical and t.half == "kernel" and t.tag == 0xEF  # TBI: the top byte is a tag
    assert t.kasan is not None and t.kasan.granule == 16
    assert t.kasan.line == "KASAN: probably user-memory-access in range [0x0000000000001370-0x000000000000137f]"


def test_arm64_generic_mode_keeps_the_strict_canonical_rule() -> None:
    """syz-655 (.../report/655): x11: ff808000081c1630, a tagged/encoded value, non-canonical."""
    t = translate(load("arm64-4k-48bit"), 0xFF80_8000_081C_1630)
    assert not t.canonical and t.tag is None


def test_arm64_hardware_tags_have_no_shadow_decode() -> None:
    layout = load("arm64-4k-48bit", {"kasan_mode": "2"})
    t = translate(layout, ARM64_CANONICAL)
    assert t.kasan is None
    t = translate(layout, 0xFFFF_0000_C571_8000)  # syz-680's x28, a linear-map pointer
    assert t.canonical and t.half == "kernel"


# -- 7. numbers in messages fit the layout's width ---------------------------------------

HEX = re.compile(r"0x[0-9a-fA-F]+")


@pytest.mark.parametrize("sets", [
    "page_offset_base=0xffffffffff600000",  # the vsyscall page (syz-0's RIP neighbourhood): a 64 TiB map runs past 2^64
    "kasan_shadow_offset=0xffffed1017344f14",  # syz-657's R09, a shadow address, as an offset
    "ram=16E",
])
def test_error_messages_print_no_number_wider_than_the_layout(sets: str) -> None:
    p = run("lookup", "x86_64-4level", "--set", sets, "0")
    assert p.returncode == 2, p.stdout
    assert "Traceback" not in p.stderr
    for number in HEX.findall(p.stderr):
        assert int(number, 16) < 1 << 64, p.stderr
