"""What the kernel really has, beyond /proc's plain files: kcore's segments and variables, VMCOREINFO, zones.

/proc/kcore (root only, CAP_SYS_RAWIO) lists the kernel's own mappings and
lets the randomized bases be read as the kernel holds them; a capture keeps
the headers and the values read (kcore-vars.json). Everything here takes a
system root, so a capture and the live machine are read by the same code, and
says in a note where each value came from or why it is missing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from vaslayout.proc import kcore
from vaslayout.proc.reader import proc_path

VARS_FILE = "kcore-vars.json"  # a capture's layout variables, read through kcore when it was made
# The layout variables worth reading through kcore; each architecture has some of them.
LAYOUT_SYMBOLS = (
    "page_offset_base", "vmalloc_base", "vmemmap_base", "phys_base", "__pgtable_l5_enabled", "pgdir_shift",
    "ptrs_per_p4d", "memstart_addr", "kimage_voffset", "vabits_actual", "module_alloc_base", "module_direct_base",
    "module_plt_base", "kimage_vaddr", "kernel_map", "satp_mode", "pgtable_l4_enabled", "pgtable_l5_enabled",
    "high_memory", "max_low_pfn", "max_pfn", "min_low_pfn", "__FIXADDR_TOP", "__vmalloc_start_set", "vmalloc_min",
)
KERNEL_MAP_WORDS = 8  # riscv's struct kernel_mapping: read its first eight words
# Release suffixes of distribution kernels, and config options, that name the architecture.
_ARCH_BY_CONFIG = (("CONFIG_X86_64", "x86_64"), ("CONFIG_X86_32", "i686"), ("CONFIG_ARM64", "aarch64"),
                   ("CONFIG_RISCV", "riscv64"), ("CONFIG_ARM", "armv7l"))
_ARCH_BY_RELEASE = (("-amd64", "x86_64"), ("-686-pae", "i686"), ("-686", "i686"), ("-arm64", "aarch64"),
                    ("-armmp-lpae", "armv7l"), ("-armmp", "armv7l"), ("-riscv64", "riscv64"))
_ARCH_BY_ELF = {"x86_64": "x86_64", "i386": "i686", "aarch64": "aarch64", "arm": "armv7l", "riscv64": "riscv64"}
# vmcoreinfo keys kept: the layout numbers, not the struct offsets for crash tools
_VMCOREINFO_KEEP = re.compile(
    r"^(OSRELEASE|PAGESIZE|KERNELOFFSET|NUMBER\(|SYMBOL\((_stext|swapper_pg_dir|init_top_pgt)\))")
_ZONE_LINE = re.compile(r"^\s+(\w+)\s+(?:\[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\]|empty)", re.M)


@dataclass(frozen=True)
class RealView:
    """kcore and the variables, as far as this root shows them."""

    segments: tuple[kcore.Segment, ...] = ()
    vmcoreinfo: dict[str, str] | None = None
    elf_machine: str | None = None
    variables: dict[str, list[int]] | None = None
    variables_source: str | None = None
    notes: tuple[str, ...] = ()


def arch_of(config: dict[str, str], release: str, elf_machine: str | None) -> str | None:
    """The architecture from kcore's ELF header, the config, or a distribution release suffix."""
    if elf_machine in _ARCH_BY_ELF:
        return _ARCH_BY_ELF[elf_machine]
    for key, arch in _ARCH_BY_CONFIG:
        if config.get(key) == "y":
            return arch
    return next((arch for suffix, arch in _ARCH_BY_RELEASE if release.endswith(suffix)), None)


def symbols(root: str, names: Iterable[str]) -> dict[str, int]:
    """Non-zero addresses of the named kallsyms symbols (one regex pass: kallsyms can hold 200,000 lines)."""
    wanted = sorted(set(names))
    try:
        with open(proc_path(root, "kallsyms"), encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return {}
    pattern = re.compile(r"^([0-9a-f]+) \w ({})$".format("|".join(map(re.escape, wanted))), re.M)
    found: dict[str, int] = {}
    for addr, name in pattern.findall(text):
        if name not in found and int(addr, 16):
            found[name] = int(addr, 16)
    return found


def _live_variables(root: str, headers: kcore.KcoreHeaders) -> dict[str, list[int]]:
    """The layout variables read through ROOT/proc/kcore (a live machine, as root)."""
    addrs = symbols(root, LAYOUT_SYMBOLS)
    path = proc_path(root, "kcore")
    plain = {n: a for n, a in addrs.items() if n != "kernel_map"}
    got = kcore.read_words(path, headers, plain)
    if "kernel_map" in addrs:
        got.update(kcore.read_words(path, headers, {"kernel_map": addrs["kernel_map"]}, KERNEL_MAP_WORDS))
    return {n: kcore.words(b, headers.word_bytes) for n, b in got.items()}


def real_view(root: str, text: int | None) -> RealView:
    """kcore's segments and notes, and the layout variables: from a capture's files or the live kcore."""
    path = proc_path(root, "kcore")
    notes: list[str] = []
    try:
        head = kcore.read_head(path)
        headers = kcore.parse_headers(head, path, text)
    except PermissionError:
        return RealView(notes=(f"{path} needs root (CAP_SYS_RAWIO): randomized bases and the kernel's own "
                               "segment list unknown",))
    except FileNotFoundError:
        return RealView(notes=(f"no {path} (a container, or a kernel without CONFIG_PROC_KCORE): "
                               "randomized bases and the kernel's own segment list unknown",))
    except (OSError, kcore.KcoreError) as exc:
        return RealView(notes=(f"{path}: {getattr(exc, 'strerror', None) or exc}",))
    kinds = sorted({s.kind for s in headers.segments})
    notes.append(f"{len(headers.segments)} segments in {path} ({', '.join(kinds)})")
    info = {k: v for k, v in headers.vmcoreinfo.items() if _VMCOREINFO_KEEP.match(k)}
    captured = os.path.isfile(os.path.join(root, VARS_FILE))
    if captured:
        variables, source = kcore_vars(root), os.path.join(root, VARS_FILE)
    else:
        try:
            variables, source = _live_variables(root, headers), path
        except OSError as exc:
            variables, source = {}, None
            notes.append(f"the layout variables could not be read through {path}: {exc.strerror or exc}")
    if variables:
        notes.append(f"{len(variables)} layout variables from {source}")
    elif source is not None:
        notes.append(f"no layout variables from {source} (kallsyms shows no addresses?)")
    return RealView(headers.segments, info, headers.machine, variables or None, source if variables else None,
                    tuple(notes))


def zoneinfo_zones(root: str) -> tuple[tuple[str, int, int], ...]:
    """Each populated zone's pfn span from zoneinfo as (name, start, end) in bytes (unprivileged)."""
    try:
        with open(proc_path(root, "zoneinfo"), encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return ()
    zones: dict[str, tuple[int, int]] = {}
    for block in re.split(r"^Node \d+, zone", text, flags=re.M)[1:]:
        name = block.split(None, 1)[0]
        spanned = re.search(r"^\s+spanned\s+(\d+)", block, re.M)
        start = re.search(r"^\s+start_pfn:\s+(\d+)", block, re.M)
        if spanned and start and int(spanned.group(1)):
            lo, hi = int(start.group(1)) << 12, (int(start.group(1)) + int(spanned.group(1))) << 12
            old = zones.get(name)
            zones[name] = (min(lo, old[0]), max(hi, old[1])) if old else (lo, hi)
    return tuple((name, lo, hi) for name, (lo, hi) in zones.items())


def dmesg_zones(text: str) -> tuple[tuple[str, int, int], ...]:
    """The "Zone ranges:" block of the kernel log as (name, start, end exclusive); empty zones left out."""
    start = text.find("Zone ranges:")
    if start < 0:
        return ()
    block = text[start:].split("\n", 1)[1] if "\n" in text[start:] else ""
    out = []
    for line in block.splitlines():
        message = re.sub(r"^\[ *\d+\.\d+\] ?", "", line)
        found = _ZONE_LINE.match(message)
        if not found:
            break
        lo, hi = (int(found.group(2), 16), int(found.group(3), 16) + 1) if found.group(2) else (0, 0)
        if lo < hi:
            out.append((found.group(1), lo, hi))
    return tuple(out)


def number(vmcoreinfo: dict[str, str] | None, key: str) -> int | None:
    """A VMCOREINFO number: NUMBER(x) is decimal, KERNELOFFSET and SYMBOL(x) are hex."""
    raw = (vmcoreinfo or {}).get(key)
    if raw is None:
        return None
    try:
        return int(raw, 16) if key == "KERNELOFFSET" or key.startswith("SYMBOL(") else int(raw, 0)
    except ValueError:
        return None


def kcore_vars(root: str) -> dict[str, list[int]]:
    """The words of each variable in kcore-vars.json ({} when absent)."""
    try:
        with open(os.path.join(root, VARS_FILE), encoding="utf-8") as f:
            import json

            data = json.load(f)
        return {name: [int(w, 16) for w in v["words"]] for name, v in data["variables"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
