"""Rich renderables and JSON for the CLI (the TUI reuses the bit-field text)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from vaslayout.core.kinds import kind
from vaslayout.core.model import Layout, Region
from vaslayout.core.translate import PhysLookup, Translation
from vaslayout.core.units import fmt_addr, fmt_size

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


def region_style(region: Region) -> str:
    k = kind(region.kind)
    return f"dim {k.colour}" if k.dim else k.colour


def _walk(region: Region, depth: int, limit: int | None):
    for child in region.children:
        yield child, depth
        if limit is None or depth + 1 < limit:
            yield from _walk(child, depth + 1, limit)


def layout_header(layout: Layout) -> RenderableType:
    head = Text.assemble((layout.title, "bold"), "  ", (f"[{layout.id}]", "dim"))
    lines: list[RenderableType] = [head]
    if layout.summary:
        lines.append(Text(layout.summary.strip(), style="italic"))
    if layout.params:
        params = Text("params: ", style="bold")
        for i, p in enumerate(layout.params.values()):
            if i:
                params.append(", ")
            params.append(p.name, "cyan")
            params.append(f"={param_text(p.name, p.value)}")
            if p.choice:
                params.append(f" ({p.choice})", "dim")
            if p.value != p.default:
                params.append(" *", "bold yellow")
        lines.append(params)
    return Group(*lines)


def param_text(name: str, value: int) -> str:
    low = name.lower()
    sizey = low == "ram" or low.endswith(("size", "reserve")) or low.startswith("maxmem")
    if sizey and value >= 1 << 20 and value % (1 << 20) == 0:
        return fmt_size(value).replace(" ", "").replace("iB", "")
    return f"{value:#x}" if value > 4096 else str(value)


def layout_table(layout: Layout, depth: int | None = None) -> Table:
    bits = layout.address_bits
    table = Table(box=None, pad_edge=False, header_style="bold", expand=False)
    table.add_column("start", no_wrap=True)
    table.add_column("end (incl.)", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("region", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    for region, level in _walk(layout.root, 0, depth):
        style = region_style(region)
        name = Text("  " * level + region.name, style=style)
        if region.children and depth is not None and level + 1 >= depth:
            name.append(" …", "dim")
        table.add_row(fmt_addr(region.start, bits), fmt_addr(region.last, bits), fmt_size(region.size),
                      name, Text(region.kind, style=style))
    return table


def derived_table(layout: Layout) -> Table | None:
    if not layout.derived:
        return None
    table = Table(box=None, pad_edge=False, header_style="bold", title_justify="left")
    table.add_column("derived", style="cyan", no_wrap=True)
    table.add_column("value", no_wrap=True)
    table.add_column("meaning")
    for d in layout.derived.values():
        table.add_row(d.name, param_text(d.name, d.value), d.description)
    return table


def _field_rows(fields: list[tuple[str, int, int]], addr: int, error: bool, ranges: bool) -> tuple[Text, Text]:
    top, bottom = Text(), Text()
    for i, (name, hi, lo) in enumerate(fields):
        if hi < lo:  # folded level
            cell, label = "-", f"{name} folded" if ranges else name
        else:
            width = hi - lo + 1
            value = (addr >> lo) & ((1 << width) - 1)
            digits = (width + 3) // 4
            cell = f"{value:0{digits}x}" if name in ("sign", "ttbr", "offset") else str(value)
            label = f"{name} {hi}..{lo}" if ranges else name
        w = max(len(cell), len(label))
        upper = name in ("sign", "ttbr")
        colour = "bold red" if error and upper else f"bold {FIELD_COLOURS.get(name, 'white')}"
        if i:
            top.append(" │ " if ranges else "│", "dim")
            bottom.append("   " if ranges else " ")
        top.append(cell.center(w), colour)
        bottom.append(label.center(w), "dim")
    return top, bottom


def address_fields(layout: Layout, addr: int, error: bool = False, ranges: bool = True) -> Text:
    """The address as coloured bit fields: sign | pgd | p4d | pud | pmd | pte | offset.

    With `ranges`, the labels carry the bit numbers too (wide screens). Where
    the hardware walks other fields than Linux names (ARM short descriptors),
    a second pair of rows shows the hardware's split.
    """
    mode = layout.paging
    top, bottom = _field_rows(mode.fields(), addr, error, ranges)
    out = Text.assemble(top, "\n", bottom)
    if mode.hw_levels:
        hw = [*mode.hw_fields(), ("offset", mode.page_shift - 1, 0)]
        htop, hbottom = _field_rows(hw, addr, error, ranges)
        out.append("\n")
        out.append_text(htop)
        out.append("   hardware\n", "dim")
        out.append_text(hbottom)
    return out


Rows = list[tuple[str, Text]]


def label_grid(rows: Rows, gap: int = 2) -> Table:
    """Labels in bold on the left, values wrapping in their own column."""
    grid = Table.grid(padding=(0, gap))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for label, value in rows:
        grid.add_row(label, value)
    return grid


def translation_rows(layout: Layout, t: Translation, ranges: bool = True) -> Rows:
    bits = layout.address_bits
    rows: Rows = [("address", Text(fmt_addr(t.address, bits), style="bold" if t.canonical else "bold red"))]
    if t.region is not None:
        where = Text(" > ".join(r.name for r in t.path), style=region_style(t.region))
        where.append(f"  [{fmt_addr(t.region.start, bits)}-{fmt_addr(t.region.last, bits)}]", "dim")
        where.append(f"  +{t.offset:#x}" if t.offset else "", "dim")
        rows.append(("region", where))
    rows += [
        ("canonical", Text("yes", "green") if t.canonical else Text(f"no: {layout.paging.fault_name}", "bold red")),
        ("bits", address_fields(layout, t.address, error=not t.canonical, ranges=ranges)),
        ("phys", Text(fmt_addr(t.phys, bits)) if t.phys is not None else Text("-", "dim")),
        ("", Text(t.explanation, style="red" if not t.canonical else "italic")),
    ]
    return rows


def translation_view(layout: Layout, t: Translation, ranges: bool = True) -> RenderableType:
    return label_grid(translation_rows(layout, t, ranges))


def phys_view(layout: Layout, p: PhysLookup) -> RenderableType:
    bits = layout.address_bits
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    grid.add_row("phys", Text(fmt_addr(p.phys, bits), style="bold"))
    if p.range is not None:
        grid.add_row("range", Text(f"{p.range.name}  [{fmt_addr(p.range.start, bits)}-{fmt_addr(p.range.last, bits)}]",
                                   style=kind(p.range.kind).colour))
    for a in p.aliases:
        grid.add_row("alias", Text.assemble(fmt_addr(a.address, bits), "  ",
                                            (" > ".join(r.name for r in a.path), region_style(a.path[-1]))))
    if not p.aliases:
        grid.add_row("alias", Text("none", "bold yellow"))
    grid.add_row("", Text(p.explanation, style="italic"))
    return grid


def live_view(region: Region | None, page) -> RenderableType:
    """The mapping and the pagemap entry under an address of a live process."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    m = region.mapping if region is not None else None
    if m is None or region is None:
        grid.add_row("mapping", Text("none: no mapping of the process covers this address", "dim"))
        return grid
    grid.add_row("mapping", Text.assemble((region.name, region_style(region)),
                                          f"  {m.perms}  offset {m.offset:#x}  dev {m.dev}  inode {m.inode}"))
    if page is None:
        return grid
    flags = [f for f, on in (("present", page.present), ("swapped", page.swapped),
                             ("file/shared", page.file_or_shared), ("exclusive", page.exclusive),
                             ("soft-dirty", page.soft_dirty)) if on]
    if page.pfn_hidden:
        where = Text("the kernel hides the PFN from readers without CAP_SYS_ADMIN", "yellow")
    elif page.phys is not None:
        where = Text(f"pfn {page.pfn:#x}, phys {fmt_addr(page.phys)}", "bold")
    elif not page.present:
        where = Text("not in memory (never touched, or swapped out)", "dim")
    else:
        where = Text("-", "dim")
    grid.add_row("page", Text.assemble(where, ("  [" + ", ".join(flags) + "]" if flags else "", "dim")))
    return grid


def iomem_table(entries: list[dict], depth: int | None = None) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("start", no_wrap=True)
    table.add_column("end (incl.)", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("resource")
    table.add_column("direct-map alias", no_wrap=True)

    def walk(items: list[dict], level: int) -> None:
        for e in items:
            ram = e["name"] == "System RAM" or e["name"].startswith("Kernel ")
            alias = ", ".join(f"{a['address']:#018x}" for a in e.get("aliases", []))
            table.add_row(f"{e['start']:#014x}", f"{e['end'] - 1:#014x}", fmt_size(e["end"] - e["start"]),
                          Text("  " * level + e["name"], style=kind("direct-map").colour if ram else ""),
                          Text(alias, style="dim"))
            if e.get("children") and (depth is None or level + 1 < depth):
                walk(e["children"], level + 1)

    walk(entries, 0)
    return table


def kernel_view(data: dict) -> RenderableType:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    defaults = set(data["defaults"])

    def val(key: str, text: str) -> Text:
        return Text.assemble(text, ("  (documented default)" if key in defaults else "", "yellow"))

    grid.add_row("kernel", f"{data['release']} on {data['arch']}")
    grid.add_row("paging", val("five_level", str(data["paging"])))
    grid.add_row("la57 cpu", "yes" if data["la57_cpu"] else "no")
    grid.add_row("config", str(data["config_source"] or "not found"))
    ram = data["ram_ranges"]
    grid.add_row("RAM", f"{len(ram)} System RAM ranges, top {fmt_addr(max(e for _, e in ram))}" if ram
                 else Text("unknown", "yellow"))
    grid.add_row("_text", val("text", fmt_addr(data["text"]) if data["text"] is not None else "hidden"))
    grid.add_row("KASLR offset", val("kaslr_offset", f"{data['kaslr_offset']:#x}" if data["kaslr_offset"] is not None
                                      else "unknown"))
    grid.add_row("phys_base", val("phys_base", f"{data['phys_base']:#x}" if data["phys_base"] is not None
                                  else "unknown"))
    for name in ("page_offset_base", "vmalloc_base", "vmemmap_base"):
        if name in data.get("variables", {}):
            grid.add_row(name, f"{fmt_addr(data['variables'][name])}  (read through kcore)")
        elif name in defaults:
            grid.add_row(name, Text("documented default assumed (only /proc/kcore, as root, shows it)", "yellow"))
    segments = data.get("kcore_segments") or []
    if segments:
        grid.add_row("kcore", ", ".join(f"{s['kind']} {fmt_addr(s['start'])}" for s in segments[:6])
                     + (f", ... ({len(segments)} segments)" if len(segments) > 6 else ""))
    layout = data.get("layout") or {}
    if layout.get("id"):
        grid.add_row("layout", f"{layout['id']} " + " ".join(f"{k}={v}" for k, v in layout["overrides"].items()))
        if layout.get("not_in_layout"):
            grid.add_row("", Text("the layout has no param for: " + ", ".join(layout["not_in_layout"]), "dim"))
    elif layout.get("why"):
        grid.add_row("layout", Text(layout["why"], "yellow"))
    for note in data["notes"]:
        grid.add_row("", Text(note, style="dim"))
    return grid


def physical_model_view(layout: Layout, data: dict) -> RenderableType:
    """Zones, what RAM holds, and which virtual range maps which physical one."""
    bits = layout.address_bits
    pbits = max(bits, layout.physical_bits or bits)
    parts: list[RenderableType] = [layout_header(layout), Text()]
    for title, items in (("physical memory", data["ranges"]), ("zones", data["zones"])):
        table = Table(box=None, pad_edge=False, header_style="bold", title=title, title_justify="left",
                      title_style="bold")
        table.add_column("start", no_wrap=True)
        table.add_column("end (incl.)", no_wrap=True)
        table.add_column("size", justify="right", no_wrap=True)
        table.add_column("name", no_wrap=True)
        table.add_column("meaning")
        for p in items:
            table.add_row(fmt_addr(p["start"], pbits), fmt_addr(p["end"] - 1, pbits), fmt_size(p["end"] - p["start"]),
                          Text(p["name"], style=kind(p["kind"]).colour), p["description"])
        parts += [table, Text()]
    table = Table(box=None, pad_edge=False, header_style="bold", title="virtual -> physical", title_justify="left",
                  title_style="bold")
    table.add_column("virtual", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column("physical", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("region", no_wrap=True)
    for c in data["correspondence"]:
        v = c["virtual"]
        table.add_row(f"{fmt_addr(v['start'], bits)}-{fmt_addr(v['end'] - 1, bits)}", "->",
                      f"{fmt_addr(c['phys_start'], pbits)}-{fmt_addr(c['phys_end'] - 1, pbits)}",
                      fmt_size(c["phys_end"] - c["phys_start"]), Text(v["name"], style=kind(v["kind"]).colour))
    parts.append(table)
    highmem = [p for p in data["ranges"] if p["kind"] == "highmem"]
    for p in highmem:
        parts.append(Text(f"\n{p['name']} {fmt_addr(p['start'], pbits)}-{fmt_addr(p['end'] - 1, pbits)} has no "
                          "virtual alias: the kernel maps its pages only for a moment (kmap, kmap_local_page).",
                          style="yellow"))
    return Group(*parts)


DIFF_STYLES = {"same": "dim", "moved": "yellow", "only in A": "red", "only in B": "green"}


def diff_cells(row, bits: int) -> tuple[Text, str, str, str, str]:
    """One diff row as table cells, shared by `vaslayout diff` and the map's `d`."""

    def span(lo: int | None, hi: int | None) -> str:
        return "-" if lo is None or hi is None else f"{fmt_addr(lo, bits)}-{fmt_addr(hi - 1, bits)}"

    change = row.size_change
    return (Text(row.status, style=DIFF_STYLES.get(row.status, "")), " > ".join(row.path),
            span(row.a_start, row.a_end), span(row.b_start, row.b_end),
            "" if not change else ("+" if change > 0 else "-") + fmt_size(abs(change)))


def diff_table(a: Layout, b: Layout, rows) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("status", no_wrap=True)
    table.add_column("region")
    table.add_column(a.id, no_wrap=True)
    table.add_column(b.id, no_wrap=True)
    table.add_column("size change", justify="right", no_wrap=True)
    for r in rows:
        table.add_row(*diff_cells(r, a.address_bits))
    return table
