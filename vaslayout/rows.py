"""What a lookup answer says, as rows of plain text pieces: no rich, no I/O.

One data function per answer (a virtual address, a physical one, a live
mapping and its page). Each row is a label and a tuple of pieces (text,
style); a "\n" inside a piece starts a new line of the value. The first
piece's style is the whole value's (rich pads a cell in it) and later
pieces add theirs to it, so a value of several colours starts with an
empty, unstyled piece (START). render.py
turns the pieces into rich Text for the terminal and the TUI; plain.py
joins them into lines for pipes, big outputs and other modules (a crash
report's explanation). What the rows say is decided here, once; how they
are drawn is decided there.
"""

from __future__ import annotations

from collections.abc import Iterator

from vaslayout.core.kinds import kind
from vaslayout.core.model import Layout, Region
from vaslayout.core.translate import PhysLookup, Translation
from vaslayout.core.units import fmt_addr, fmt_size

TYPE_CHECKING = False  # typing is for the checker only: importing it costs a short command's start-up
if TYPE_CHECKING:
    from typing import Any

Piece = tuple[str, str]  # text, a rich style string ("" for none)
Row = tuple[str, tuple[Piece, ...]]
START: Piece = ("", "")  # leads a value whose pieces each bring their own style

FIELD_COLOURS = {
    "sign": "#b03030",
    "ttbr": "#b03030",
    "l1": "#e0a33a",
    "l2": "#b889d8",
    "pgd": "#e0a33a",
    "p4d": "#d8709a",
    "pud": "#4fb06a",
    "pmd": "#5fb3f0",
    "pte": "#b889d8",
    "offset": "#9a9a9a",
}

_STYLES: dict[str, str] = {}


def region_style(region: Region) -> str:
    style = _STYLES.get(region.kind)
    if style is None:
        k = kind(region.kind)
        style = _STYLES[region.kind] = f"dim {k.colour}" if k.dim else k.colour
    return style


_PLANS: dict[tuple[Any, ...], list[tuple[str, int, int, str, str]]] = {}
FieldPlan = list[tuple[int, int, bool, int, str, int, dict[int, str]]]  # lo, mask, hex?, digits, colour, width, cells
_FIXED: dict[tuple[Any, ...], tuple[FieldPlan, list[Piece]] | None] = {}
_CELL_CACHE_MAX = 4096  # centred cells remembered per field (a 9-bit index has 512)


def _field_plan(fields: list[tuple[str, int, int]], error: bool, ranges: bool) -> list[tuple[str, int, int, str, str]]:
    """Per field: name, high bit, low bit, label, colour (the same for every address of a layout)."""
    key = (id(fields), error, ranges)  # fields lists live in _MODE_FIELDS: their ids stay theirs
    plan = _PLANS.get(key)
    if plan is None:
        plan = []
        for name, hi, lo in fields:
            span = "folded" if hi < lo else f"{hi}..{lo}"  # a folded level has no bits
            label = f"{name} {span}" if ranges else name
            upper = name in ("sign", "ttbr")
            colour = "bold red" if error and upper else f"bold {FIELD_COLOURS.get(name, 'white')}"
            plan.append((name, hi, lo, label, colour))
        _PLANS[key] = plan
    return plan


def _fixed_plan(fields: list[tuple[str, int, int]], error: bool, ranges: bool):
    """When every label is at least as wide as any value of its field (labels with bit ranges), each
    field has one width for every address: the label line is made once and each field's centred cells
    are remembered. None when a value can be wider than its label."""
    key = (id(fields), error, ranges)
    if key in _FIXED:
        return _FIXED[key]
    out = []
    labels = []
    for name, hi, lo, label, colour in _field_plan(fields, error, ranges):
        hexa = name in ("sign", "ttbr", "offset")
        widest = 1 if hi < lo else (hi - lo + 4) // 4 if hexa else len(str((1 << (hi - lo + 1)) - 1))
        if widest > len(label):
            _FIXED[key] = None
            return None
        out.append((lo, (1 << (hi - lo + 1)) - 1 if hi >= lo else -1, hexa, (hi - lo + 4) // 4, colour, len(label), {}))
        labels.append(label)
    plan = (out, _label_pieces(labels, ranges))
    _FIXED[key] = plan
    return plan


def _label_pieces(labels: list[str], ranges: bool) -> list[Piece]:
    """The line of field labels under the values: each label dim, the gaps between them plain."""
    gap = ("   " if ranges else " ", "")
    out: list[Piece] = []
    for i, label in enumerate(labels):
        if i:
            out.append(gap)
        out.append((label, "dim"))
    return out


def _cells(plan: FieldPlan, addr: int) -> list[str]:
    """Each field's value, centred in the field's width (remembered per field)."""
    out = []
    for lo, mask, hexa, digits, _, width, cells in plan:
        value = (addr >> lo) & mask if mask >= 0 else -1
        cell = cells.get(value)
        if cell is None:
            cell = ("-" if mask < 0 else f"{value:0{digits}x}" if hexa else str(value)).center(width)
            if len(cells) < _CELL_CACHE_MAX:
                cells[value] = cell
        out.append(cell)
    return out


def _field_pieces(fields: list[tuple[str, int, int]], addr: int, error: bool, ranges: bool) -> list[Piece]:
    """Values over labels, each field as wide as the wider of the two."""
    bar = (" │ ", "dim") if ranges else ("│", "dim")
    fixed = _fixed_plan(fields, error, ranges)
    if fixed is not None:
        plan, label_pieces = fixed
        pieces: list[Piece] = []
        for cell, field in zip(_cells(plan, addr), plan, strict=True):
            if pieces:
                pieces.append(bar)
            pieces.append((cell, field[4]))
        return [*pieces, ("\n", ""), *label_pieces]
    pieces = []
    labels = []
    for i, (name, hi, lo, label, colour) in enumerate(_field_plan(fields, error, ranges)):
        if hi < lo:
            cell = "-"
        else:
            value = (addr >> lo) & ((1 << (hi - lo + 1)) - 1)
            cell = f"{value:0{(hi - lo + 4) // 4}x}" if name in ("sign", "ttbr", "offset") else str(value)
        width = max(len(cell), len(label))
        if i:
            pieces.append(bar)
        pieces.append((cell.center(width), colour))
        labels.append(label.center(width))
    return [*pieces, ("\n", ""), *_label_pieces(labels, ranges)]


# id(mode) -> (mode, its fields, the hardware's fields): hashing a PagingMode walks all its levels
_MODE_FIELDS: dict[int, tuple[Any, list[tuple[str, int, int]], list[tuple[str, int, int]]]] = {}


def _mode_fields(mode: Any) -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]:
    """The paging mode's fields, and the hardware's where it walks others (ARM short descriptors)."""
    known = _MODE_FIELDS.get(id(mode))
    if known is None or known[0] is not mode:
        hw = [*mode.hw_fields(), ("offset", mode.page_shift - 1, 0)] if mode.hw_levels else []
        known = _MODE_FIELDS[id(mode)] = (mode, mode.fields(), hw)
    return known[1], known[2]


_TEXTS: dict[tuple[Any, ...], tuple[str, tuple[tuple[int, int, tuple[str, ...] | None], ...]] | None] = {}
_TABLE_MAX_BITS = 13  # a decimal field's centred cells are all made at once, up to 8,192 of them


def _text_plan(fields: list[tuple[str, int, int]], error: bool, ranges: bool):
    """The bits row's text as one %-format, and per field (lo, mask, its centred cells; None: hex in the format).

    Where the fixed plan holds (every label as wide as any value), a hex
    field has one number of digits and so one padding, and a decimal index
    has few enough values to centre each once: the row is one format call.
    """
    key = (id(fields), error, ranges)
    if key in _TEXTS:
        return _TEXTS[key]
    fixed = _fixed_plan(fields, error, ranges)
    plan = None
    if fixed is not None:
        cells: list[str] = []
        parts: list[tuple[int, int, tuple[str, ...] | None]] = []
        for lo, mask, hexa, digits, _, width, _ in fixed[0]:
            if mask < 0:
                cells.append("-".center(width))
            elif hexa:
                centred = ("x" * digits).center(width)
                left = len(centred) - len(centred.lstrip())
                cells.append(" " * left + f"%0{digits}x" + " " * (width - digits - left))
                parts.append((lo, mask, None))
            elif mask.bit_length() <= _TABLE_MAX_BITS:
                cells.append("%s")
                parts.append((lo, mask, tuple([str(v).center(width) for v in range(mask + 1)])))
            else:
                break
        else:
            labels = "".join([p[0] for p in fixed[1]]).replace("%", "%%")
            plan = ((" │ " if ranges else "│").join(cells) + "\n" + labels, tuple(parts))
    _TEXTS[key] = plan
    return plan


def address_fields_text(layout: Layout, addr: int, error: bool = False, ranges: bool = True) -> str:
    """The text of address_fields' pieces (plain.TranslationLines' bits row), without making them."""
    fields, hw = _mode_fields(layout.paging)
    plan = None if hw else _text_plan(fields, error, ranges)
    if plan is None:
        return "".join([p[0] for p in address_fields(layout, addr, error, ranges)])
    text, parts = plan
    return text % tuple([(addr >> lo) & mask if cells is None else cells[(addr >> lo) & mask]
                         for lo, mask, cells in parts])


def address_fields(layout: Layout, addr: int, error: bool = False, ranges: bool = True) -> tuple[Piece, ...]:
    """The address as bit fields: sign | pgd | p4d | pud | pmd | pte | offset, each over its label.

    With `ranges`, the labels carry the bit numbers too (wide screens). Where
    the hardware walks other fields than Linux names (ARM short descriptors),
    a second pair of lines shows the hardware's split.
    """
    fields, hw = _mode_fields(layout.paging)
    pieces = [START, *_field_pieces(fields, addr, error, ranges)]
    if hw:
        more = _field_pieces(hw, addr, error, ranges)
        cut = more.index(("\n", ""))
        pieces += [("\n", ""), *more[:cut], ("   hardware\n", "dim"), *more[cut + 1:]]
    return tuple(pieces)


def translation_rows(layout: Layout, t: Translation, ranges: bool = True) -> list[Row]:
    """The rows of a virtual address's answer: address, region, canonical, bits, phys, explanation."""
    bits = layout.address_bits
    rows: list[Row] = [("address", ((fmt_addr(t.address, bits), "bold" if t.canonical else "bold red"),))]
    if t.region is not None:
        where: list[Piece] = [(" > ".join(r.name for r in t.path), region_style(t.region)),
                              (f"  [{fmt_addr(t.region.start, bits)}-{fmt_addr(t.region.last, bits)}]", "dim")]
        if t.offset:
            where.append((f"  +{t.offset:#x}", "dim"))
        rows.append(("region", tuple(where)))
    rows += [
        ("canonical", (("yes", "green"), (f"  {t.half} half", "dim")) if t.canonical
         else ((f"no: {layout.paging.fault_name}", "bold red"),)),
        ("bits", address_fields(layout, t.address, error=not t.canonical, ranges=ranges)),
        ("phys", phys_pieces(layout, t)),
    ]
    if t.kasan is not None and t.kasan.line:
        rows.append(("kasan", ((t.kasan.line, "bold yellow"),)))
    rows.append(("", ((t.explanation, "red" if not t.canonical else "italic"),)))
    return rows


def phys_pieces(layout: Layout, t: Translation) -> tuple[Piece, ...]:
    """phys with where it comes from (the region's rule, or the process's pagemap) and the RAM it assumes."""
    if t.phys is None:
        return (("-", "dim"),)
    pieces: list[Piece] = [(fmt_addr(t.phys, max(layout.address_bits, layout.physical_bits or 0)), "bold"),
                           (f"  ({'from the pagemap' if t.phys_source == 'pagemap' else 'by the rule'})", "dim")]
    if t.ram_covered is False and t.assumption is not None:
        pieces.append((f"  beyond the assumed RAM ({t.assumption.text})", "yellow"))
    return tuple(pieces)


def phys_rows(layout: Layout, p: PhysLookup) -> list[Row]:
    """The rows of a physical address's answer: its range and every virtual alias."""
    bits = layout.address_bits
    rows: list[Row] = [("phys", ((fmt_addr(p.phys, bits), "bold"),))]
    if p.range is not None:
        rows.append(("range", ((f"{p.range.name}  [{fmt_addr(p.range.start, bits)}-{fmt_addr(p.range.last, bits)}]",
                                kind(p.range.kind).colour),)))
    if p.zone is not None:
        rows.append(("zone", ((p.zone.name, ""),)))
    if p.ram_covered is False and p.assumption is not None:
        rows.append(("ram", ((f"beyond the assumed RAM ({p.assumption.text})", "yellow"),)))
    for a in p.aliases:
        rows.append(("alias", (START, (fmt_addr(a.address, bits), ""), ("  ", ""),
                               (" > ".join(r.name for r in a.path), region_style(a.path[-1])))))
    for a in p.rule_aliases:
        rows.append(("alias", ((fmt_addr(a.address, bits), ""), ("  ", ""),
                               (" > ".join(r.name for r in a.path), region_style(a.path[-1])),
                               ("  by the rule, where RAM is there", "dim"))))
    if not p.aliases and not p.rule_aliases:
        rows.append(("alias", (("none", "bold yellow"),)))
    rows.append(("", ((p.explanation, "italic"),)))
    return rows


def live_rows(region: Region | None, page: Any) -> list[Row]:
    """The mapping and the pagemap entry under an address of a live process."""
    m = region.mapping if region is not None else None
    if m is None or region is None:
        return [("mapping", (("none: no mapping of the process covers this address", "dim"),))]
    rows: list[Row] = [("mapping", (START, (region.name, region_style(region)),
                                    (f"  {m.perms}  offset {m.offset:#x}  dev {m.dev}  inode {m.inode}", "")))]
    if page is None:
        return rows
    flags = [f for f, on in (("present", page.present), ("swapped", page.swapped),
                             ("file/shared", page.file_or_shared), ("exclusive", page.exclusive),
                             ("soft-dirty", page.soft_dirty)) if on]
    if page.pfn_hidden:
        where: Piece = ("the kernel hides the PFN from readers without CAP_SYS_ADMIN", "yellow")
    elif page.phys is not None:  # the phys row above already has the address
        where = (f"pfn {page.pfn:#x}", "bold")
    elif not page.present:
        where = ("not in memory (never touched, or swapped out)", "dim")
    else:
        where = ("-", "dim")
    rows.append(("page", (START, where, ("  [" + ", ".join(flags) + "]" if flags else "", "dim"))))
    return rows


def _walk(region: Region, depth: int, limit: int | None) -> Iterator[tuple[Region, int]]:
    for child in region.children:
        yield child, depth
        if limit is None or depth + 1 < limit:
            yield from _walk(child, depth + 1, limit)


LAYOUT_COLUMNS = ("start", "end (incl.)", "size", "region", "kind")
MIN_NAME = 20  # columns a region name keeps at a narrow terminal before the kind column goes


def param_text(name: str, value: int) -> str:
    """A param as people write it: sizes in binary units (2G), addresses in hex."""
    low = name.lower()
    sizey = low == "ram" or low.endswith(("size", "reserve")) or low.startswith("maxmem")
    if sizey and value >= 1 << 20 and value % (1 << 20) == 0:
        return fmt_size(value).replace(" ", "").replace("iB", "")
    return f"{value:#x}" if value > 4096 else str(value)


def layout_rows(layout: Layout, depth: int | None = None) -> Iterator[tuple[str, str, str, str, str, str]]:
    """The rows of `show LAYOUT`: start, inclusive end, size, the indented name, kind, and the row's style.

    A name whose children are cut off by `depth` ends in " …".
    """
    bits = layout.address_bits
    for region, level in _walk(layout.root, 0, depth):
        name = "  " * level + region.name
        if region.children and depth is not None and level + 1 >= depth:
            name += " …"
        yield (fmt_addr(region.start, bits), fmt_addr(region.last, bits), fmt_size(region.size), name,
               region.kind, region_style(region))
