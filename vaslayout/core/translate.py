"""What is at this address? Virtual -> region, indices, phys; phys -> virtual aliases.

An answer keeps apart what the layout's rule gives and what is only
assumed: the direct map's rule fixes phys for every address in it, and
whether the assumed RAM (`ram`, a modelling default unless set) holds that
physical address is a separate fact, named with the assumption. A KASAN
decode is claimed as a kernel line only where the kernel prints one
(core/kasan.py).

The KASAN decoder, the zone limits and the expression parser are imported
where they are needed: a plain hex address on a layout without KASAN needs
none of them, and `vaslayout lookup LAYOUT ADDR` starts faster without.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace

from vaslayout.core.kinds import kind
from vaslayout.core.model import Layout, PhysRange, Region, Rule
from vaslayout.core.rules import rule_kind
from vaslayout.core.units import fmt_addr, fmt_size
from vaslayout.errors import UserError, shortened

TYPE_CHECKING = False  # typing is for the checker only: importing it costs a short command's start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any

    from vaslayout.core.kasan import ShadowByte
    from vaslayout.core.physmap import ZoneLimit


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
    if not t:
        raise AddressError("empty address")
    if len(t) > MAX_ADDRESS_TEXT:
        raise AddressError(f"{_shown(t)} is {len(t)} characters long; an address may be at most {MAX_ADDRESS_TEXT}")
    try:
        if not decimal and t[:2] in ("0x", "0X") and t.isascii():  # the common case, in one C call
            try:
                value = int(t, 16)  # what the literal's pattern and the underscores' removal give, where it parses
            except ValueError:
                value = _literal(t, decimal, names)
        else:
            value = _literal(t, decimal, names)
    except AddressError:
        raise
    except ValueError:
        raise AddressError(f"{_shown(t)} is not an address") from None
    if value < 0:
        raise AddressError(f"{_shown(t)} is negative")
    if value >> bits:
        raise AddressError(f"{_shown(t)} is wider than {bits} bits (largest: {fmt_addr((1 << bits) - 1, bits)})")
    return value


def _literal(t: str, decimal: bool, names: dict[str, int] | None) -> int:
    """A number as the address syntax reads it (underscores anywhere), else an expression."""
    if decimal and re.fullmatch(r"[0-9_]+", t):
        return int(t.replace("_", ""), 10)
    if not _SUFFIXED.fullmatch(t) and _LITERAL.fullmatch(t) and t.strip("_") != "":
        return int(t.replace("_", ""), 16)
    return _expression(t, names)


def _shown(t: str) -> str:
    """An address's text for a message, cut at 40 characters."""
    return repr(shortened(t, 40))


def _expression(t: str, names: dict[str, int] | None) -> int:
    """A suffixed number (896M) or an expression over the layout's names."""
    from vaslayout.core import expr

    try:
        return expr.parse_int(t) if _SUFFIXED.fullmatch(t) else expr.evaluate_text(t, names or {})
    except expr.ExprError as exc:
        raise AddressError(f"{_shown(t)}: {exc.message}") from None


def _region_json(r: Region) -> dict[str, Any]:
    return {"name": r.name, "id": r.id, "kind": r.kind, "start": r.start, "end": r.end}


def size_text(value: int) -> str:
    """A size as --set takes it back: 2G, 512M, 4K, else hex."""
    for suffix, shift in (("E", 60), ("P", 50), ("T", 40), ("G", 30), ("M", 20), ("K", 10)):
        if value and value % (1 << shift) == 0:
            return f"{value >> shift}{suffix}"
    return f"{value:#x}"


@dataclass(frozen=True)
class Assumption:
    """A modelling default an answer leans on: the param, its value, and how to give the real one."""

    param: str
    value: int
    is_default: bool

    @property
    def text(self) -> str:
        return f"{self.param}={size_text(self.value)}"

    @property
    def how(self) -> tuple[str, ...]:
        return (f"--set {self.param}=SIZE", "--capture DIR", "--pid PID")

    def sentence(self) -> str:
        which = "the layout's default" if self.is_default else "as set"
        return (f"this assumes {self.text} ({which}): give the real size with {self.how[0]}, "
                f"or read a machine's with {self.how[1]} or {self.how[2]}")

    def to_json(self) -> dict[str, Any]:
        return {"param": self.param, "value": self.value, "default": self.is_default,
                "text": self.text, "change": list(self.how)}


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
    half: str = "kernel"  # user | kernel | non-canonical
    phys_source: str | None = None  # "rule": the region's translation rule; "pagemap": a live process's page
    ram_covered: bool | None = None  # does the assumed RAM hold phys? None where no RAM size is assumed
    assumption: Assumption | None = None
    kasan: ShadowByte | None = None
    tag: int | None = None  # tag-based KASAN: the top byte of a kernel pointer, which the MMU ignores (TBI)

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "canonical": self.canonical,
            "half": self.half,
            "region": _region_json(self.region) if self.region else None,
            "path": [r.name for r in self.path],
            "offset": self.offset,
            "indices": dict(self.indices),
            "phys": self.phys,
            "phys_source": self.phys_source,
            "ram_covered": self.ram_covered,
            "assumption": self.assumption.to_json() if self.assumption else None,
            "kasan": self.kasan.to_json() if self.kasan else None,
            "tag": self.tag,
            "explanation": self.explanation,
        }


def _rule_owner(path: tuple[Region, ...]) -> Region | None:
    for region in reversed(path):
        if region.rule is not None:
            return region
    return None


def _limit_param(layout: Layout, rule: Rule) -> Assumption | None:
    """The param a linear rule's limit comes from (`ram` where it is ram), as an assumption."""
    if rule.limit is None:
        return None
    ram = layout.params.get("ram")
    if ram is not None and ram.value == rule.limit:
        return Assumption(ram.name, ram.value, ram.value == ram.default)
    p = next((p for p in layout.params.values() if p.value == rule.limit), None)
    return Assumption(p.name, p.value, p.value == p.default) if p is not None else None


def _tagged(layout: Layout) -> bool:
    """Tag-based KASAN on arm64: kernel pointers carry a tag in bits 63..56 (TCR_EL1.TBI1)."""
    if layout.arch != "arm64" or layout.kasan is None:
        return False
    from vaslayout.core.kasan import mode_of

    return mode_of(layout) in ("sw-tags", "hw-tags")


def _untag(layout: Layout, addr: int) -> tuple[int, int | None]:
    """The address the MMU translates, and the tag it ignores (TBI), for a tagged kernel pointer."""
    if _tagged(layout) and addr >> 55 & 1 and addr >> 56 != 0xFF:  # 0xff: KASAN_TAG_KERNEL, no tag to tell
        return addr | 0xFF << 56, addr >> 56
    return addr, None


def half_rule(layout: Layout) -> Callable[[int, bool], str]:
    """user, kernel or non-canonical of a (canonical?) address: the top bit picks the half (bit 55 on
    arm64), else TASK_SIZE does. What it looks at is worked out once per layout, not per address."""
    mode = layout.paging
    if mode.sign_extended:
        bit = 55 if mode.upper_label == "ttbr" else layout.address_bits - 1
        return lambda addr, canonical: ("kernel" if addr >> bit & 1 else "user") if canonical else "non-canonical"
    user = layout.role_region("user")
    top = layout.role_value("task_size")

    def half(addr: int, canonical: bool) -> str:
        if not canonical:
            return "non-canonical"
        if user is not None:
            return "user" if user.contains(addr) else "kernel"
        return "user" if top is not None and addr < top else "kernel"
    return half


def _describe(layout: Layout, kasan: ShadowByte) -> str:
    from vaslayout.core.kasan import describe

    return describe(layout, kasan)


def _hw_tags_note(layout: Layout) -> str | None:
    from vaslayout.core.kasan import hw_tags_note

    return hw_tags_note(layout)


class _Leaf:
    """What every address in one leaf shares: its path, the region whose rule it follows, the words.

    A batch of lookups works these out once per leaf it touches, not once
    per address; `translate` of one address is a batch of one.
    """

    __slots__ = ("path", "region", "start", "where", "owner", "rule", "phys", "assumption", "in_shadow", "texts",
                 "_linear")

    def __init__(self, layout: Layout, path: tuple[Region, ...]) -> None:
        self.path = path
        self.region = path[-1] if path else None
        self.start = path[-1].start if path else 0
        self.where = " > ".join([r.name for r in path])
        self.owner = _rule_owner(path)
        self.rule = self.owner.rule if self.owner is not None else None
        self.phys = rule_kind(self.rule).phys if self.rule is not None else None
        self.assumption = _limit_param(layout, self.rule) if self.rule is not None else None
        self.in_shadow = self.rule is not None and self.rule.name == "kasan-shadow"
        self.texts: dict[bool, str] = {}  # canonical -> the explanation, where nothing else changes it
        self._linear: tuple[str, str] | None = None

    def linear_words(self, layout: Layout) -> tuple[str, str]:
        """A linear map's explanation up to phys, and what follows it where the assumed RAM ends first."""
        if self._linear is None:
            bits, owner, rule = layout.address_bits, self.owner, self.rule
            assert owner is not None and rule is not None
            beyond = ""
            if self.assumption is not None:
                beyond = (f"; that is beyond the {fmt_size(rule.limit or 0)} of RAM the map is backed with, "
                          f"and {self.assumption.sentence()}")
            self._linear = (f"{self.where}: a linear map, phys = address - {fmt_addr(owner.start, bits)} + "
                            f"{fmt_addr(rule.phys, bits)} = ", beyond)
        return self._linear


def _explain(layout: Layout, addr: int, canonical: bool, leaf: _Leaf, phys: int | None,
             covered: bool | None, kasan: ShadowByte | None) -> str:
    bits = layout.address_bits
    mode = layout.paging
    if not canonical:
        text = mode.non_canonical
        return f"{text}; {_describe(layout, kasan)}." if kasan else text + "."
    if not leaf.path:
        return "No region of this layout covers the address."
    where, owner, rule = leaf.where, leaf.owner, leaf.rule
    extra = f"; {_describe(layout, kasan)}" if kasan is not None and layout.arch != "x86_64" else ""
    if owner is not None and rule is not None:
        if rule.name == "linear" and phys is not None:
            head, beyond = leaf.linear_words(layout)
            text = head + fmt_addr(phys, max(bits, layout.physical_bits or bits))
            return f"{text}{beyond if covered is False else ''}{extra}."
        if rule.name == "struct-page":
            # an unsigned long, as the kernel's vmemmap arithmetic is: arm64's vmemmap = VMEMMAP_START -
            # (memstart_addr >> PAGE_SHIFT) starts below pfn 0 when KASLR moved memstart_addr below 0
            pfn = (rule.first_pfn + (addr - owner.start) // rule.struct_size) % (1 << (64 - mode.page_shift))
            byte = (addr - owner.start) % rule.struct_size
            return (f"{where}: byte {byte} of the struct page ({rule.struct_size} bytes each) that describes "
                    f"pfn {pfn:#x}, the physical page at "
                    f"{fmt_addr(pfn << mode.page_shift, max(bits, layout.physical_bits or bits))}{extra}.")
        if rule.name == "kasan-shadow":
            if kasan is not None:
                return f"{where}: {_describe(layout, kasan)}."
            note = _hw_tags_note(layout)
            if note:
                return f"{where}: {note}."
    leaf_kind = kind(leaf.path[-1].kind)
    if leaf_kind.unmapped:
        return f"{where}: nothing is mapped here; an access faults{extra}."
    if leaf_kind.user:
        return f"{where}: user memory, different in every process; only its page tables know the physical page{extra}."
    return f"{where}: mapped page by page; only the page tables know the physical address{extra}."


def _kasan_for(layout: Layout, addr: int, canonical: bool, owner: Region | None,
               covered: bool | None) -> ShadowByte | None:
    """The shadow decode where it says something: x86 non-canonical, the shadow region, arm64 faults.

    arm64 decodes any kernel fault at or above the offset, so every such
    address gets it, except a linear-map address the assumed RAM backs: that
    page is mapped, an access does not fault, and there is nothing to print.
    """
    if layout.kasan is None or addr < layout.kasan.offset:  # the cheap test first: most addresses stop here
        return None
    in_shadow_region = owner is not None and owner.rule is not None and owner.rule.name == "kasan-shadow"
    if canonical and not in_shadow_region and (layout.arch != "arm64" or covered is True):
        return None
    from vaslayout.core.kasan import decode

    return decode(layout, addr, canonical)


def translate(layout: Layout, addr: int) -> Translation:
    return next(translations(layout, (addr,)))


def translations(layout: Layout, addresses: Iterable[int]) -> Iterator[Translation]:
    """translate() of each address in turn, with what a leaf shares worked out once per leaf.

    A generator, so a caller that extends a list keeps the answers before a
    bad address. tests/test_translate.py holds every answer equal, field by
    field, to one worked out alone.
    """
    size, bits, mode = layout.size, layout.address_bits, layout.paging
    tagged, arm64 = _tagged(layout), layout.arch == "arm64"
    kasan_from = layout.kasan.offset if layout.kasan is not None else size  # no address reaches size
    leaf_index, path_below, indices = layout.leaf_index, layout.paths.below_root, mode.indices
    is_canonical, half_of = mode.canonical, half_rule(layout)
    leaves: dict[int, _Leaf] = {}
    new, fields_ = _NEW, _FIELDS
    for addr in addresses:
        if not 0 <= addr < size:
            raise AddressError(f"the address is wider than {bits} bits "
                               f"(largest: {fmt_addr(size - 1, bits)})")
        walked, tag = _untag(layout, addr) if tagged else (addr, None)
        canonical = is_canonical(walked)
        i = leaf_index(walked)
        leaf = leaves.get(i)
        if leaf is None:
            leaf = leaves[i] = _Leaf(layout, path_below(i))
        phys = source = covered = assumption = None
        if leaf.phys is not None:
            delta = walked - leaf.owner.start  # type: ignore[union-attr]
            phys = leaf.phys(leaf.rule, delta)  # the rule's answer, whatever RAM is assumed
            if phys is not None:
                source, assumption = "rule", leaf.assumption
                if leaf.rule.limit is not None:  # type: ignore[union-attr]
                    covered = delta < leaf.rule.limit  # type: ignore[union-attr]  # does the assumed RAM back it?
        kasan = None
        if addr >= kasan_from and (not canonical or leaf.in_shadow or arm64 and covered is not True):
            kasan = _kasan_for(layout, addr, canonical, leaf.owner, covered)
        if kasan is None and phys is None and (leaf.rule is None or leaf.rule.name != "struct-page"):
            text = leaf.texts.get(canonical)  # the same words for every address here
            if text is None:
                text = leaf.texts[canonical] = _explain(layout, walked, canonical, leaf, None, None, None)
        else:
            text = _explain(layout, walked, canonical, leaf, phys, covered, kasan)
        t = new(Translation)  # what Translation(...) makes, without a frozen __init__'s setattr per field
        t.__dict__.update(zip(fields_, (
            addr, canonical, leaf.region, leaf.path, walked - leaf.start if leaf.path else None, indices(walked),
            phys, text, half_of(walked, canonical), source, covered, assumption, kasan, tag), strict=True))
        yield t


_NEW = object.__new__
_FIELDS = tuple(f.name for f in fields(Translation))


def with_page(layout: Layout, t: Translation, page: Any, pid: int | str) -> Translation:
    """The translation of a live process's address, with the physical page its pagemap gives.

    `page` is a pagemap entry (proc/pagemap.PageInfo: phys, pfn, present,
    swapped, pfn_hidden). When the kernel gives the page, that is the
    answer: phys with source "pagemap". Otherwise phys stays None and the
    explanation says why (not present, swapped, or the PFN hidden).
    """
    if page is None:
        return t
    where = f"/proc/{pid}/pagemap"
    if page.phys is not None:
        frame = page.phys - page.phys % (1 << layout.paging.page_shift)
        why = f"{where} gives pfn {page.pfn:#x}: the page is at physical {fmt_addr(frame)}"
        return replace(t, phys=page.phys, phys_source="pagemap", ram_covered=True, assumption=None,
                       explanation=f"{t.explanation.rstrip('.')}; {why}.")
    if page.pfn_hidden:
        why = f"{where} hides the page frame from readers without CAP_SYS_ADMIN (run as root to see it)"
    elif page.swapped:
        why = f"{where} says the page is swapped out"
    else:
        why = f"{where} says no page is there yet (never touched, or dropped)"
    return replace(t, phys=None, phys_source="pagemap", explanation=f"{t.explanation.rstrip('.')}; {why}.")


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
    zone: PhysRange | ZoneLimit | None = None
    ram_covered: bool | None = None  # does the assumed RAM hold this address? None: the layout models no RAM
    assumption: Assumption | None = None
    rule_aliases: tuple[Alias, ...] = ()  # where a linear rule puts it, beyond the RAM it backs

    def to_json(self) -> dict[str, Any]:
        r, z = self.range, self.zone

        def alias(a: Alias) -> dict[str, Any]:
            return {"address": a.address, "region": _region_json(a.path[-1]), "path": [p.name for p in a.path]}

        return {
            "phys": self.phys,
            "range": {"name": r.name, "kind": r.kind, "start": r.start, "end": r.end} if r else None,
            "zone": {"name": z.name, "start": z.start, "end": z.end} if z else None,
            "ram_covered": self.ram_covered,
            "assumption": self.assumption.to_json() if self.assumption else None,
            "aliases": [alias(a) for a in self.aliases],
            "rule_aliases": [alias(a) for a in self.rule_aliases],
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


def _ram_assumption(layout: Layout) -> Assumption | None:
    p = layout.params.get("ram")
    return Assumption("ram", p.value, p.value == p.default) if p is not None else None


def phys_lookup(layout: Layout, phys: int) -> PhysLookup:
    pbits = layout.physical_bits or layout.address_bits
    if not 0 <= phys < 1 << pbits:
        raise AddressError(f"the address is wider than {pbits}-bit physical addresses "
                           f"(largest: {(1 << pbits) - 1:#x})")
    aliases: list[Alias] = []
    beyond: list[Alias] = []
    for r in linear_regions(layout):
        rule = r.rule
        assert rule is not None
        if not rule.phys <= phys < rule.phys + r.size:
            continue
        virt = r.start + phys - rule.phys
        path = layout.path_at(virt)
        if _rule_owner(path) is not r:  # a child region brings its own rule
            continue
        backed = rule.limit is None or phys - rule.phys < rule.limit
        (aliases if backed else beyond).append(Alias(virt, path))
    aliases.sort(key=lambda a: a.address)
    beyond.sort(key=lambda a: a.address)
    prange = next((p for p in layout.physical if p.start <= phys < p.end), None)
    bits = layout.address_bits
    pwidth = max(bits, pbits)  # PAE: 36-bit physical addresses on a 32-bit layout
    from vaslayout.core.physmap import ZoneLimit, zone_by_limits

    zone: PhysRange | ZoneLimit | None = next((z for z in layout.zones if z.start <= phys < z.end), None)
    if zone is None:
        zone = zone_by_limits(layout, phys)
    covered = prange is not None if layout.physical else None
    assumption = _ram_assumption(layout) if covered is False else None
    parts = []
    if prange is not None:
        parts.append(f"{prange.name} [{fmt_addr(prange.start, pwidth)}-{fmt_addr(prange.last, pwidth)}]"
                     + (f" in {zone.name}" if zone else ""))
    else:
        if zone is not None:
            why = f" ({zone.why})" if isinstance(zone, ZoneLimit) else ""
            parts.append(f"{zone.name} by the kernel's zone limits{why}")
        if layout.physical:
            top = max(p.end for p in layout.physical)
            text = f"beyond the assumed RAM, which ends at {fmt_addr(top, pwidth)}"
            parts.append(f"{text}: {assumption.sentence()}" if assumption else text)
    if aliases:
        listed = ", ".join(f"{fmt_addr(a.address, bits)} in {a.path[-1].name}" for a in aliases)
        parts.append(f"virtual alias{'es' if len(aliases) > 1 else ''}: {listed}")
    elif beyond:
        listed = ", ".join(f"{fmt_addr(a.address, bits)} in {a.path[-1].name}" for a in beyond)
        parts.append(f"where RAM is there, the rule maps it at {listed}")
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
    return PhysLookup(phys, prange, tuple(aliases), "; ".join(parts) + ".", zone, covered, assumption, tuple(beyond))
