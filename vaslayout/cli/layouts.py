"""Commands over a layout: list, show, lookup (cli.lookup), validate, export, diff. None imports Textual."""

from __future__ import annotations

import argparse
import os
import sys

from vaslayout.cli import lookup, output
from vaslayout.cli.common import (
    EXIT_USER_ERROR,
    UsageError,
    _console,
    _dump,
    _size,
    add_indent,
    load_target,
    parse_sets,
    with_layout,
)
from vaslayout.cli.live import _show_live_json, cmd_show_physical, show_process

TYPE_CHECKING = False  # typing is for the checker only: importing it costs a short command's start-up
if TYPE_CHECKING:
    from typing import Any


def cmd_list(args: argparse.Namespace) -> int:
    from vaslayout.catalog import listing

    entries = [{"id": e["id"], "title": e["title"], "arch": e["arch"]} for e in listing()]
    if args.json:
        _dump(entries, args.indent)
        return 0
    archs = sorted({str(e["arch"]) for e in entries})
    if not output.use_rich(len(entries) + len(archs)):
        lines = []
        for arch in archs:
            lines.append(arch)
            lines += [f"  {e['id']:<22} {e['title']}".rstrip() for e in entries if e["arch"] == arch]
        output.write_lines(lines)
        return 0
    console = _console()
    for arch in archs:
        console.print(f"[bold]{arch}[/]")
        for e in (e for e in entries if e["arch"] == arch):
            console.print(f"  [cyan]{e['id']:<22}[/] {e['title']}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    if args.backing or args.buddy:
        from vaslayout.cli import memory

        if args.backing and args.pid is None:
            raise UsageError("--backing reads a process's smaps: give --pid PID")
        if args.buddy and not args.physical:
            raise UsageError("--buddy goes with --physical (the page allocator's free lists)")
        return memory.show_backing(args) if args.backing else memory.show_buddy(args)
    if args.physical:
        return cmd_show_physical(args)
    live = args.pid is not None and not args.layout and not args.physical_model
    if live and args.json:
        return _show_live_json(args)
    if live:
        return show_process(args)
    layout, _ = load_target(args)
    if args.physical_model:
        from vaslayout.teach.export import physical_model_json

        data = physical_model_json(layout)
        if args.json:
            _dump(data, args.indent)
            return 0
        from vaslayout.render import physical_model_view

        _console().print(physical_model_view(layout, data))
        return 0
    if args.json:
        from vaslayout.teach.export import layout_json

        _dump(layout_json(layout), args.indent)
        return 0
    if not output.use_rich(len(layout.leaves)):
        from vaslayout.plain import layout_lines

        output.write_lines(layout_lines(layout, args.depth))
        return 0
    print_layout(layout, args.depth)
    return 0


def print_layout(layout: Any, depth: int | None) -> None:
    """The layout for a person at a terminal: styled, the table fitted to its width."""
    from vaslayout.render import derived_table, layout_header, layout_table

    console = _console()
    console.print(layout_header(layout))
    console.print()
    console.print(layout_table(layout, depth, console.width))
    derived = derived_table(layout)
    if derived is not None:
        console.print()
        console.print(derived)
    if layout.sources:
        console.print()
        console.print("[bold]sources[/] " + ", ".join(f"{s.repo} {s.file}" for s in layout.sources), style="dim")


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
        from vaslayout.session import Session
        from vaslayout.tui.screenshot import screenshot_svg

        text = screenshot_svg(Session.for_layout(args.layout, overrides), _size(args.size))
    elif args.format == "md":
        from vaslayout.teach.formats import to_markdown

        text = to_markdown(layout)
    elif args.format == "csv":
        from vaslayout.teach.formats import to_csv

        text = to_csv(layout)
    else:
        from vaslayout import jsonout
        from vaslayout.teach.export import layout_json

        text = jsonout.encode(jsonout.with_hex(layout_json(layout)), indent=2) + "\n"
    if args.output and args.output != "-":  # "-" is standard output, as everywhere
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
                "b": [r.b_start, r.b_end], "size_change": r.size_change} for r in rows], args.indent)
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
    add_indent(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="print a layout as a table")
    with_layout(p)
    p.add_argument("--depth", type=int, metavar="N", help="show N levels of regions")
    p.add_argument("--json", action="store_true", help="the resolved tree as JSON")
    add_indent(p)
    p.add_argument("--regions", action="store_true",
                   help="--pid: the running kernel's layout rows too, before the process's mappings")
    p.add_argument("--physical", action="store_true",
                   help="the running machine's /proc/iomem, with each RAM range's direct-map alias")
    p.add_argument("--physical-model", action="store_true",
                   help="the layout's zones and which virtual range maps which physical one")
    p.add_argument("--backing", action="store_true",
                   help="with --pid: what backs each mapping (smaps: anonymous, page cache, swap), as pmap -X")
    p.add_argument("--buddy", action="store_true",
                   help="with --physical: the page allocator's free blocks per zone and order (buddyinfo)")
    p.set_defaults(func=cmd_show)

    lookup.add_parsers(sub)

    p = sub.add_parser("validate", help="check layout files, reporting file:line:column")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("export", help="a layout as Markdown (mm.rst-shaped), CSV, JSON or an SVG of the map")
    with_layout(p, pid=False)
    p.add_argument("--format", choices=("md", "csv", "json", "svg"), default="md")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output ('-': stdout)")
    p.add_argument("--size", default="120x40", metavar="WxH", help="svg: the terminal size")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("diff", help="what differs between two layouts, region by region")
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.add_argument("--all", action="store_true", help="list the regions that are the same too")
    p.add_argument("--json", action="store_true")
    add_indent(p)
    p.set_defaults(func=cmd_diff)
