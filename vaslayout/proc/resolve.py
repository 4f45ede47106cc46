"""Which built-in layout, with which param values, describes the kernel that detect() found.

The facts are named once (what the kernel says: its bases, RAM, image size,
module area, version) and handed to the layout's params of the same meaning
that the layout declares; a fact no param of the chosen layout takes is kept
as a note, so `detect` says what the layout cannot show yet. The real RAM
ranges from iomem replace the layout's one-block-from-0 physical model.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from vaslayout import catalog
from vaslayout.core.model import Layout, PhysRange
from vaslayout.proc.kernel import KernelInfo
from vaslayout.proc.reader import ProcError
from vaslayout.proc.real import number

TB = 1 << 40
# fact -> the param names (in the order tried) that take it in a layout
PARAM_FOR_FACT: dict[str, tuple[str, ...]] = {
    "phys_base": ("phys_base",),
    "page_offset_base": ("page_offset_base",),
    "vmalloc_base": ("vmalloc_base",),
    "vmemmap_base": ("vmemmap_base",),
    "direct_map_size": ("direct_map_size",),
    "randomize_base": ("randomize_base",),
    "randomize_memory": ("randomize_memory",),
    "physical_padding_tb": ("physical_padding_tb",),
    "kernel_image_size": ("kernel_image_size", "KERNEL_IMAGE_SIZE"),
    "kaslr_offset": ("kaslr_offset",),
    "nr_cpus": ("nr_cpus",),
    "page_offset": ("PAGE_OFFSET",),
    "pae": ("pae",),
    "lpae": ("lpae",),
    "phys_offset": ("phys_offset",),
    "memstart_addr": ("memstart_addr", "linear_phys_offset"),
    "va_layout": ("va_layout",),
    "kernel_version": ("kernel_version", "version"),
    "modules_size": ("modules_size", "module_area_size", "MODULES_VSIZE"),
    "phys_ram_base": ("phys_ram_base",),
    "kernel_phys": ("kernel_phys",),
    "kernel_size": ("kernel_size",),
    "built_va_bits": ("built_va_bits",),
    "kernel_end": ("kernel_end", "kernel_virt_end"),
    "vmalloc_size": ("vmalloc_size",),
}


@dataclass(frozen=True)
class Choice:
    """The layout id, the overrides given to it, and the facts no param takes."""

    layout_id: str
    overrides: dict[str, str]
    facts: dict[str, int]
    unused: tuple[str, ...]


def version_of(release: str) -> tuple[int, int]:
    """(6, 12) from "6.12.117+deb13-amd64"."""
    found = re.match(r"(\d+)\.(\d+)", release)
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


def _candidates(info: KernelInfo) -> list[str]:
    """Built-in ids that may describe this kernel, the most specific first."""
    paging, config = info.paging or "", info.config
    if paging.startswith("x86-64"):
        return ["x86_64-5level" if info.five_level else "x86_64-4level"]
    if paging.startswith("x86-32"):
        split = next((k[len("CONFIG_VMSPLIT_"):].lower() for k, v in config.items()
                      if k.startswith("CONFIG_VMSPLIT_") and v == "y"), "3g")
        return [f"x86_32-vmsplit-{split.replace('_opt', '-opt')}", "x86_32-vmsplit-3g"]
    if paging.startswith("arm-"):
        split = next((k[len("CONFIG_VMSPLIT_"):].lower() for k, v in config.items()
                      if k.startswith("CONFIG_VMSPLIT_") and v == "y"), "3g")
        return [f"arm-vmsplit-{split}", "arm-vmsplit-3g"]
    if paging.startswith("arm64-"):
        _, page, bits = paging.split("-")
        return [f"arm64-{page}-{bits}bit" + suffix for suffix in ("", "-lpa2")]
    if paging.startswith("riscv-"):
        return [paging]
    return []


def _facts(info: KernelInfo) -> dict[str, int]:
    """Everything the kernel said that a layout may take, by fact name."""
    facts: dict[str, int] = {}
    real, config = info.real, info.config
    if info.ram_ranges:
        facts["ram_top"] = max(end for _, end in info.ram_ranges)
        facts["ram_size"] = facts["ram_top"] - min(start for start, _ in info.ram_ranges)
    elif info.total_ram:
        facts["ram_top"] = facts["ram_size"] = info.total_ram
    for name in ("page_offset_base", "vmalloc_base", "vmemmap_base"):
        value = info.variable(name)
        if value is not None:
            facts[name] = value
    if info.phys_base is not None:
        facts["phys_base"] = info.phys_base
    if info.kaslr_offset is not None:
        facts["kaslr_offset"] = info.kaslr_offset
    image = number(real.vmcoreinfo, "NUMBER(KERNEL_IMAGE_SIZE)")
    if image is None and info.arch == "x86_64" and config.get("CONFIG_RANDOMIZE_BASE") in ("y", "n"):
        image = (1 << 30) if config["CONFIG_RANDOMIZE_BASE"] == "y" else (512 << 20)  # page_64_types.h
    if image is not None:
        facts["kernel_image_size"] = image
    if info.arch == "x86_64" and config.get("CONFIG_RANDOMIZE_BASE") in ("y", "n"):
        facts["randomize_base"] = int(config["CONFIG_RANDOMIZE_BASE"] == "y")
    # arch/x86/mm/kaslr.c: kaslr_memory_enabled() needs CONFIG_RANDOMIZE_MEMORY and no nokaslr
    randomized = (info.arch == "x86_64" and config.get("CONFIG_RANDOMIZE_MEMORY") == "y"
                  and "nokaslr" not in info.cmdline)
    if info.arch == "x86_64" and config.get("CONFIG_RANDOMIZE_MEMORY") in ("y", "n"):
        facts["randomize_memory"] = int(randomized)
    padding = int(config.get("CONFIG_RANDOMIZE_MEMORY_PHYSICAL_PADDING", "0"), 0)
    if randomized:
        facts["physical_padding_tb"] = padding
    if randomized and "ram_top" in facts and "page_offset_base" in facts:
        # the direct map gets the RAM in whole TB plus the hotplug padding
        facts["direct_map_size"] = (-(-facts["ram_top"] // TB) + padding) * TB
    if config.get("CONFIG_NR_CPUS", "").isdigit():
        facts["nr_cpus"] = int(config["CONFIG_NR_CPUS"])
    if config.get("CONFIG_PAGE_OFFSET"):
        facts["page_offset"] = int(config["CONFIG_PAGE_OFFSET"], 0)
    if info.paging and info.paging.startswith("x86-32"):
        facts["pae"] = int(info.paging == "x86-32-pae")
    if info.paging and info.paging.startswith("arm-"):
        facts["lpae"] = int(info.paging == "arm-lpae")
    version = version_of(info.release)
    facts["kernel_version"] = version[0] * 100 + version[1]
    if info.arch == "aarch64":
        if info.ram_ranges:
            facts["phys_offset"] = min(start for start, _ in info.ram_ranges)  # where RAM starts
        offset = number(real.vmcoreinfo, "NUMBER(PHYS_OFFSET)")
        if offset is None:
            offset = info.variable("memstart_addr")
        if offset is not None:  # the linear map's own offset: below RAM (even "negative") when KASLR moves it
            facts["memstart_addr"] = offset
        facts["va_layout"] = int(version >= (6, 9))
        facts.update(_arm64_image(info))
        if config.get("CONFIG_ARM64_VA_BITS", "").isdigit():
            facts["built_va_bits"] = int(config["CONFIG_ARM64_VA_BITS"])
    if info.arch != "aarch64" and info.arch != "riscv64":
        facts.update(_image_in_lowmem(info))
    if info.arch.startswith("arm") and info.arch != "aarch64" and info.ram_ranges:
        facts["phys_offset"] = min(start for start, _ in info.ram_ranges)
    if info.arch == "riscv64":
        base = number(real.vmcoreinfo, "NUMBER(phys_ram_base)")
        if base is None and info.ram_ranges:
            base = min(start for start, _ in info.ram_ranges)
        if base is not None:
            facts["phys_ram_base"] = base
        link = number(real.vmcoreinfo, "NUMBER(KERNEL_LINK_ADDR)")
        offset = number(real.vmcoreinfo, "NUMBER(va_kernel_pa_offset)")
        kernel_map = (real.variables or {}).get("kernel_map", [])
        code = info.kernel_image.get("Kernel code")
        if link is not None and offset is not None:  # arch/riscv/mm/init.c: va_kernel_pa_offset = virt - phys
            facts["kernel_phys"] = (link - offset) % (1 << 64)
        elif len(kernel_map) > 3:
            facts["kernel_phys"] = kernel_map[3]  # struct kernel_mapping's phys_addr
        elif code is not None:  # "Kernel code" starts after the head; the image itself is 2 MiB aligned
            facts["kernel_phys"] = code[0] & ~((2 << 20) - 1)
    modules = next((s for s in real.segments if s.kind == "modules"), None)
    if modules is not None:
        facts["modules_size"] = modules.size
    if "_end" in info.symbols:
        facts["kernel_end"] = info.symbols["_end"]
    return facts


def _arm64_image(info: KernelInfo) -> dict[str, int]:
    """Where the arm64 image is in RAM (kcore's text segment, else _text - kimage_voffset) and its size."""
    facts: dict[str, int] = {}
    text = next((s for s in info.real.segments if s.kind == "text" and s.paddr is not None), None)
    voffset = (info.real.variables or {}).get("kimage_voffset", [])
    if text is not None:
        facts["kernel_phys"] = text.paddr or 0
    elif voffset and "_text" in info.symbols:
        facts["kernel_phys"] = (info.symbols["_text"] - voffset[0]) % (1 << 64)
    if "_text" in info.symbols and "_end" in info.symbols:
        facts["kernel_size"] = info.symbols["_end"] - info.symbols["_text"]
    return facts


def _image_in_lowmem(info: KernelInfo) -> dict[str, int]:
    """32-bit x86 and arm: the image's physical start and size from iomem's Kernel code .. bss ranges."""
    image = info.kernel_image
    if "Kernel code" not in image:
        return {}
    start = image["Kernel code"][0]  # virt_to_phys(_text) on both (arch/x86/kernel/setup.c, arch/arm/kernel/setup.c)
    return {"kernel_phys": start, "kernel_size": max(end for _, end in image.values()) - start}


def choose(info: KernelInfo) -> Choice:
    """The built-in layout for this kernel and the overrides its facts give."""
    ids = set(catalog.builtin_ids())
    name = next((c for c in _candidates(info) if c in ids), None)
    if name is None:
        raise ProcError(f"no built-in layout describes a {info.arch} kernel with {info.paging or 'unknown'} paging")
    params = catalog.param_names(name)  # from the layout index: no YAML parsed
    facts = _facts(info)
    overrides: dict[str, str] = {}
    unused = []
    for fact, value in facts.items():
        if fact in ("ram_top", "ram_size") or (fact == "direct_map_size" and "randomize_memory" in params):
            continue  # ram below; a layout that models kaslr.c sizes the direct map itself
        param = next((p for p in PARAM_FOR_FACT.get(fact, ()) if p in params), None)
        if param is None:
            unused.append(fact)
        elif param not in overrides:
            overrides[param] = hex(value)
    # x86 counts RAM from 0 (max_pfn); arm, arm64 and riscv from where RAM starts (phys_offset, phys_ram_base)
    ram = facts.get("ram_size" if params & {"phys_offset", "phys_ram_base"} else "ram_top")
    if ram and "ram" in params:
        overrides["ram"] = hex(ram)
    return Choice(name, overrides, facts, tuple(unused))


def with_real_ram(layout: Layout, info: KernelInfo) -> Layout:
    """The layout's physical memory as iomem's System RAM ranges, not one block from 0."""
    if not info.ram_ranges or not layout.physical:
        return layout
    model = layout.physical[0]
    ranges = tuple(PhysRange(name="System RAM", kind=model.kind, start=start, end=end,
                             description=f"a System RAM range of {info.root.rstrip('/') or ''}/proc/iomem",
                             source="/proc/iomem")
                   for start, end in info.ram_ranges)
    return dataclasses.replace(layout, physical=ranges + layout.physical[1:])


def kernel_layout(info: KernelInfo, overrides: dict[str, str] | None = None) -> Layout:
    """The resolved layout the kernel really has: its facts as params, its RAM ranges as physical memory."""
    choice = choose(info)
    layout = catalog.load(choice.layout_id, {**choice.overrides, **(overrides or {})})
    return with_real_ram(layout, info)
