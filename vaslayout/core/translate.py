"""What is at this address? Virtual -> region, indices, phys; phys -> virtual aliases."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from vaslayout.core import expr
from vaslayout.core.model import Layout, PhysRange, Region
from vaslayout.core.units import fmt_addr, fmt_size
from vaslayout.errors import UserError


class AddressError(UserError, ValueError):
    """A bad address; str() is the one line to print."""


MAX_ADDRESS_TEXT = 1000  # as long as an expression may be
_LITERAL = re.compile(r"(?:0[xX])?[0-9a-fA-F_]+")
_SUFFIXED = re.compile(r"[0-9_]+[KMGTPE]")


def layout_names(layout: Layout) -> dict[str, int]:
    """Everything an address expression may name: params, derived, region ids."""
    values = {name: p.value for name, p in layout.params.items()}
    values.update({name: d.value for name, d in layout.derived.items()})
    for path in layout.paths:
        for r in path:
            if r.id:
                values.update({f"{r.id}.start": r.start, f"{r.id}.end": r.end,
                               f"{r.id}.last": r.last, f"{r.id}.size": r.size})
    return values


def parse_address(text: str, bits: int, *, decimal: bool = False,
                  names: dict[str, int] | None = None) -> int:
    """Hex by default (with or without 0x), `_` allowed, K..E suffixes are decimal.

    Anything else is tried as an expression over the layout's names, so
    `page_offset_base + 1G` works as an address.
    """
    t = text.strip()
    shown = repr(t if len(t) <= 40 else t[:37] + "...")
    if not t:
        raise AddressError("empty address")
    if len(t) > MAX_ADDRESS_TEXT:
        raise AddressError(f"{shown} is {len(t)} characters long; an address may be at most {MAX_ADDRESS_TEXT}")
    try:
        if _SUFFIXED.fullmatch(t):
            value = expr.parse_int(t)
        elif decimal and re.fullmatch(r"[0-9_]+", t):
            value = int(t.replace("_", ""), 10)
        elif _LITERAL.fullmatch(t) and t.strip("_") != "":
            value = int(t.replace("_", ""), 16)
        else:
            value = expr.evaluate_text(t, names or {})
    except expr.ExprError as exc:
        raise AddressError(f"{shown}: {exc.message}") from None
    except ValueError:
        raise AddressError(f"{shown} is not an address") from None
    if value < 0:
        raise AddressError(f"{shown} is negative")
    if value >> bits:
        raise AddressError(f"{shown} is wider than {bits} bits (largest: {fmt_addr((1 << bits) - 1, bits)})")
    return value


def _region_json(r: Region) -> dict[str, Any]:
    return {"name": r.name, "id": r.id, "kind": r.kind, "start": r.start, "end": r.end}


@dataclass(frozen=True)
class Translation:
    address: int
    canonical: bool
    region: Region | None
    path: tuple[Region, ...]
    offset: int | None
    indices: dict[str, int]
    phys: int | None
    explanation: str

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "canonical": self.canonical,
            "region": _region_json(self.region) if self.region else None,
            "path": [r.name for r in self.path],
            "offset": self.offset,
            "indices": dict(self.indices),
            "phys": self.phys,
            "explanation": self.explanation,
        }


def _rule_owner(path: tuple[Region, ...]) -> Region | None:
    for region in reversed(path):
        if region.rule is not None:
            return region
    return None


def _task_size(layout: Layout) -> int:
    """TASK_SIZE as the kernel's KASAN hook sees it (a 64-bit task).

    A layout that defines TASK_SIZE_MAX or TASK_SIZE (arm64, RISC-V) is
    taken at its word; otherwise x86-64's formula.
    """
    for name in ("TASK_SIZE_MAX", "TASK_SIZE"):
        if name in layout.derived:
            return layout.derived[name].value
    mode = layout.paging
    if mode.sign_extended:  # x86-64: TASK_SIZE_MAX = (1 << __VIRTUAL_MASK_SHIFT) - PAGE_SIZE
        return (1 << (mode.va_bits - 1)) - (1 << mode.page_shift)
    user = layout.find("user")
    return user.end if user is not None else 0


def _in_shadow(layout: Layout, addr: int) -> bool:
    """addr_in_shadow(): KASAN_SHADOW_START <= addr < KASAN_SHADOW_END."""
    k = layout.kasan
    assert k is not None
    d = layout.derived
    if "KASAN_SHADOW_START" in d and "KASAN_SHADOW_END" in d:  # the layout's own kasan.h values
        return d["KASAN_SHADOW_START"].value <= addr < d["KASAN_SHADOW_END"].value
    mode = layout.paging
    if mode.sign_extended:  # the shadow of the kernel half, as arch/x86/include/asm/kasan.h defines it
        shift = mode.va_bits - 1  # __VIRTUAL_MASK_SHIFT
        start = k.offset + ((layout.size - (1 << shift)) >> k.scale_shift)
        return start <= addr < start + (1 << (shift - k.scale_shift))
    return any(r.kind == "kasan" and r.contains(addr) for r in layout.path_at(addr))


def kasan_decode(layout: Layout, addr: int) -> str | None:
    """The kernel's kasan_non_canonical_hook, in words (mm/kasan/report.c).

    orig = (addr - KASAN_SHADOW_OFFSET) << KASAN_SHADOW_SCALE_SHIFT in an
    unsigned long; then null-ptr-deref below PAGE_SIZE, probably
    user-memory-access below TASK_SIZE, probably wild-memory-access when addr
    is inside the shadow region, else maybe wild-memory-access.
    """
    k = layout.kasan
    if k is None or addr < k.offset:
        return None
    mask = layout.size - 1
    orig = ((addr - k.offset) << k.scale_shift) & mask
    granule = 1 << k.scale_shift
    bits = layout.address_bits
    if orig < 1 << layout.paging.page_shift:
        bug = "null-ptr-deref"
    elif orig < _task_size(layout):
        bug = "probably user-memory-access"
    elif _in_shadow(layout, addr):
        bug = "probably wild-memory-access"
    else:
        bug = "maybe wild-memory-access"
    return (f"with KASAN it is the shadow byte of [{fmt_addr(orig, bits)}-{fmt_addr(orig + granule - 1, bits)}]: "
            f"the kernel reports \"KASAN: {bug}\"")


def _explain(layout: Layout, addr: int, canonical: bool, path: tuple[Region, ...],
             phys: int | None) -> str:
    bits = layout.address_bits
    mode = layout.paging
    if not canonical:
        text = f"Non-canonical: {mode.canonical_rule()} and here they are not, so any load or store {mode.fault}"
        kasan = kasan_decode(layout, addr)
        return f"{text}; {kasan}." if kasan else text + "."
    if not path:
        return "No region of this layout covers the address."
    leaf = path[-1]
    where = " > ".join(r.name for r in path)
    owner = _rule_owner(path)
    if owner is not None and owner.rule is not None:
        rule = owner.rule
        if rule.name == "linear":
            base = f"phys = address - {fmt_addr(owner.start, bits)} + {fmt_addr(rule.phys, bits)}"
            if phys is None:
                return (f"{where}: a linear map ({base}), but only its first "
                        f"{fmt_size(rule.limit or 0)} are backed by RAM, so nothing is mapped here.")
            return f"{where}: a linear map, {base} = {fmt_addr(phys, bits)}."
        if rule.name == "struct-page":
            pfn = rule.first_pfn + (addr - owner.start) // rule.struct_size
            byte = (addr - owner.start) % rule.struct_size
            return (f"{where}: byte {byte} of the struct page ({rule.struct_size} bytes each) that describes "
                    f"pfn {pfn:#x}, the physical page at {fmt_addr(pfn << mode.page_shift, bits)}.")
        if rule.name == "kasan-shadow":
            kasan = kasan_decode(layout, addr)
            if kasan:
                return f"{where}: KASAN shadow memory; {kasan}."
    if leaf.kind in ("hole", "guard", "non-canonical"):
        return f"{where}: nothing is mapped here; an access faults."
    if leaf.kind in ("user-space", "user-text", "user-data", "heap", "mmap", "stack"):
        return f"{where}: user memory, different in every process; only its page tables know the physical page."
    return f"{where}: mapped page by page; only the page tables know the physical address."


def translate(layout: Layout, addr: int) -> Translation:
    if not 0 <= addr < layout.size:
        raise AddressError(f"{addr:#x} is wider than {layout.address_bits} bits")
    canonical = layout.paging.canonical(addr)
    path = layout.path_at(addr)
    leaf = path[-1] if path else None
    phys = None
    owner = _rule_owner(path)
    if owner is not None and owner.rule is not None and owner.rule.name == "linear":
        delta = addr - owner.start
        if owner.rule.limit is None or delta < owner.rule.limit:
            phys = owner.rule.phys + delta
    return Translation(
        address=addr,
        canonical=canonical,
        region=leaf,
        path=path,
        offset=addr - leaf.start if leaf else None,
        indices=layout.paging.indices(addr),
        phys=phys,
        explanation=_explain(layout, addr, canonical, path, phys),
    )


@dataclass(frozen=True)
class Alias:
    address: int
    path: tuple[Region, ...]


@dataclass(frozen=True)
class PhysLookup:
    phys: int
    range: PhysRange | None
    aliases: tuple[Alias, ...]
    explanation: str
    zone: PhysRange | None = None

    def to_json(self) -> dict[str, Any]:
        r, z = self.range, self.zone
        return {
            "phys": self.phys,
            "range": {"name": r.name, "kind": r.kind, "start": r.start, "end": r.end} if r else None,
            "zone": {"name": z.name, "start": z.start, "end": z.end} if z else None,
            "aliases": [{"address": a.address, "region": _region_json(a.path[-1]),
                         "path": [p.name for p in a.path]} for a in self.aliases],
            "explanation": self.explanation,
        }


def _first_of_kind(layout: Layout, kind: str) -> Region | None:
    """The outermost region of a kind, in address order."""
    for path in layout.paths:
        for r in path:
            if r.kind == kind:
                return r
    return None


def linear_regions(layout: Layout) -> list[Region]:
    """Regions that carry a linear rule themselves (children inherit it)."""
    seen: dict[int, Region] = {}
    for path in layout.paths:
        for r in path:
            if r.rule is not None and r.rule.name == "linear":
                seen[id(r)] = r
    return list(seen.values())


def phys_lookup(layout: Layout, phys: int) -> PhysLookup:
    pbits = layout.physical_bits or layout.address_bits
    if not 0 <= phys < 1 << pbits:
        raise AddressError(f"{phys:#x} is wider than {pbits}-bit physical addresses")
    aliases = []
    for r in linear_regions(layout):
        rule = r.rule
        assert rule is not None
        span = r.size if rule.limit is None else min(r.size, rule.limit)
        if rule.phys <= phys < rule.phys + span:
            virt = r.start + phys - rule.phys
            path = layout.path_at(virt)
            if _rule_owner(path) is r:  # not where a child region brings its own rule
                aliases.append(Alias(virt, path))
    aliases.sort(key=lambda a: a.address)
    prange = next((p for p in layout.physical if p.start <= phys < p.end), None)
    bits = layout.address_bits
    parts = []
    zone = next((z for z in layout.zones if z.start <= phys < z.end), None)
    pwidth = max(bits, layout.physical_bits or bits)  # PAE: 36-bit physical addresses on a 32-bit layout
    if prange is not None:
        parts.append(f"{prange.name} [{fmt_addr(prange.start, pwidth)}-{fmt_addr(prange.last, pwidth)}]"
                     + (f" in {zone.name}" if zone else ""))
    elif layout.physical:
        parts.append(f"beyond installed RAM ({fmt_size(max(p.end for p in layout.physical))})")
    if aliases:
        listed = ", ".join(f"{fmt_addr(a.address, bits)} in {a.path[-1].name}" for a in aliases)
        parts.append(f"virtual alias{'es' if len(aliases) > 1 else ''}: {listed}")
    else:
        parts.append("no permanent kernel mapping")
        if prange is not None and prange.kind == "highmem":
            pkmap = _first_of_kind(layout, "pkmap")
            fixmap = _first_of_kind(layout, "fixmap")
            how = []
            if pkmap:
                how.append(f"kmap() maps the page for a while into a slot of the pkmap window "
                           f"[{fmt_addr(pkmap.start, bits)}-{fmt_addr(pkmap.last, bits)}]")
            if fixmap:
                how.append("kmap_local_page() maps it for a moment into a per-CPU fixmap slot "
                           f"[{fmt_addr(fixmap.start, bits)}-{fmt_addr(fixmap.last, bits)}]")
            if how:
                parts.append("the kernel reaches it only through temporary mappings: " + "; ".join(how))
    return PhysLookup(phys, prange, tuple(aliases), "; ".join(parts) + ".", zone)
