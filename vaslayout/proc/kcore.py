"""/proc/kcore's ELF headers: the kernel's own list of what it maps, and its VMCOREINFO note.

The program headers carry no type, but fs/proc/kcore.c builds them in a fixed
order (proc_kcore_init: the kernel text when it is special, then vmalloc, then
the module area when it is apart, then each RAM range followed by its vmemmap
slice) and gives p_paddr only to RAM and text (-1 for the rest). That is how
each segment's kind is recovered here. Reading a variable goes through the same
headers: a PT_LOAD covering the address says where in the file its bytes are.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from vaslayout.errors import UserError

PT_LOAD, PT_NOTE = 1, 4
HEAD_READ = 1 << 16  # bytes of kcore read at once: header, program headers and notes fit
VSYSCALL_ADDR = 0xFFFF_FFFF_FF60_0000  # arch/x86/include/uapi/asm/vsyscall.h; x86-64 adds it as KCORE_USER
MACHINES = {3: "i386", 40: "arm", 62: "x86_64", 183: "aarch64", 243: "riscv64"}  # ELF e_machine


class KcoreError(UserError):
    """kcore bytes that are not an ELF core file; str() names the input."""


@dataclass(frozen=True)
class Segment:
    """One PT_LOAD: [vaddr, vaddr + size), where the file holds it, and its kind (text, vmalloc, ...)."""

    vaddr: int
    size: int
    paddr: int | None
    offset: int
    kind: str

    @property
    def end(self) -> int:
        return self.vaddr + self.size


@dataclass(frozen=True)
class KcoreHeaders:
    """What the headers say: word size, machine, the segments and the VMCOREINFO key=value lines."""

    word_bytes: int
    machine: str
    segments: tuple[Segment, ...]
    vmcoreinfo: dict[str, str]
    length: int  # bytes up to the end of the notes: the part a capture keeps

    def segment_at(self, addr: int) -> Segment | None:
        """The first PT_LOAD holding addr (the kernel reads the same way)."""
        return next((s for s in self.segments if s.vaddr <= addr < s.end), None)


def _notes(blob: bytes) -> dict[str, str]:
    """The VMCOREINFO note's lines as a dict (other notes hold registers and a task_struct)."""
    info: dict[str, str] = {}
    at = 0
    while at + 12 <= len(blob):
        namesz, descsz, _ = struct.unpack_from("<III", blob, at)
        name = blob[at + 12:at + 12 + namesz].rstrip(b"\0")
        desc_at = at + 12 + (namesz + 3) // 4 * 4
        desc = blob[desc_at:desc_at + descsz]
        if name == b"VMCOREINFO":
            for line in desc.decode("ascii", "replace").splitlines():
                key, sep, value = line.partition("=")
                if sep:
                    info[key] = value
        at = desc_at + (descsz + 3) // 4 * 4
    return info


def _kinds(raw: Sequence[tuple[int, int, int | None, int]], text: int | None) -> list[str]:
    """Each PT_LOAD's kclist type, from the order proc_kcore_init adds them in."""
    kinds: list[str] = []
    seen_vmalloc = seen_ram = False
    for vaddr, size, paddr, _ in raw:
        if paddr is not None:
            is_text = vaddr == text if text is not None else not seen_vmalloc
            kind = "text" if is_text and not seen_ram else "ram"
            seen_ram = seen_ram or kind == "ram"
        elif vaddr == VSYSCALL_ADDR and size <= 0x1000:
            kind = "user"
        elif seen_ram:
            kind = "vmemmap"
        elif not seen_vmalloc:
            kind, seen_vmalloc = "vmalloc", True
        else:
            kind = "modules"
        kinds.append(kind)
    return kinds


def parse_headers(data: bytes, origin: str, text: int | None = None) -> KcoreHeaders:
    """Parse kcore's ELF header, program headers and notes; `text` is _text from kallsyms when known."""
    if len(data) < 52 or data[:4] != b"\x7fELF" or data[5] != 1:
        raise KcoreError(f"{origin}: not a little-endian ELF core file")
    wide = data[4] == 2
    try:
        if wide:
            machine, = struct.unpack_from("<H", data, 0x12)
            phoff, = struct.unpack_from("<Q", data, 0x20)
            phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
            layout, none = "<IIQQQQQQ", (1 << 64) - 1
        else:
            machine, = struct.unpack_from("<H", data, 0x12)
            phoff, = struct.unpack_from("<I", data, 0x1C)
            phentsize, phnum = struct.unpack_from("<HH", data, 0x2A)
            layout, none = "<IIIIIIII", (1 << 32) - 1
        raw: list[tuple[int, int, int | None, int]] = []
        notes: dict[str, str] = {}
        length = phoff + phentsize * phnum
        for i in range(phnum):
            fields = struct.unpack_from(layout, data, phoff + i * phentsize)
            if wide:
                p_type, _, offset, vaddr, paddr, filesz, memsz, _ = fields
            else:
                p_type, offset, vaddr, paddr, filesz, memsz, _, _ = fields
            if p_type == PT_NOTE:
                notes = _notes(data[offset:offset + filesz])
                length = max(length, offset + filesz)
            elif p_type == PT_LOAD:
                raw.append((vaddr, memsz, None if paddr == none else paddr, offset))
    except struct.error:
        raise KcoreError(f"{origin}: cut short inside its program headers") from None
    if length > len(data):
        raise KcoreError(f"{origin}: cut short inside its program headers or notes ({len(data)} of {length} bytes)")
    segments = tuple(Segment(v, s, p, o, k) for (v, s, p, o), k in zip(raw, _kinds(raw, text), strict=True))
    return KcoreHeaders(8 if wide else 4, MACHINES.get(machine, f"e_machine {machine}"), segments, notes, length)


def read_head(path: str) -> bytes:
    """The first bytes of a kcore file: enough for the headers and notes (the kernel builds them on read)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        data = os.pread(fd, HEAD_READ, 0)
        try:
            need = parse_headers(data, path).length
        except KcoreError:
            return data
        return data if need <= len(data) else os.pread(fd, need, 0)
    finally:
        os.close(fd)


def read_words(path: str, headers: KcoreHeaders, symbols: Mapping[str, int], count: int = 1) -> dict[str, bytes]:
    """`count` words at each symbol's address, read through kcore; symbols outside every segment are left out."""
    out: dict[str, bytes] = {}
    fd = os.open(path, os.O_RDONLY)
    try:
        for name, addr in symbols.items():
            seg = headers.segment_at(addr)
            if seg is None:
                continue
            data = os.pread(fd, headers.word_bytes * count, seg.offset + addr - seg.vaddr)
            if len(data) == headers.word_bytes * count:
                out[name] = data
    finally:
        os.close(fd)
    return out


def words(data: bytes, word_bytes: int) -> list[int]:
    """Little-endian words of data."""
    return [int.from_bytes(data[i:i + word_bytes], "little") for i in range(0, len(data) - word_bytes + 1, word_bytes)]
