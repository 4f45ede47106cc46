"""Rich renderables and JSON for the CLI (the TUI reuses the bit-field text)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from vaslayout import rows
from vaslayout.core.kinds import kind
from vaslayout.core.model import Layout, Region
from vaslayout.core.translate import PhysLookup, Translation
from vaslayout.core.units import fmt_addr, fmt_size
from vaslayout.rows import FIELD_COLOURS, Piece, Row, param_text, region_style

__all__ = ["FIELD_COLOURS", "param_text", "region_style"]



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


def layout_table(layout: Layout, depth: int | None = None, width: int | None = None) -> Table:
    """The layout's rows; at a narrow `width` the kind column goes and names wrap, addresses are never cut."""
    items = list(rows.layout_rows(layout, depth))
    digits = max((len(r[0]) for r in items), default=0)
    size_width = max((len(r[2]) for r in items), default=0)
    kind_width = max((len(r[4]) for r in items), default=0)
    fixed = 2 * digits + size_width + 3 * 2
    with_kind = width is None or fixed + 2 + kind_width + 2 + rows.MIN_NAME <= width
    table = Table(box=None, pad_edge=False, header_style="bold", expand=False)
    table.add_column("start", no_wrap=True, min_width=digits)
    table.add_column("end (incl.)", no_wrap=True, min_width=digits)
    table.add_column("size", justify="right", no_wrap=True, min_width=size_width)
    table.add_column("region", overflow="fold")
    if with_kind:
        table.add_column("kind", no_wrap=True)
    for start, last, size, name, kind_name, style in items:
        text = Text(name, style=style)
        if name.endswith(" …"):
            text.stylize("dim", len(name) - 1)
        cells: list[RenderableType] = [start, last, size, text]
        if with_kind:
            cells.append(Text(kind_name, style=style))
        table.add_row(*cells)
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


def pieces_text(pieces: tuple[Piece, ...]) -> Text:
    """A value of rows.py as rich Text: the first piece's style for the whole, the rest added to it."""
    text = Text(pieces[0][0], style=pieces[0][1]) if pieces else Text()
    for piece, style in pieces[1:]:
        text.append(piece, style)
    return text


def address_fields(layout: Layout, addr: int, error: bool = False, ranges: bool = True) -> Text:
    """The address as coloured bit fields (rows.address_fields), for the TUI's lookup answer."""
    return pieces_text(rows.address_fields(layout, addr, error, ranges))


Rows = list[tuple[str, Text]]


def label_grid(items: Rows, gap: int = 2) -> Table:
    """Labels in bold on the left, values wrapping in their own column."""
    grid = Table.grid(padding=(0, gap))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for label, value in items:
        grid.add_row(label, value)
    return grid


def rows_view(items: list[Row]) -> Table:
    """Rows of rows.py as a rich grid."""
    return label_grid([(label, pieces_text(pieces)) for label, pieces in items])


def translation_rows(layout: Layout, t: Translation, ranges: bool = True) -> Rows:
    """rows.translation_rows as rich Text, for the TUI's details panel."""
    return [(label, pieces_text(pieces)) for label, pieces in rows.translation_rows(layout, t, ranges)]


def phys_cell(layout: Layout, t: Translation) -> Text:
    """phys with where it comes from: the region's rule, or the process's pagemap; and the RAM it assumes."""
    if t.phys is None:
        return Text("-", "dim")
    pbits = max(layout.address_bits, layout.physical_bits or 0)
    cell = Text(fmt_addr(t.phys, pbits), "bold")
    cell.append(f"  ({'from the pagemap' if t.phys_source == 'pagemap' else 'by the rule'})", "dim")
    if t.ram_covered is False and t.assumption is not None:
        cell.append(f"  beyond the assumed RAM ({t.assumption.text})", "yellow")
    return cell


def translation_view(layout: Layout, t: Translation, ranges: bool = True) -> RenderableType:
    return rows_view(rows.translation_rows(layout, t, ranges))


def phys_view(layout: Layout, p: PhysLookup) -> RenderableType:
    return rows_view(rows.phys_rows(layout, p))


def live_view(region: Region | None, page) -> RenderableType:
    """The mapping and the pagemap entry under an address of a live process."""
    return rows_view(rows.live_rows(region, page))


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
