"""The running kernel: release, config, CPU flags, _text, KASLR offset; each value with where it came from."""

from __future__ import annotations

import gzip
import os
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from vaslayout.proc.iomem import iomem_hidden, kernel_image, read_iomem, system_ram
from vaslayout.proc.maps import Mapping
from vaslayout.proc.reader import ProcError, _read_file

START_KERNEL_MAP = 0xFFFF_FFFF_8000_0000  # __START_KERNEL_map: the kernel text mapping starts here
DEFAULT_PHYSICAL_START = 0x100_0000  # CONFIG_PHYSICAL_START default (16 MiB)
DEFAULT_PHYSICAL_ALIGN = 0x20_0000  # CONFIG_PHYSICAL_ALIGN default (2 MiB)
USER_4LEVEL_LIMIT = 1 << 47  # a user mapping above this needs 5-level paging


# --------------------------------------------------------------------------- running kernel

# The config lines that change a layout. Prefixes end with "_".
_CONFIG_KEYS = frozenset({
    "CONFIG_X86_5LEVEL", "CONFIG_PGTABLE_LEVELS", "CONFIG_RANDOMIZE_MEMORY", "CONFIG_RANDOMIZE_BASE",
    "CONFIG_KASAN", "CONFIG_KASAN_SHADOW_OFFSET", "CONFIG_PAGE_OFFSET", "CONFIG_X86_32", "CONFIG_X86_64",
    "CONFIG_X86_PAE", "CONFIG_PHYSICAL_START", "CONFIG_PHYSICAL_ALIGN", "CONFIG_DYNAMIC_MEMORY_LAYOUT",
})
_CONFIG_PREFIXES = ("CONFIG_VMSPLIT_", "CONFIG_HIGHMEM")


@dataclass(frozen=True)
class KernelInfo:
    """What the running kernel lets us see, where each value came from, and what fell back to defaults."""

    linux: bool
    release: str
    arch: str
    la57_cpu: bool
    config_source: str | None
    config: dict[str, str]
    five_level: bool
    paging: str | None
    ram_ranges: tuple[tuple[int, int], ...]
    total_ram: int | None
    text: int | None
    kaslr_offset: int | None
    phys_base: int | None
    kernel_image: dict[str, tuple[int, int]] = field(default_factory=dict)
    iomem_hidden: bool = False
    text_hidden: bool = False
    defaults: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def _read_text(path: str) -> str | None:
    try:
        return _read_file(path).decode("utf-8", "backslashreplace")
    except OSError:
        return None


# The lines that may be layout-relevant, found by one regex scan instead of a Python loop over 10,000.
_CONFIG_CANDIDATE = re.compile(r"^[^\S\n]*(?:# )?(?:{})[^\n]*".format(
    "|".join(map(re.escape, sorted({*_CONFIG_KEYS, *_CONFIG_PREFIXES})))), re.M)


def _parse_config(text: str) -> dict[str, str]:
    """Keep the layout-relevant CONFIG_ lines; "# CONFIG_X is not set" becomes "n"."""
    out: dict[str, str] = {}
    for raw in _CONFIG_CANDIDATE.findall(text):
        line = raw.strip()
        if line.startswith("# CONFIG_") and line.endswith(" is not set"):
            key, value = line[2:-len(" is not set")], "n"
        elif line.startswith("CONFIG_") and "=" in line:
            key, _, value = line.partition("=")
            value = value.strip('"')
        else:
            continue
        if key in _CONFIG_KEYS or key.startswith(_CONFIG_PREFIXES):
            out[key] = value
    return out


def _read_config(root: str, boot: str, release: str) -> tuple[str | None, dict[str, str], str]:
    """/proc/config.gz first, then /boot/config-RELEASE; returns (source, config, note)."""
    gz = os.path.join(root, "config.gz")
    try:
        with gzip.open(gz, "rt", encoding="utf-8", errors="replace") as f:
            return gz, _parse_config(f.read()), f"config from {gz}"
    except (OSError, EOFError, zlib.error):
        pass  # absent, unreadable or corrupt: try /boot
    plain = os.path.join(boot, f"config-{release}")
    try:
        with open(plain, encoding="utf-8", errors="replace") as f:
            return plain, _parse_config(f.read()), f"config from {plain}"
    except OSError:
        pass
    return None, {}, f"no kernel config: neither {gz} nor {plain} is readable"


def _cpu_flags(root: str) -> set[str] | None:
    """The first CPU's "flags" (x86); None when cpuinfo is unreadable or has no flags line."""
    path = os.path.join(root, "cpuinfo")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                key, sep, value = line.partition(":")
                if sep and key.strip() == "flags":
                    return set(value.split())
    except OSError:
        return None
    return None


def _kallsyms_text(root: str) -> tuple[int | None, str]:
    """Address of `_text`, reading only up to its line; (None, why) when absent or zeroed."""
    path = os.path.join(root, "kallsyms")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[2] == "_text":
                    addr = int(parts[0], 16)
                    if addr == 0:
                        restrict = _read_text(os.path.join(root, "sys", "kernel", "kptr_restrict"))
                        level = f" (kptr_restrict={restrict.strip()})" if restrict else ""
                        return None, f"{path} shows zero addresses{level}: _text, KASLR offset and phys_base unknown"
                    return addr, f"_text {addr:#x} from {path}"
    except (OSError, ValueError):
        return None, f"{path} is not readable: _text, KASLR offset and phys_base unknown"
    return None, f"no _text in {path}: KASLR offset and phys_base unknown"


def _meminfo_total(root: str) -> int | None:
    text = _read_text(os.path.join(root, "meminfo"))
    for line in (text or "").splitlines():
        if line.startswith("MemTotal:"):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                return int(parts[1]) * 1024
    return None


def _size(n: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):.4g} {unit}"
    return f"{n} B"


def _config_int(config: dict[str, str], key: str, default: int) -> int:
    try:
        return int(config[key], 0)
    except (KeyError, ValueError):
        return default


def detect(root: str = "/proc", boot: str = "/boot", release: str | None = None, *,
           machine: str | None = None, mappings: Sequence[Mapping] = ()) -> KernelInfo:
    """Find out what the running kernel does, reading only cheap files and stopping early.

    `machine` overrides os.uname().machine (for fixture trees); `mappings`, when
    given, are a process's maps: one above 1 << 47 proves 5-level paging.
    """
    if not os.path.isdir(root):
        raise ProcError(f"not a Linux system: {root} is missing")
    notes: list[str] = []
    defaults: list[str] = []
    uname = os.uname()

    linux = any(os.access(os.path.join(root, p), os.R_OK) for p in (os.path.join("self", "maps"), "version"))
    if not linux:
        notes.append(f"neither {root}/self/maps nor {root}/version is readable: not a Linux /proc?")
    arch = machine or uname.machine
    if release:
        notes.append(f"release {release} as given")
    else:
        osrelease = os.path.join(root, "sys", "kernel", "osrelease")
        found = (_read_text(osrelease) or "").strip()
        release = found or uname.release
        notes.append(f"release {release} from {osrelease if found else 'uname'}")
    x86_64 = arch == "x86_64"

    flags = _cpu_flags(root)
    la57_cpu = bool(flags and "la57" in flags)
    if flags is None:
        if x86_64:
            defaults.append("la57_cpu")
            notes.append(f"no CPU flags in {root}/cpuinfo: assuming no la57")
    else:
        notes.append(f"la57 {'in' if la57_cpu else 'not in'} the CPU flags of {root}/cpuinfo")

    config_source, config, note = _read_config(root, boot, release)
    notes.append(note)
    if config_source is None:
        defaults.append("config")

    five_level = False
    if x86_64:
        cmdline = (_read_text(os.path.join(root, "cmdline")) or "").split()
        five_cfg = config.get("CONFIG_X86_5LEVEL")
        levels = config.get("CONFIG_PGTABLE_LEVELS")
        if not la57_cpu:
            reason = "4-level paging: the CPU has no la57"
        elif "no5lvl" in cmdline:
            reason = "4-level paging: no5lvl on the kernel command line"
        elif five_cfg == "n" or (five_cfg is None and levels is not None and levels != "5"):
            reason = "4-level paging: the kernel is built without 5-level support"
        elif five_cfg == "y" or levels == "5":
            five_level, reason = True, "5-level paging: la57 CPU and a kernel built for it"
        else:
            five_level = True
            reason = "5-level paging assumed: la57 CPU, kernel config unknown (X86_5LEVEL defaults to y)"
            defaults.append("five_level")
        high = next((m for m in mappings if m.end > USER_4LEVEL_LIMIT and m.start < 1 << 63), None)
        if high is not None and not five_level:
            five_level, reason = True, f"5-level paging: a user mapping reaches {high.end:#x}, above 47 bits"
        notes.append(reason)
    paging = ("x86-64-5level" if five_level else "x86-64-4level") if x86_64 else None
    if not x86_64:
        notes.append(f"architecture {arch}: no x86-64 paging mode applies")

    ram_ranges: tuple[tuple[int, int], ...] = ()
    image: dict[str, tuple[int, int]] = {}
    total_ram: int | None = None
    hidden = False
    try:
        entries = read_iomem(root)
    except ProcError as exc:
        entries = []
        notes.append(f"{exc}: RAM ranges unknown")
    else:
        hidden = iomem_hidden(entries)
        if hidden:
            notes.append(f"{root}/iomem shows zero addresses (needs root): RAM ranges and kernel image unknown")
        else:
            ram_ranges = tuple(system_ram(entries))
            image = kernel_image(entries)
            if ram_ranges:
                total_ram = sum(e - s for s, e in ram_ranges)
                notes.append(f"System RAM from {root}/iomem: {len(ram_ranges)} ranges, {_size(total_ram)}")
    if not ram_ranges:
        defaults.append("ram_ranges")
        total_ram = _meminfo_total(root)
        if total_ram is None:
            defaults.append("total_ram")
        else:
            notes.append(f"total RAM {_size(total_ram)} from {root}/meminfo MemTotal (a little below installed RAM)")

    text: int | None = None
    text_hidden = False
    kaslr_offset = phys_base = None
    if x86_64:
        text, note = _kallsyms_text(root)
        text_hidden = text is None and "zero addresses" in note
        notes.append(note)
        if text is not None:
            align = _config_int(config, "CONFIG_PHYSICAL_ALIGN", DEFAULT_PHYSICAL_ALIGN)
            start = _config_int(config, "CONFIG_PHYSICAL_START", DEFAULT_PHYSICAL_START)
            start_kernel = START_KERNEL_MAP + (start + align - 1) // align * align
            kaslr_offset = text - start_kernel
            notes.append(f"KASLR offset {kaslr_offset:#x} (_text - {start_kernel:#x})")
            code = image.get("Kernel code")
            if code is not None:
                phys_base = code[0] - (text - START_KERNEL_MAP)
                notes.append(f"phys_base {phys_base:#x} (Kernel code at {code[0]:#x} in {root}/iomem)")
            else:
                notes.append("phys_base unknown: no Kernel code range in iomem")
        for name in ("text", "kaslr_offset", "phys_base"):
            if {"text": text, "kaslr_offset": kaslr_offset, "phys_base": phys_base}[name] is None:
                defaults.append(name)
        if config.get("CONFIG_RANDOMIZE_MEMORY") != "n":
            defaults.extend(("page_offset_base", "vmalloc_base", "vmemmap_base"))
            why = "CONFIG_RANDOMIZE_MEMORY=y" if config.get("CONFIG_RANDOMIZE_MEMORY") == "y" else "config unknown"
            notes.append(f"direct map, vmalloc and vmemmap bases: documented defaults ({why}; "
                         "/proc does not show them)")

    return KernelInfo(
        linux=linux, release=release, arch=arch, la57_cpu=la57_cpu, config_source=config_source,
        config=config, five_level=five_level, paging=paging, ram_ranges=ram_ranges, total_ram=total_ram,
        text=text, kaslr_offset=kaslr_offset, phys_base=phys_base, kernel_image=image,
        iomem_hidden=hidden, text_hidden=text_hidden, defaults=tuple(defaults), notes=tuple(notes),
    )
