"""Reading logs as people paste them, and the kernel's KASAN rule, value names and links."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from vaslayout.report import ReportError, explain_text, layout_loader, looks_binary
from vaslayout.report.kasan import kernel_line, offset_from_line
from vaslayout.report.parse import MAX_LINE, split, strip_prefix
from vaslayout.report.values import known_value, one_bit_flip

GPF = """\
[ 1703.516227][ T2809] general protection fault, probably for non-canonical address 0xdffffc0000000002: 0000 [#1] KASAN
[ 1703.528051][ T2809] KASAN: null-ptr-deref in range [0x0000000000000010-0x0000000000000017]
[ 1703.536428][ T2809] CPU: 0 PID: 2809 Comm: kworker/u4:2 Not tainted 5.8.0-rc3-next-20200703-syzkaller #0
[ 1703.585480][ T2809] RSP: 0018:ffffc90017aff6c8 EFLAGS: 00010202
[ 1703.591513][ T2809] RAX: 0000000000000002 RBX: 0000000000000001 RCX: 1ffff11000022949
[ 1703.599456][ T2809] RDX: dffffc0000000000 RSI: ffff888000114e08 RDI: ffff888000114a48
[ 1703.631224][ T2809] FS:  0000000000000000(0000) GS:ffff8880ae600000(0000) knlGS:0000000000000000
[ 1703.646673][ T2809] CR2: 0000000000caa008 CR3: 00000000a7aa1000 CR4: 00000000001506f0
"""
PLAIN = [re.sub(r"^\[[^\]]*\]\[[^\]]*\] ", "", line) for line in GPF.splitlines()]


def _fault(text: str):
    ex = explain_text(text, layout_loader())
    return ex, next(a for a in ex.reports[0].addresses if a.role == "fault")


def test_prefixes_of_real_logs_are_stripped():
    for prefix in ("> ", "> > ", "Dec  2 04:05:57 myhost kernel: ", "Dec 02 04:05:57 myhost kernel: ",
                   "2026-12-02T04:05:57.123456+00:00 myhost kernel: ", "[Wed Dec  2 04:05:57 2026] ",
                   "<4>[ 1703.5] ", "kernel: "):
        ex, fault = _fault("\n".join(prefix + line for line in PLAIN))
        assert fault.address == 0xdffffc0000000002, prefix
        assert fault.kasan is not None and fault.kasan.matches is True, prefix
        assert ex.reports[0].evidence.layout_id == "x86_64-4level"


def test_windows_line_ends_and_mail_quoting_of_a_dmesg_log():
    _, fault = _fault("\r\n".join("> " + line for line in GPF.splitlines()))
    assert fault.kasan is not None and fault.kasan.matches is True


def test_strip_prefix_finds_the_caller_id():
    at, thread = strip_prefix("[ 1703.516227][ T2809] general protection fault")
    assert thread == "T2809"
    assert "[ 1703.516227][ T2809] general protection fault"[at:] == "general protection fault"


def test_other_threads_lines_are_left_out():
    lines = GPF.splitlines()
    lines.insert(3, "[ 1703.590000][ T4436] RAX: ffff888011111111 RBX: ffff888022222222 RCX: ffff888033333333")
    ex, _ = _fault("\n".join(lines))
    values = {a.address for a in ex.reports[0].addresses}
    assert 0xffff888011111111 not in values and 0xffff888000114e08 in values


def test_registers_alone_are_a_report_too():
    ex = explain_text("\n".join(PLAIN[3:]), layout_loader())
    assert {a.role for a in ex.reports[0].addresses} >= {"rsp", "reg GS", "cr2"}


def test_unusable_input_is_one_reason():
    for text, reason in (("", "empty"), ("\x00\x01\x02\x03" * 100, "binary"), ("hello\nworld\n", "no crash report"),
                         ("BUG: unable to handle page fault for address: (null)\n", "no addresses")):
        try:
            explain_text(text, layout_loader(), name="x")
        except ReportError as exc:
            assert reason in str(exc) and "\n" not in str(exc)
        else:
            raise AssertionError(f"{text!r} was explained")


def test_a_long_line_is_read_only_in_part_and_said_so():
    text = GPF.replace("CPU: 0", "CPU: 0 " + "x" * 1_000_000)
    ex, fault = _fault(text)
    assert ex.split.lines_cut == 1 and fault.kasan is not None


def test_many_oopses_are_counted_beyond_the_limit():
    ex = explain_text(GPF * 60, layout_loader())
    assert len(ex.reports) == 50 and ex.split.reports_skipped == 10


def test_binary_is_recognised():
    assert looks_binary("\x00" * 100) and not looks_binary(GPF)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(GPF.splitlines() + PLAIN + ["", "> ", "\x00", "RIP: 0010:", "pc : ", "x" * 5000,
                                                         "Oops: 0000 [#1]", "[ 1.0][ T1] BUG: KASAN: x"]),
                max_size=40), st.text(max_size=200))
def test_any_mix_of_lines_explains_or_refuses_in_one_line(lines, junk):
    text = "\n".join(lines) + junk
    try:
        ex = explain_text(text, layout_loader())
    except ReportError as exc:
        assert "\n" not in str(exc)
        return
    for rep in ex.reports:
        assert all(line.number >= 1 and len(line.raw) <= MAX_LINE for line in rep.lines)
        rep.to_json(0)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_split_never_fails(text):
    sp = split(text)
    assert sp.lines_total >= 0 and len(sp.chunks) <= 50


def test_kernel_kasan_rule():
    # mm/kasan/report.c: orig = (addr - offset) << 3; < PAGE_SIZE null, < TASK_SIZE user, else wild
    off, task = 0xdffffc0000000000, 0x00007ffffffff000
    assert kernel_line(0xdffffc0000000002, off, 3, page_size=4096, task_size=task).text == \
        "KASAN: null-ptr-deref in range [0x0000000000000010-0x0000000000000017]"
    assert kernel_line(0xdffffc0002c3fefa, off, 3, page_size=4096, task_size=task).bug == \
        "probably user-memory-access"
    assert kernel_line(0xe017577ddf75b7dd, off, 3, page_size=4096, task_size=task).bug == "maybe wild-memory-access"
    assert kernel_line(0xffffed1017344f14 - (1 << 63), off, 3, page_size=4096, task_size=task) is None
    assert kernel_line(0xe017577ddf75b7dd, off, 3, page_size=4096, task_size=task,
                       shadow=(0xffffec0000000000, 0xfffffc0000000000)).bug == "maybe wild-memory-access"
    assert kernel_line(0xfffffbff00000000, off, 3, page_size=4096, task_size=task,
                       shadow=(0xffffec0000000000, 0xfffffc0000000000)).bug == "probably wild-memory-access"
    assert offset_from_line(0xefff800000000137, 0x1370, 4) == 0xefff800000000000


def test_well_known_values():
    assert "LIST_POISON1 + 0x8" in known_value(0xdead000000000108)
    assert "LIST_POISON2" in known_value(0xdead000000000122)
    assert "ERR_PTR(-ENOMEM)" in known_value((1 << 64) - 12)
    assert "NULL + 0x10" in known_value(0x10)
    assert "POISON_FREE" in known_value(0x6b6b6b6b6b6b6b6b)
    assert "ASCII" in known_value(0x2b7463697665203a)
    assert known_value(0xffff888000114e08) is None
    assert one_bit_flip(0xffff8801d386d964, [0xffff8881ca472000]) == (39, 0xffff8881d386d964)
    assert one_bit_flip(0xffff888000114e08, [0xffff888000114a48]) is None


DATA = Path(__file__).resolve().parent / "data" / "reports"


def test_i386_pae_report():
    ex = explain_text((DATA / "i386-pae-null.txt").read_text(), layout_loader())
    rep = ex.reports[0]
    assert rep.evidence.layout_id == "x86_32-vmsplit-3g" and rep.evidence.overrides == {"pae": "1"}
    by_role = {a.role: a for a in rep.addresses}
    assert by_role["fault"].address == 8 and "cr2" in by_role["fault"].roles
    assert by_role["rsp"].region is not None and by_role["rsp"].region.kind == "direct-map"
    assert rep.to_json(0)["addresses"][0]["address"] == "0x00000008"


def test_riscv_report():
    rep = explain_text((DATA / "riscv-sv39-null.txt").read_text(), layout_loader()).reports[0]
    assert rep.evidence.arch == "riscv" and rep.evidence.layout_id == "riscv-sv39"
    kinds = {a.role: a.region.kind for a in rep.addresses if a.region}
    assert kinds["rip"] == "kernel-text" and kinds["rsp"] == "direct-map"


def test_a_warning_with_registers_is_explained():
    text = (DATA / "riscv-sv39-null.txt").read_text().replace(
        "Unable to handle kernel NULL pointer dereference at virtual address 0000000000000001",
        "WARNING: CPU: 0 PID: 1 at block/blk-mq.c:3075 blk_mq_release+0x48/0xba")
    rep = explain_text(text, layout_loader()).reports[0]
    assert rep.facts.title.startswith("WARNING:") and any(a.role == "rsp" for a in rep.addresses)


def test_five_level_paging_from_cr4_la57():
    text = GPF.replace("CR4: 00000000001506f0", "CR4: 00000000001516f0")
    ex, _ = _fault(text)
    ev = ex.reports[0].evidence
    assert ev.layout_id == "x86_64-5level" and any("LA57) is set" in c.text for c in ev.clues)


def test_moved_bases_make_far_addresses_candidates_not_guesses():
    text = GPF.replace("GS:ffff8880ae600000", "GS:ffff9d41ae600000").replace("ffff888000114a48", "ffff9d4100114a48")
    text += "[ 1703.7][ T2809] Kernel Offset: 0x1e000000 from 0xffffffff81000000 (relocation range: ...)\n"
    ex = explain_text(text, layout_loader())
    rep = ex.reports[0]
    assert rep.evidence.randomized is True
    by = {a.address: a for a in rep.addresses}
    assert by[0xffff9d4100114a48].region.kind == "direct-map"  # near the GS base
    far = by[0xffff888000114e08].region
    assert far.kind is None and set(far.candidates) == {"direct-map", "vmalloc", "vmemmap"}
    assert "bases unknown" in far.why
    text_base = next(b for b in rep.evidence.bases if b.name.startswith("kernel text"))
    assert text_base.value == 0xffffffff9f000000


def test_stack_words_and_module_frames_of_an_old_call_trace():
    text = GPF + """\
[ 1703.70][ T2809] Stack:
[ 1703.70][ T2809]  ffff888000114a48 ffffc90017aff700 0000000000000000 ffffffff81234567
[ 1703.70][ T2809] Call Trace:
[ 1703.70][ T2809]  [<ffffffffc0123456>] mydrv_ioctl+0x56/0x100 [mydrv]
[ 1703.70][ T2809]  [<ffffffff81345678>] do_vfs_ioctl+0x88/0x600
"""
    rep = explain_text(text, layout_loader()).reports[0]
    by = {a.address: a for a in rep.addresses}
    assert by[0xffffc90017aff700].role == "stack" and by[0xffffffff81234567].role == "stack"
    mod = by[0xffffffffc0123456]
    assert mod.role == "frame [mydrv]" and mod.region.kind == "modules" and "module mydrv" in mod.note()
    assert by[0xffffffff81345678].role == "frame"
    assert any(b.name == "modules" for b in rep.evidence.bases)


def test_a_kasan_report_names_the_access_the_object_and_its_page():
    rep = explain_text((DATA / "kasan-uaf-shape.txt").read_text(), layout_loader()).reports[0]
    by = {a.role: a for a in rep.addresses}
    assert by["fault"].address == 0xffff88801d5a0e18 and by["fault"].region.phys == 0x1d5a0e18
    assert "24 bytes into the object at 0xffff88801d5a0e00" in by["fault"].links
    assert by["struct page"].region.kind == "vmemmap" and "0x1d5a0" in by["struct page"].region.why
    assert rep.evidence.kasan is not None


def test_an_old_null_fault_printed_as_null():
    text = ("BUG: unable to handle kernel NULL pointer dereference at           (null)\n"
            "IP: [<ffffffff81234567>] f+0x1/0x2\n")
    rep = explain_text(text, layout_loader()).reports[0]
    assert rep.addresses[0].role == "fault" and rep.addresses[0].address == 0


def test_the_code_bytes_shift_that_makes_the_shadow_index():
    text = GPF.replace("RCX: 1ffff11000022949", "RCX: 1ffff11000022949\n[ 1703.6][ T2809] Code: 48 89 fa 48 c1 e9 03 "
                       "48 c1 e9 03 <80> 3c 02 00")
    rep = explain_text(text, layout_loader()).reports[0]
    rcx = next(a for a in rep.addresses if a.role == "reg RCX")
    assert [link for link in rcx.links if "shr rcx, 3" in link] and len(rcx.links) == 2


def test_the_user_registers_of_the_syscall_are_told_apart():
    text = GPF + """\
[ 1703.70][ T2809] Call Trace:
[ 1703.70][ T2809]  <TASK>
[ 1703.70][ T2809]  entry_SYSCALL_64_after_hwframe+0x63/0xcd
[ 1703.70][ T2809] RIP: 0033:0x7f3dcc8a1b29
[ 1703.70][ T2809] RSP: 002b:00007ffd1c2a3f48 EFLAGS: 00000246 ORIG_RAX: 0000000000000010
[ 1703.70][ T2809] RAX: ffffffffffffffda RBX: 0000000000000003 RCX: 00007f3dcc8a1b29
[ 1703.70][ T2809]  </TASK>
"""
    rep = explain_text(text, layout_loader()).reports[0]
    by = {a.address: a for a in rep.addresses}
    assert by[0x7f3dcc8a1b29].role == "rip (user)" and by[0x00007ffd1c2a3f48].role == "rsp (user)"
    assert "ERR_PTR(-ENOSYS)" in by[0xffffffffffffffda].note()
    assert by[0xffffc90017aff6c8].role == "rsp"  # the kernel's own stack pointer keeps its role
