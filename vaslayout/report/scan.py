"""The addresses in one oops, each with its role, and the facts the oops states about itself.

Only what the kernel prints in known shapes is taken: the fault line, the
register dump (x86-64, i386, arm64, arm, RISC-V), CR2, FS/GS, task pointers,
and the raw words of "Stack:" and old "Call Trace:" dumps. Hex numbers in
other lines (a filesystem's warning, "Code:" bytes, page-table entries,
which hold physical addresses) are not addresses and are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vaslayout.report.parse import Chunk, Line


@dataclass(frozen=True)
class Found:
    """One address as the report printed it."""

    value: int
    role: str  # "fault", "cr2", "rip", "rsp", "reg RAX", "reg GS", "stack", "frame", ...
    line: int  # line number in the input
    column: int  # column of the digits in the raw line
    text: str  # the digits as printed
    digits: int  # how many hex digits were printed (16: a 64-bit kernel, 8: 32-bit)


@dataclass
class Facts:
    """What the oops says of itself besides addresses."""

    kind: str = ""  # "gp" | "pf" | "null" | "abort" | "bug" | "registers"
    title: str = ""
    flags: set[str] = field(default_factory=set)  # SMP PREEMPT KASAN PTI ... from "[#1] ..."
    version: str | None = None
    version_line: int | None = None
    kasan_line: tuple[str, int, int, int] | None = None  # (kind text, start, end, line number)
    cr4: tuple[int, int] | None = None  # (value, line)
    pgtable: tuple[str, int, int, int] | None = None  # (swapper|user, page KiB, VA bits, line)
    pae: int | None = None  # line of "*pdpt = "
    kernel_offset: tuple[int, int, int] | None = None  # (offset, from, line)
    kaslr_disabled: int | None = None  # line of "Kernel Offset: disabled"
    between_ranges: int | None = None  # arm64 "address between user and kernel address ranges"
    rip_symbol: tuple[str, int] | None = None  # ("rb_erase+0xb7/0x1210", line)
    code_imm64: list[tuple[int, int]] = field(default_factory=list)  # movabs immediates in Code:, (value, line)
    code_shifts: list[tuple[str, int, int]] = field(default_factory=list)  # `shr reg, n` in Code:, (reg, n, line)
    modules: list[str] = field(default_factory=list)  # "[name]" in call traces
    hwasan: int | None = None  # line naming a __hwasan_* function (software tag-based KASAN)
    arch_hint: str | None = None  # "x86_64" | "i386" | "arm64" | "arm" | "riscv"
    user_regs: bool = False  # inside a dump of user-mode registers (RIP: 0033:...), the syscall's entry state


H = r"[0-9a-f]"
_FAULTS = (
    (re.compile(r"general protection fault(?:, probably for| for) non-canonical address 0x(" + H + r"+)"), "gp"),
    (re.compile(r"BUG: unable to handle (?:kernel )?(?:paging request|page fault) (?:for address: |at )(" + H + r"+)"),
     "pf"),
    (re.compile(r"BUG: unable to handle kernel NULL pointer dereference at\s+(" + H + r"+|\(null\))"), "null"),
    (re.compile(r"BUG: kernel NULL pointer dereference, address: (" + H + r"+)"), "null"),
    (re.compile(r"Unable to handle kernel .{0,80}? at virtual address (?:0x)?(" + H + r"+)"), "abort"),
    (re.compile(r"(?:Read|Write) of size \d+ at addr (" + H + r"+)"), "kasan"),
)
# A KASAN report's other addresses: the object, its slab region, its struct page.
_KASAN_MORE = (
    (re.compile(r"The buggy address belongs to the object at (" + H + r"+)"), "object"),
    (re.compile(r"\d+-byte region \[(" + H + r"+), (" + H + r"+)\)"), "object region"),
    (re.compile(r"\bpage:(" + H + r"{8,16})\b"), "struct page"),
)
_GP_PLAIN = re.compile(r"general protection fault: [0-9a-f]{4}")
_FLAGS = re.compile(r"\[#\d+\]((?: [A-Z][A-Z0-9_]*)+)")
_VERSION = re.compile(r"(?:Not tainted|Tainted: [A-Z ]+?) +(\d+\.\d+[\w.+~-]*)")
_KASAN = re.compile(r"KASAN: ((?:probably |maybe )?[a-z-]+) in range \[0x(" + H + r"+)-0x(" + H + r"+)\]")
_CR = re.compile(r"\bCR([0234]): (" + H + r"+)")
_PGTABLE = re.compile(r"(swapper|user) pgtable: (\d+)k pages, (\d+)-bit VAs")
_OFFSET = re.compile(r"Kernel Offset: 0x(" + H + r"+) from 0x(" + H + r"+)")
_RIP = re.compile(r"\bRIP: (" + H + r"{4}):(?:\[<(" + H + r"+)>\]|0x(" + H + r"+)|(\S+))")
_IP = re.compile(r"(?<![A-Za-z])E?IP: (?:" + H + r"{4}:)?(?:\[<(" + H + r"+)>\]|0x(" + H + r"+)|(\S+))")
_RSP = re.compile(r"\bRSP: (?:" + H + r"{4}:)?(" + H + r"{16})\b")
_X86_REGS = re.compile(r"\b(RAX|RBX|RCX|RDX|RSI|RDI|RBP|R0?8|R0?9|R1[0-5]|FS|GS|knlGS):\s*(" + H + r"{16})\b")
_I386_REGS = re.compile(r"\b(EAX|EBX|ECX|EDX|ESI|EDI|EBP|ESP): (" + H + r"{8})\b")
_TASK = re.compile(r"\b(task|task\.stack|ti|task\.ti|stack): (" + H + r"{8,16})\b")
_RISC = re.compile(r"(?<![\w.])(pc|lr|sp|x\d{1,2}|ra|gp|tp|t[0-6]|s\d{1,2}|a[0-7]|epc|badaddr|ip|fp|r\d{1,2})"
                   r"\s*:\s*(?:\[<)?(" + H + r"{8}|" + H + r"{16})(?:>\])?(?![\w+])")
_SYMBOLIC_PC = re.compile(r"(?<![\w.])(?:pc|epc)\s*:\s*([A-Za-z_.$][\w.$]*\+0x" + H + r"+/0x" + H + r"+)")
_ARM_PGD = re.compile(r"^\s*pgd = (" + H + r"{8,16})\b")
_FRAME = re.compile(r"\[<(" + H + r"{8,16})>\]")
_MODULE = re.compile(r"\+0x" + H + r"+/0x" + H + r"+ \[(\w+)\]")
_STACK_WORDS = re.compile(r"^\s*(?:" + H + r"{4,8}: )?(?:(?:" + H + r"{16}|" + H + r"{8}|\(\?\?\?\)) ?)+\s*$")
_WORD = re.compile(r"\b(" + H + r"{16}|" + H + r"{8})\b")
_MOVABS = re.compile(r"\b4[89] b[89a-f]((?: " + H + r"{2}){8})")
_SHR = re.compile(r"\b(4[89]) c1 (e[89a-f]) (0[34])\b")  # shr r64, imm8 (REX.W C1 /5 ib)
_SHR_REGS = {"48": ("RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI"),
             "49": ("R08", "R09", "R10", "R11", "R12", "R13", "R14", "R15")}
_RISC_REG_LINE = re.compile(r"(?:^|\s)(?:pc|sp|x\d{1,2}|ra|epc|r\d{1,2}|a0|s0|t0|gp|badaddr|status)\s*:")

_STACK_START = re.compile(r"^\s*(?:Stack:|Call Trace:|Call trace:|Backtrace:|<IRQ>|<TASK>)")


def _add(out: list[Found], line: Line, m: re.Match[str], group: int, role: str) -> None:
    text = m.group(group)
    value = 0 if text == "(null)" else int(text, 16)  # old kernels print a NULL fault address as "(null)"
    out.append(Found(value, role, line.number, line.body_at + m.start(group), text, len(text)))


def _arm_role(name: str) -> str:
    if name in ("pc", "epc"):
        return "rip"
    if name == "sp":
        return "rsp"
    if name == "badaddr":
        return "fault"
    return f"reg {name}"


def scan(chunk: Chunk) -> tuple[list[Found], Facts]:
    """Every address of the oops with its role, and the oops's facts."""
    found: list[Found] = []
    facts = Facts(title=chunk.title)
    in_stack = False
    for line in chunk.lines:
        body = line.body
        stripped = body.strip()
        if stripped.startswith("Code:"):
            for m in _MOVABS.finditer(body):
                raw = m.group(1).split()
                facts.code_imm64.append((int("".join(reversed(raw)), 16), line.number))
            for m in _SHR.finditer(body):
                reg = _SHR_REGS[m.group(1)][int(m.group(2), 16) - 0xE8]
                facts.code_shifts.append((reg, int(m.group(3), 16), line.number))
            in_stack = False
            continue
        _scan_fault(line, body, found, facts)
        if facts.flags == set():
            m = _FLAGS.search(body)
            if m:
                facts.flags = set(m.group(1).split())
        if facts.version is None:
            m = _VERSION.search(body)
            if m:
                facts.version, facts.version_line = m.group(1), line.number
        m = _KASAN.search(body)
        if m and facts.kasan_line is None:
            facts.kasan_line = (m.group(1), int(m.group(2), 16), int(m.group(3), 16), line.number)
        m = _PGTABLE.search(body)
        if m:
            facts.pgtable = (m.group(1), int(m.group(2)), int(m.group(3)), line.number)
        if "*pdpt = " in body:
            facts.pae = line.number
        m = _OFFSET.search(body)
        if m:
            facts.kernel_offset = (int(m.group(1), 16), int(m.group(2), 16), line.number)
        elif "Kernel Offset: disabled" in body:
            facts.kaslr_disabled = line.number
        if "address between user and kernel address ranges" in body:
            facts.between_ranges = line.number
        if "__hwasan_" in body:
            facts.hwasan = facts.hwasan or line.number
        facts.modules.extend(m.group(1) for m in _MODULE.finditer(body))
        if _STACK_START.match(body):
            in_stack = True
        elif in_stack and _STACK_WORDS.match(body):
            for m in _WORD.finditer(body):
                _add(found, line, m, 1, "stack")
            continue
        elif in_stack and _FRAME.search(body):
            module = _MODULE.search(body)
            for m in _FRAME.finditer(body):
                _add(found, line, m, 1, f"frame [{module.group(1)}]" if module else "frame")
            continue
        elif in_stack and (body.startswith((" ", "\t", "?")) or "+0x" in body):
            continue
        else:
            in_stack = False
        _scan_registers(line, body, found, facts)
    return found, facts


def _scan_fault(line: Line, body: str, found: list[Found], facts: Facts) -> None:
    for rx, role in _KASAN_MORE:
        for m in rx.finditer(body):
            for group in range(1, (m.lastindex or 1) + 1):
                _add(found, line, m, group, role)
    if facts.kind and facts.kind != "bug":
        return
    if facts.kind == "bug":  # "BUG: KASAN: ..." first: its "Read of size N at addr" line names the fault
        m = _FAULTS[-1][0].search(body)
        if m:
            facts.kind = "kasan"
            _add(found, line, m, 1, "fault")
        return
    if body.lstrip().startswith("BUG: KASAN: "):
        facts.kind, facts.title = "bug", body.strip()[:200]
        m = _FAULTS[-1][0].search(body)
        if m:
            facts.kind = "kasan"
            _add(found, line, m, 1, "fault")
        return
    for rx, kind in _FAULTS:
        m = rx.search(body)
        if m:
            facts.kind = kind
            facts.title = body.strip()[:200]
            _add(found, line, m, 1, "fault")
            return
    if _GP_PLAIN.search(body):
        facts.kind, facts.title = "gp", body.strip()[:200]


_USER_CS = ("0033", "0023", "002b", "0073")  # __USER_CS / __USER32_CS (x86-64), __USER_CS (i386)


def _scan_registers(line: Line, body: str, found: list[Found], facts: Facts) -> None:
    m = _RIP.search(body)
    if m:
        facts.arch_hint = facts.arch_hint or "x86_64"
        facts.user_regs = m.group(1) in _USER_CS
    user = " (user)" if facts.user_regs else ""
    if m:
        if m.group(2) or m.group(3):
            _add(found, line, m, 2 if m.group(2) else 3, "rip" + user)
        elif m.group(4) and "+0x" in m.group(4) and facts.rip_symbol is None:
            facts.rip_symbol = (m.group(4), line.number)
    elif (m := _IP.search(body)) is not None:
        if m.group(1) or m.group(2):
            _add(found, line, m, 1 if m.group(1) else 2, "rip")
        elif m.group(3) and "+0x" in m.group(3) and facts.rip_symbol is None:
            facts.rip_symbol = (m.group(3), line.number)
        if "EIP:" in body:
            facts.arch_hint = facts.arch_hint or "i386"
    m = _RSP.search(body)
    if m:
        _add(found, line, m, 1, "rsp" + user)
    for m in _X86_REGS.finditer(body):
        facts.arch_hint = facts.arch_hint or "x86_64"
        _add(found, line, m, 2, f"reg {m.group(1)}{user}")
    for m in _I386_REGS.finditer(body):
        facts.arch_hint = facts.arch_hint or "i386"
        _add(found, line, m, 2, "rsp" if m.group(1) == "ESP" else f"reg {m.group(1)}")
    for m in _CR.finditer(body):
        value = int(m.group(2), 16)
        if m.group(1) == "2":
            _add(found, line, m, 2, "cr2")
        elif m.group(1) == "4":
            facts.cr4 = (value, line.number)
    for m in _TASK.finditer(body):
        _add(found, line, m, 2, f"reg {m.group(1)}")
    m = _ARM_PGD.match(body)
    if m:
        _add(found, line, m, 1, "reg pgd")
    if _RISC_REG_LINE.search(body):
        for m in _RISC.finditer(body):
            name = m.group(1)
            _add(found, line, m, 2, _arm_role(name))
        m = _SYMBOLIC_PC.search(body)
        if m and facts.rip_symbol is None:
            facts.rip_symbol = (m.group(1), line.number)
