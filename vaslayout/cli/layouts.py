"""Commands over a layout: list, show, lookup, validate, export, diff. None imports Textual."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from vaslayout.cli.common import (
    EXIT_USER_ERROR,
    UsageError,
    _console,
    _dump,
    _size,
    load_target,
    parse_sets,
    with_layout,
)
from vaslayout.cli.live import _show_live_json, cmd_show_physical


def cmd_list(args: argparse.Namespace) -> int:
    from vaslayout.catalog import builtin_ids, spec_for

    specs = [spec_for(i) for i in builtin_ids()]
    if args.json:
        _dump([{"id": s.id, "title": s.title, "arch": s.arch} for s in specs])
        return 0
    console = _console()
    for arch in sorted({s.arch for s in specs}):
        console.print(f"[bold]{arch}[/]")
        for s in (s for s in specs if s.arch == arch):
            console.print(f"  [cyan]{s.id:<22}[/] {s.title}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    if args.physical:
        return cmd_show_physical(args)
    if args.json and args.pid is not None and not args.layout and not args.physical_model:
        return _show_live_json(args)
    layout, _ = load_target(args)
    if args.physical_model:
        from vaslayout.teach.export import physical_model_json

        data = physical_model_json(layout)
        if args.json:
            _dump(data)
            return 0
        from vaslayout.render import physical_model_view

        _console().print(physical_model_view(layout, data))
        return 0
    if args.json:
        from vaslayout.teach.export import layout_json

        _dump(layout_json(layout), compact=len(layout.leaves) > 5000)
        return 0
    from vaslayout.render import derived_table, layout_header, layout_table

    console = _console()
    console.print(layout_header(layout))
    console.print()
    console.print(layout_table(layout, args.depth))
    derived = derived_table(layout)
    if derived is not None:
        console.print()
        console.print(derived)
    if layout.sources:
        console.print()
        console.print("[bold]sources[/] " + ", ".join(f"{s.repo} {s.file}" for s in layout.sources), style="dim")
    return 0


def cmd_lookup(args: argparse.Namespace) -> int:
    from vaslayout.core.translate import Translation, layout_names, parse_address, phys_lookup, translate

    if args.pid is not None and args.layout:  # `lookup --pid self ADDR`: no LAYOUT, so it was an address
        args.addresses.insert(0, args.layout)
        args.layout = None
    layout, pid = load_target(args)
    if not args.addresses and not args.phys:
        raise UsageError("lookup needs at least one address (or --phys PADDR)")
    names = layout_names(layout)
    pbits = layout.physical_bits or layout.address_bits
    results: list[Any] = [translate(layout, parse_address(a, layout.address_bits, decimal=args.dec, names=names))
                          for a in args.addresses]
    results += [phys_lookup(layout, parse_address(a, pbits, decimal=args.dec, names=names)) for a in args.phys]
    pages = _pages(pid, results) if pid is not None else {}
    if args.json:
        out = []
        for r in results:
            d = r.to_json()
            if pid is not None and isinstance(r, Translation):
                from vaslayout.teach.export import mapping_json, page_json

                d["mapping"] = mapping_json(r.region)
                d["page"] = page_json(pages.get(r.address))
            out.append(d)
        _dump(out)
        return 0
    from vaslayout.render import live_view, phys_view, translation_view

    console = _console()
    for i, r in enumerate(results):
        if i:
            console.print()
        if isinstance(r, Translation):
            console.print(translation_view(layout, r))
            if pid is not None:
                console.print(live_view(r.region, pages.get(r.address)))
        else:
            console.print(phys_view(layout, r))
    return 0


def _pages(pid: int, results: list[Any]) -> dict[int, Any]:
    """pagemap entries for the addresses that fall in one of the process's own mappings."""
    from vaslayout import proc
    from vaslayout.core.translate import Translation

    wanted = [r.address for r in results
              if isinstance(r, Translation) and r.region is not None and r.region.mapping is not None
              and r.region.kind != "vsyscall"]
    return {p.vaddr: p for p in proc.read_pagemap(pid, wanted)} if wanted else {}


def cmd_validate(args: argparse.Namespace) -> int:
    from vaslayout.catalog import load
    from vaslayout.core.loader import LayoutError

    failed = 0
    for path in args.files:
        if _is_tour_file(path):
            failed += _validate_tour(path)
            continue
        try:
            layout = load(path if "/" in path or path.endswith((".yaml", ".yml")) else f"./{path}")
        except LayoutError as exc:
            print(exc, file=sys.stderr)
            failed += 1
        else:
            print(f"{path}: ok: {layout.id}, {len(layout.leaves)} leaf regions")
    return EXIT_USER_ERROR if failed else 0


def _is_tour_file(path: str) -> bool:
    """A tour has `steps:` at the top level; a layout has `regions:`."""
    if not os.path.isfile(path):  # a FIFO or a device: the layout loader reports it without blocking
        return False
    try:
        with open(path, "rb") as f:
            head = f.read(65536)
    except OSError:
        return False
    return any(line.startswith(b"steps:") for line in head.splitlines())


def _validate_tour(path: str) -> int:
    from vaslayout.core.loader import LayoutError
    from vaslayout.teach import tours

    try:
        tour = tours.load_tour(path)
        tours.validate_tour(tour)
    except LayoutError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"{path}: ok: tour {tour.id}, {len(tour.steps)} steps")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from vaslayout.catalog import load

    overrides = parse_sets(args.set)
    layout = load(args.layout, overrides)
    if args.format == "svg":
        from pathlib import Path

        from vaslayout.session import Session
        from vaslayout.tui.screenshot import screenshot

        session = Session.for_layout(args.layout, overrides)
        out = screenshot(session, Path(args.output or f"{layout.id}.svg"), _size(args.size))
        print(out)
        return 0
    if args.format == "md":
        from vaslayout.teach.formats import to_markdown

        text = to_markdown(layout)
    elif args.format == "csv":
        from vaslayout.teach.formats import to_csv

        text = to_csv(layout)
    else:
        from vaslayout.teach.export import layout_json

        text = json.dumps(layout_json(layout), indent=2) + "\n"
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        except OSError as exc:
            raise UsageError(f"-o {args.output}: {exc.strerror or exc}") from None
        print(args.output)
    else:
        sys.stdout.write(text)
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from vaslayout.catalog import load
    from vaslayout.teach.diff import diff_layouts, diff_summary

    a, b = load(args.a), load(args.b)
    if a.address_bits != b.address_bits:
        raise UsageError(f"{a.id} is {a.address_bits}-bit and {b.id} is {b.address_bits}-bit: nothing to compare")
    every = diff_layouts(a, b)
    rows = every if args.all else [r for r in every if r.status != "same"]
    if args.json:
        _dump([{"status": r.status, "path": list(r.path), "kind": r.kind, "a": [r.a_start, r.a_end],
                "b": [r.b_start, r.b_end], "size_change": r.size_change} for r in rows])
        return 0
    from vaslayout.render import diff_table

    console = _console()
    console.print(f"[bold]{a.id} -> {b.id}[/]: {diff_summary(every)}")
    console.print(diff_table(a, b, rows))
    return 0


def add_parsers(sub: Any) -> None:
    """Register this module's commands."""
    p = sub.add_parser("list", help="list the built-in layouts")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="print a layout as a table")
    with_layout(p)
    p.add_argument("--depth", type=int, metavar="N", help="show N levels of regions")
    p.add_argument("--json", action="store_true", help="the resolved tree as JSON")
    p.add_argument("--physical", action="store_true",
                   help="the running machine's /proc/iomem, with each RAM range's direct-map alias")
    p.add_argument("--physical-model", action="store_true",
                   help="the layout's zones and which virtual range maps which physical one")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("lookup", help="what is at these addresses?")
    with_layout(p)
    p.add_argument("addresses", nargs="*", metavar="ADDR",
                   help="hex (0x optional), K..E suffixes, or an expression over the layout's names")
    p.add_argument("--phys", nargs="+", metavar="PADDR", default=[],
                   help="physical addresses: list their virtual aliases")
    p.add_argument("--dec", action="store_true", help="plain numbers are decimal, not hex")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_lookup)

    p = sub.add_parser("validate", help="check layout files, reporting file:line:column")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("export", help="a layout as Markdown (mm.rst-shaped), CSV, JSON or an SVG of the map")
    with_layout(p, pid=False)
    p.add_argument("--format", choices=("md", "csv", "json", "svg"), default="md")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    p.add_argument("--size", default="120x40", metavar="WxH", help="svg: the terminal size")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("diff", help="what differs between two layouts, region by region")
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.add_argument("--all", action="store_true", help="list the regions that are the same too")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_diff)
