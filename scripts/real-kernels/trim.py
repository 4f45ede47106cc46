"""Turn what the guest printed into a small committed capture: the layout-relevant part of each file.

A capture made by `vaslayout capture` on a real machine keeps every file whole;
the committed set is trimmed so twelve-plus kernels stay a few hundred KiB:
kallsyms keeps the named layout symbols and every 400th line, the config keeps
the options that decide the layout, dmesg keeps the memory lines, kcore keeps
its headers and notes. capture.json says what was trimmed.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from vaslayout.proc import kcore
from vaslayout.proc.capture import memory_lines, vars_json

KALLSYMS_EVERY = 400
KEEP_SYMBOLS = {
    "_text", "_stext", "_etext", "_sdata", "_edata", "__bss_start", "__bss_stop", "_end", "_sinittext",
    "_einittext", "__init_begin", "__init_end", "__start_rodata", "__end_rodata", "startup_64", "startup_32",
    "swapper_pg_dir", "init_top_pgt", "init_mm", "empty_zero_page", "__per_cpu_start", "__per_cpu_end",
    "page_offset_base", "vmalloc_base", "vmemmap_base", "phys_base", "__pgtable_l5_enabled", "pgdir_shift",
    "ptrs_per_p4d", "memstart_addr", "kimage_voffset", "vabits_actual", "module_alloc_base",
    "module_direct_base", "module_plt_base", "kimage_vaddr", "kernel_map", "satp_mode", "pgtable_l4_enabled",
    "pgtable_l5_enabled", "high_memory", "max_low_pfn", "max_pfn", "min_low_pfn", "__FIXADDR_TOP",
    "__vmalloc_start_set", "vmalloc_min", "vmemmap", "mem_map", "vmcoreinfo_data", "jiffies", "init_task",
}
CONFIG_KEEP = re.compile(
    r"^CONFIG_(\w*(PAGE|PGTABLE|VA_BITS|PA_BITS|5LEVEL|LA57|RANDOMIZE|KASLR|KASAN|HIGHMEM|VMSPLIT|X86_PAE|LPAE|"
    r"SPARSEMEM|FLATMEM|NUMA|NODES_SHIFT|PHYSICAL|MODULES|KALLSYMS|PROC_KCORE|VMAP|VMALLOC|XIP|DEBUG_VIRTUAL|"
    r"KFENCE|ZONE_|MEMORY_HOTPLUG|CPU_ENTRY|FIXMAP|KERNEL_IMAGE|NR_CPUS|X86_64|X86_32|64BIT|ARM64_|RISCV|MMU|"
    r"RELOCATABLE|PAGE_TABLE_ISOLATION|MITIGATION_PAGE|EFI$|HUGETLB|TRANSPARENT_HUGE|SWIOTLB|CMA|LOCALVERSION|"
    r"VMAP_STACK|KEXEC|CRASH_DUMP|SMP$|ARCH_MMAP_RND|COMPAT$|IA32_EMULATION|ILLEGAL_POINTER|DYNAMIC_MEMORY)\w*)="
)


def kallsyms_sample(text: str) -> str:
    """The named layout symbols and an even sample of the rest, in the kernel's order."""
    kept = []
    for number, line in enumerate(text.splitlines()):
        parts = line.split()
        if len(parts) >= 3 and (parts[2] in KEEP_SYMBOLS or number % KALLSYMS_EVERY == 0):
            kept.append(line)
    return "\n".join(kept) + "\n"


def kcore_headers(raw: bytes) -> bytes:
    """/proc/kcore cut to its ELF header, program headers and the notes they point at."""
    return raw[:kcore.parse_headers(raw, "proc/kcore").length]


def kcore_vars(text: str, word_bytes: int) -> dict[str, object]:
    """kcore-vars.json from the guest's "NAME ADDRESS HEXBYTES" lines."""
    values = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3:
            values[parts[0]] = (int(parts[1], 16), bytes.fromhex(parts[2]))
    return vars_json(values, word_bytes)


def trim_capture(raw: Path, dest: Path, config: Path, origin: dict[str, object]) -> None:
    """Write DEST from the guest's tree RAW plus the package's config file."""
    dest.mkdir(parents=True)
    for source in sorted(raw.rglob("*")):
        if source.is_dir():
            continue
        rel = source.relative_to(raw).as_posix()
        if rel in {"kcore-vars.txt", "unreadable", "pid", "dmesg", "proc/kallsyms", "proc/kcore"}:
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest / rel)
    (dest / "proc/kallsyms").write_text(kallsyms_sample((raw / "proc/kallsyms").read_text()))
    (dest / "dmesg").write_text(memory_lines((raw / "dmesg").read_text(errors="replace")))
    kcore = kcore_headers((raw / "proc/kcore").read_bytes()) if (raw / "proc/kcore").exists() else b""
    if kcore:
        (dest / "proc/kcore").write_bytes(kcore)
        word = 8 if kcore[4] == 2 else 4
        vars_json = kcore_vars((raw / "kcore-vars.txt").read_text(), word)
        (dest / "kcore-vars.json").write_text(json.dumps(vars_json, indent=1) + "\n")
    release = (raw / "proc/sys/kernel/osrelease").read_text().strip()
    kept = [line for line in config.read_text().splitlines() if CONFIG_KEEP.match(line)]
    (dest / "boot").mkdir(exist_ok=True)
    (dest / f"boot/config-{release}").write_text("\n".join(kept) + "\n")
    unreadable = [line for line in (raw / "unreadable").read_text().splitlines() if line]
    manifest = {
        "format": "vaslayout-capture 1",
        "release": release,
        "pid": int((raw / "pid").read_text()),
        "unreadable": {path: "not readable in the guest" for path in unreadable},
        "origin": origin,
        "trimmed": {
            "proc/kallsyms": f"named layout symbols and every {KALLSYMS_EVERY}th line",
            f"boot/config-{release}": "the layout options of the package's config (Debian has no config.gz)",
            "dmesg": "memory lines",
            "proc/kcore": "ELF header, program headers and notes",
        },
    }
    (dest / "capture.json").write_text(json.dumps(manifest, indent=1) + "\n")
