"""The running kernel: release, config, CPU flags, _text, KASLR offset; each value with where it came from."""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from vaslayout.proc.iomem import iomem_hidden, kernel_image, read_iomem, system_ram
from vaslayout.proc.maps import Mapping
from vaslayout.proc.reader import ProcError, proc_path, read_text
from vaslayout.proc.real import RealView, arch_of, number, real_view, symbols, zoneinfo_zones

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
    "CONFIG_ARM64", "CONFIG_ARM", "CONFIG_ARM_LPAE", "CONFIG_RISCV", "CONFIG_NR_CPUS",
    "CONFIG_RANDOMIZE_MEMORY_PHYSICAL_PADDING",
})
_CONFIG_PREFIXES = ("CONFIG_VMSPLIT_", "CONFIG_HIGHMEM", "CONFIG_ARM64_VA_BITS", "CONFIG_ARM64_PAGE_SHIFT")


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
    root: str = "/"
    cmdline: tuple[str, ...] = ()
    symbols: dict[str, int] = field(default_factory=dict)  # _text, _end, ... from kallsyms
    real: RealView = field(default_factory=RealView)  # kcore segments, VMCOREINFO, the layout variables
    zones: tuple[tuple[str, int, int], ...] = ()  # from zoneinfo: (name, start, end)

    def variable(self, name: str) -> int | None:
        """A layout variable's value as the kernel holds it (read through kcore), or None."""
        words = (self.real.variables or {}).get(name)
        return words[0] if words else None


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
        with open(gz, "rb") as raw:  # most kernels have no /proc/config.gz: gzip is imported for one that has
            import gzip

            with gzip.open(raw, "rt", encoding="utf-8", errors="replace") as f:
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
                        restrict = read_text(os.path.join(root, "sys", "kernel", "kptr_restrict"))
                        level = f" (kptr_restrict={restrict.strip()})" if restrict else ""
                        return None, f"{path} shows zero addresses{level}: _text, KASLR offset and phys_base unknown"
                    return addr, f"_text {addr:#x} from {path}"
    except (OSError, ValueError):
        return None, f"{path} is not readable: _text, KASLR offset and phys_base unknown"
    return None, f"no _text in {path}: KASLR offset and phys_base unknown"


def _meminfo_total(root: str) -> int | None:
    text = read_text(os.path.join(root, "meminfo"))
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


def _x86_64_paging(config: dict[str, str], cmdline: list[str], la57_cpu: bool, l5: int | None,
                   mappings: Sequence[Mapping], defaults: list[str]) -> tuple[bool, str]:
    """5-level or not, and why: the kernel's own pgtable_l5_enabled when readable, else CPU, cmdline, config."""
    if l5 is not None:
        return bool(l5), f"{5 if l5 else 4}-level paging: the kernel's pgtable_l5_enabled is {l5}"
    five_cfg = config.get("CONFIG_X86_5LEVEL")
    levels = config.get("CONFIG_PGTABLE_LEVELS")
    five_level = False
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
    return five_level, reason


def _other_paging(arch: str, config: dict[str, str], real: RealView, info_va_bits: int | None) -> str | None:
    """The paging mode of a 32-bit x86, arm, arm64 or riscv64 kernel, from what it says of itself."""
    if arch in ("i386", "i686"):
        return "x86-32-pae" if config.get("CONFIG_X86_PAE") == "y" else "x86-32"
    if arch.startswith("arm") and arch != "arm64":
        return "arm-lpae" if config.get("CONFIG_ARM_LPAE") == "y" else "arm-2level"
    if arch in ("aarch64", "arm64"):
        page = number(real.vmcoreinfo, "PAGESIZE") or 1 << int(config.get("CONFIG_ARM64_PAGE_SHIFT", "12"))
        t1sz = number(real.vmcoreinfo, "NUMBER(TCR_EL1_T1SZ)")  # what the CPU runs: a 52-bit build on 48-bit hw
        vabits = (64 - t1sz if t1sz else None) or (real.variables or {}).get("vabits_actual", [None])[0] \
            or info_va_bits
        return f"arm64-{page >> 10}k-{vabits}" if vabits else None
    if arch == "riscv64":
        vabits = info_va_bits
        if vabits is None and real.variables and "satp_mode" in real.variables:
            vabits = {8: 39, 9: 48, 10: 57}.get(real.variables["satp_mode"][0] >> 60)
        return f"riscv-sv{vabits}" if vabits else None
    return None


def detect(root: str = "/", release: str | None = None, *,
           machine: str | None = None, mappings: Sequence[Mapping] = ()) -> KernelInfo:
    """Find out what the kernel at a system root does ("/" live, or a capture), each value with its source.

    `machine` overrides the architecture (for fixture trees); `mappings`, when
    given, are a process's maps: one above 1 << 47 proves 5-level paging. As
    root, /proc/kcore gives the kernel's own segments and randomized bases.
    """
    proc, boot = proc_path(root), os.path.join(root, "boot")
    if not os.path.isdir(proc):
        raise ProcError(f"not a Linux system: {proc} is missing")
    live = os.path.realpath(root) == "/"
    notes: list[str] = []
    defaults: list[str] = []
    uname = os.uname()

    linux = any(os.access(os.path.join(proc, p), os.R_OK) for p in (os.path.join("self", "maps"), "version",
                                                                        "iomem"))
    if not linux:
        notes.append(f"neither {proc}/self/maps nor {proc}/version is readable: not a Linux /proc?")
    if release:
        notes.append(f"release {release} as given")
    else:
        osrelease = os.path.join(proc, "sys", "kernel", "osrelease")
        found = (read_text(osrelease) or "").strip()
        release = found or uname.release
        notes.append(f"release {release} from {osrelease if found else 'uname'}")

    config_source, config, note = _read_config(proc, boot, release)
    notes.append(note)
    if config_source is None:
        defaults.append("config")
    cmdline = (read_text(os.path.join(proc, "cmdline")) or "").split()
    text, text_note = _kallsyms_text(proc)  # stops at _text: kallsyms can hold 200,000 lines
    real = real_view(root, text)
    syms = {"_text": text} if text is not None else {}
    if real.segments or not live:  # root or a capture: the image's ends are worth a whole read
        syms.update(symbols(root, ("_stext", "_etext", "_end")))
        image = next((s for s in real.segments if s.kind == "text"), None)
        if image is not None:  # kcore's text segment is [_text, _end) (fs/proc/kcore.c): kallsyms may lack both
            syms.setdefault("_text", image.vaddr)
            syms.setdefault("_end", image.end)
    notes.extend(real.notes)
    arch = machine or arch_of(config, release, real.elf_machine) or (uname.machine if live else "unknown")
    x86_64 = arch == "x86_64"

    flags = _cpu_flags(proc)
    la57_cpu = bool(flags and "la57" in flags)
    if flags is None:
        if x86_64:
            defaults.append("la57_cpu")
            notes.append(f"no CPU flags in {proc}/cpuinfo: assuming no la57")
    elif x86_64:
        notes.append(f"la57 {'in' if la57_cpu else 'not in'} the CPU flags of {proc}/cpuinfo")

    five_level = False
    if x86_64:
        l5 = real.variables.get("__pgtable_l5_enabled", [None])[0] if real.variables else None
        if l5 is None:
            l5 = number(real.vmcoreinfo, "NUMBER(pgtable_l5_enabled)")
        five_level, reason = _x86_64_paging(config, cmdline, la57_cpu, l5, mappings, defaults)
        notes.append(reason)
        paging: str | None = "x86-64-5level" if five_level else "x86-64-4level"
    else:
        paging = _other_paging(arch, config, real, number(real.vmcoreinfo, "NUMBER(VA_BITS)"))
        notes.append(f"paging {paging} on {arch}" if paging else f"architecture {arch}: paging mode unknown")

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
            notes.append(f"{proc}/iomem shows zero addresses (needs root): RAM ranges and kernel image unknown")
        else:
            ram_ranges = tuple(system_ram(entries))
            image = kernel_image(entries)
            if ram_ranges:
                total_ram = sum(e - s for s, e in ram_ranges)
                notes.append(f"System RAM from {proc}/iomem: {len(ram_ranges)} ranges, {_size(total_ram)}")
    if not ram_ranges:
        defaults.append("ram_ranges")
        total_ram = _meminfo_total(proc)
        if total_ram is None:
            defaults.append("total_ram")
        else:
            notes.append(f"total RAM {_size(total_ram)} from {proc}/meminfo MemTotal (a little below installed RAM)")

    text_hidden = False
    kaslr_offset = phys_base = None
    if x86_64:
        text_hidden = text is None and "zero addresses" in text_note
        notes.append(text_note)
        kaslr_offset = number(real.vmcoreinfo, "KERNELOFFSET")
        if kaslr_offset is not None:
            notes.append(f"KASLR offset {kaslr_offset:#x} from kcore's VMCOREINFO")
        elif text is not None:
            align = _config_int(config, "CONFIG_PHYSICAL_ALIGN", DEFAULT_PHYSICAL_ALIGN)
            start = _config_int(config, "CONFIG_PHYSICAL_START", DEFAULT_PHYSICAL_START)
            start_kernel = START_KERNEL_MAP + (start + align - 1) // align * align
            kaslr_offset = text - start_kernel
            notes.append(f"KASLR offset {kaslr_offset:#x} (_text - {start_kernel:#x})")
        phys_base = real.variables.get("phys_base", [None])[0] if real.variables else None
        if phys_base is not None:
            notes.append(f"phys_base {phys_base:#x} read through kcore")
        elif text is not None:
            code = image.get("Kernel code")
            if code is not None:
                phys_base = code[0] - (text - START_KERNEL_MAP)
                notes.append(f"phys_base {phys_base:#x} (Kernel code at {code[0]:#x} in {proc}/iomem)")
            else:
                notes.append("phys_base unknown: no Kernel code range in iomem")
        for name in ("text", "kaslr_offset", "phys_base"):
            if {"text": text, "kaslr_offset": kaslr_offset, "phys_base": phys_base}[name] is None:
                defaults.append(name)
        bases = ("page_offset_base", "vmalloc_base", "vmemmap_base")
        if all(real.variables and b in real.variables for b in bases):
            notes.append("direct map, vmalloc and vmemmap bases: the kernel's own values, read through kcore")
        elif config.get("CONFIG_RANDOMIZE_MEMORY") != "n":
            defaults.extend(bases)
            why = "CONFIG_RANDOMIZE_MEMORY=y" if config.get("CONFIG_RANDOMIZE_MEMORY") == "y" else "config unknown"
            notes.append(f"direct map, vmalloc and vmemmap bases: documented defaults assumed ({why}; "
                         "only /proc/kcore, as root, shows the real ones)")

    if not x86_64:
        kaslr_offset = number(real.vmcoreinfo, "KERNELOFFSET")  # arm64, riscv: kaslr_offset() in VMCOREINFO
        if kaslr_offset is not None:
            notes.append(f"KASLR offset {kaslr_offset:#x} from kcore's VMCOREINFO")

    return KernelInfo(
        linux=linux, release=release, arch=arch, la57_cpu=la57_cpu, config_source=config_source,
        config=config, five_level=five_level, paging=paging, ram_ranges=ram_ranges, total_ram=total_ram,
        text=text, kaslr_offset=kaslr_offset, phys_base=phys_base, kernel_image=image,
        iomem_hidden=hidden, text_hidden=text_hidden, defaults=tuple(defaults), notes=tuple(notes),
        root=root, cmdline=tuple(cmdline), symbols=syms, real=real, zones=zoneinfo_zones(root),
    )
