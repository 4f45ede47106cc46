"""A layout as text for slides and handouts: Markdown in the shape of mm.rst, and CSV.

`to_markdown` writes the table the way Documentation/arch/x86/x86_64/mm.rst
does: start and inclusive end as bare hex digits (16 for a 64-bit layout, 8
for 32-bit), the offset counted from 0 for user addresses ("+128 TB") and
back from the top of the address space for kernel ones ("-119.5 TB"), and
sizes in the doc's units ("0.5 TB", "444 GB", "4 kB", "~16M TB"). One row
per leaf, the engine's unnamed gaps included, so the rows tile the whole
address space. Both functions are deterministic: the same layout gives the
same text, byte for byte.
"""

from __future__ import annotations

import csv
import io
from fractions import Fraction

from vaslayout.core.model import Layout, Region
from vaslayout.core.units import fmt_addr

_BASE_UNITS = ((" B", 0), (" kB", 10), (" MB", 20), (" GB", 30), (" TB", 40))
_EXACT_LIMIT = 10_000  # an exact figure must stay short: "1520 MB", not "91625968976 kB"


def _units(layout: Layout) -> tuple[tuple[str, int], ...]:
    """mm.rst counts a 48-bit space in TB ("16M TB") and a 57-bit one in PB ("16K PB")."""
    if layout.paging.va_bits > 48:
        return _BASE_UNITS + ((" PB", 50), ("K PB", 60))
    return _BASE_UNITS + (("K TB", 50), ("M TB", 60))


def _decimal(value: Fraction) -> str | None:
    """value with at most two decimals, exactly, or None."""
    hundredths = value * 100
    if hundredths.denominator != 1:
        return None
    whole, frac = divmod(int(hundredths), 100)
    return str(whole) if frac == 0 else f"{whole}.{frac:02d}".rstrip("0")


def doc_amount(n: int, units: tuple[tuple[str, int], ...], *, smallest: Fraction = Fraction(1)) -> str:
    """n bytes as mm.rst writes an amount: the largest unit in which it is exact to two decimals.

    `smallest` is how small a figure may be in that unit: 1 for offsets
    ("-512 GB"), 1/4 for sizes ("0.5 TB", "0.25 PB"). What no unit writes
    exactly gets "~", the largest unit it fills at least once, and a rounded
    figure (whole from 10 up, one decimal below).
    """
    if n == 0:
        return "0"
    for suffix, shift in reversed(units):
        value = Fraction(n, 1 << shift)
        if value < smallest or value >= _EXACT_LIMIT:
            continue
        text = _decimal(value)
        if text is not None:
            return text + suffix
    for suffix, shift in reversed(units):
        value = Fraction(n, 1 << shift)
        if value >= 1 or shift == 0:
            digits = 0 if value >= 10 else 1  # "~16K PB", "~8.2 PB": an approximation stays short
            return "~" + f"{float(value):.{digits}f}".rstrip("0").rstrip(".") + suffix
    raise AssertionError("unreachable")  # pragma: no cover


def _kernel_start(layout: Layout) -> int:
    """Where counting back from the top begins: kernel space, or the upper half."""
    kernel = layout.find("kernel")
    return kernel.start if kernel is not None else layout.size >> 1


def doc_offset(layout: Layout, addr: int, units: tuple[tuple[str, int], ...] | None = None) -> str:
    """"0", "+128 TB" below kernel space; "-119.5 TB" counted back from the top above it."""
    units = units or _units(layout)
    if addr == 0:
        return "0"
    if addr >= _kernel_start(layout):
        text, sign = doc_amount(layout.size - addr, units), "-"
    else:
        text, sign = doc_amount(addr, units), "+"
    return "~" + sign + text[1:] if text.startswith("~") else sign + text


def doc_size(layout: Layout, size: int, units: tuple[tuple[str, int], ...] | None = None) -> str:
    return doc_amount(size, units or _units(layout), smallest=Fraction(1, 4))


def _hex(addr: int, bits: int) -> str:
    return f"{addr:0{bits // 4}x}"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _description(path: tuple[Region, ...]) -> str:
    """The leaf's name, after the regions it sits in below the top level."""
    names = [r.name for r in path]
    return " > ".join(names[1:] if len(names) > 1 else names)


def _sources(layout: Layout) -> str:
    seen: dict[str, None] = {}
    for s in layout.sources:
        where = f"{s.repo}@{s.commit}" if s.commit else s.repo
        seen.setdefault(f"{s.file} ({where})" if where else s.file, None)
    return ", ".join(seen) if seen else "none given"


def to_markdown(layout: Layout) -> str:
    bits = layout.address_bits
    units = _units(layout)
    lines = [
        f"## {layout.title}",
        "",
        "| Start addr | Offset | End addr | Size | VM area description |",
        "|---:|---:|---:|---:|:---|",
    ]
    for leaf, path in zip(layout.leaves, layout.paths, strict=True):
        lines.append(
            f"| {_hex(leaf.start, bits)} | {doc_offset(layout, leaf.start, units)} | {_hex(leaf.last, bits)} "
            f"| {doc_size(layout, leaf.size, units)} | {_cell(_description(path[1:]))} |"
        )
    lines += ["", f"Source: {_sources(layout)}", ""]
    return "\n".join(lines)


CSV_HEADER = ("start", "end_inclusive", "size", "depth", "path", "name", "kind", "id", "description")


def to_csv(layout: Layout) -> str:
    """Every region but the root, parents before children in address order; sizes in bytes."""
    bits = layout.address_bits
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)

    def walk(region: Region, path: tuple[str, ...]) -> None:
        for child in region.children:
            cpath = path + (child.name,)
            writer.writerow((
                fmt_addr(child.start, bits), fmt_addr(child.last, bits), child.size, len(cpath),
                " > ".join(cpath), child.name, child.kind, child.id or "", " ".join(child.description.split()),
            ))
            walk(child, cpath)

    walk(layout.root, ())
    return out.getvalue()
