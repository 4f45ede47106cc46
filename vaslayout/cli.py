"""The `vaslayout` command. Non-interactive commands never import Textual."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from vaslayout.loader import LayoutError
from vaslayout.translate import AddressError

EXIT_USER_ERROR = 2


class UsageError(ValueError):
    """A bad command-line value; str() is the one line to print."""


def parse_sets(items: Sequence[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise UsageError(f"--set {item!r}: expected NAME=VALUE, e.g. --set ram=4G")
        out[name.strip()] = value.strip()
    return out


def _console(file=None):
    from rich.console import Console

    console = Console(file=file, highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(file=file, highlight=False, width=200)  # piped: do not wrap at 80
    return console


def _dump(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


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
    from vaslayout.catalog import load

    layout = load(args.layout, parse_sets(args.set))
    if args.json:
        from vaslayout.export import layout_json

        _dump(layout_json(layout))
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
    from vaslayout.catalog import load
    from vaslayout.translate import Translation, layout_names, parse_address, phys_lookup, translate

    layout = load(args.layout, parse_sets(args.set))
    if not args.addresses and not args.phys:
        raise UsageError("lookup needs at least one address (or --phys PADDR)")
    names = layout_names(layout)
    pbits = layout.physical_bits or layout.address_bits
    results: list[Any] = [translate(layout, parse_address(a, layout.address_bits, decimal=args.dec, names=names))
                          for a in args.addresses]
    results += [phys_lookup(layout, parse_address(a, pbits, decimal=args.dec, names=names)) for a in args.phys]
    if args.json:
        _dump([r.to_json() for r in results])
        return 0
    from vaslayout.render import phys_view, translation_view

    console = _console()
    for i, r in enumerate(results):
        if i:
            console.print()
        console.print(translation_view(layout, r) if isinstance(r, Translation) else phys_view(layout, r))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from vaslayout.catalog import load

    failed = 0
    for path in args.files:
        try:
            layout = load(path if "/" in path or path.endswith((".yaml", ".yml")) else f"./{path}")
        except LayoutError as exc:
            print(exc, file=sys.stderr)
            failed += 1
        else:
            print(f"{path}: ok: {layout.id}, {len(layout.leaves)} leaf regions")
    return EXIT_USER_ERROR if failed else 0


def cmd_open(args: argparse.Namespace) -> int:
    from vaslayout.catalog import load

    layout = load(args.layout, parse_sets(args.set))  # errors surface before the screen opens
    from vaslayout.tui.app import VasLayoutApp

    VasLayoutApp(layout_name=args.layout, overrides=parse_sets(args.set), initial=layout).run()
    return 0


def _size(text: str) -> tuple[int, int]:
    w, sep, h = text.lower().partition("x")
    if not sep or not w.isdigit() or not h.isdigit() or not (20 <= int(w) <= 400 and 5 <= int(h) <= 200):
        raise UsageError(f"--size {text!r}: expected WIDTHxHEIGHT, e.g. 120x40")
    return int(w), int(h)


def cmd_compare(args: argparse.Namespace) -> int:
    from vaslayout.tui.compare import load_all

    layouts = load_all(args.layouts)  # errors surface before the screen opens
    from vaslayout.tui.app import VasLayoutApp

    VasLayoutApp(layout_name=args.layouts[0], initial=layouts[0], compare=args.layouts).run()
    return 0


def cmd_screenshot(args: argparse.Namespace) -> int:
    from pathlib import Path

    from vaslayout.catalog import load
    from vaslayout.translate import layout_names, parse_address

    overrides = parse_sets(args.set)
    layout = load(args.layout, overrides)
    size = _size(args.size)
    if args.lookup:
        parse_address(args.lookup, layout.address_bits, names=layout_names(layout))
    compare = None
    if args.compare:
        from vaslayout.tui.compare import load_all

        compare = [args.layout, *args.compare]
        load_all(compare)
    from vaslayout.tui.screenshot import screenshot

    out = screenshot(args.layout, layout, overrides, Path(args.output), size, args.lookup, compare, args.keys)
    print(out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vaslayout",
        description="See and query Linux virtual address-space layouts.",
        epilog="With no command, opens the interactive map on x86_64-4level.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def with_layout(p: argparse.ArgumentParser) -> None:
        p.add_argument("layout", metavar="LAYOUT", help="a built-in layout id or a YAML file")
        p.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a param (repeatable)")

    p = sub.add_parser("list", help="list the built-in layouts")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="print a layout as a table")
    with_layout(p)
    p.add_argument("--depth", type=int, metavar="N", help="show N levels of regions")
    p.add_argument("--json", action="store_true", help="the resolved tree as JSON")
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

    p = sub.add_parser("open", help="open the interactive map")
    with_layout(p)
    p.set_defaults(func=cmd_open)

    p = sub.add_parser("compare", help="two or three layouts side by side")
    p.add_argument("layouts", nargs="+", metavar="LAYOUT")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("screenshot", help="save an SVG of the interactive map")
    with_layout(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE.svg")
    p.add_argument("--size", default="120x40", metavar="WxH")
    p.add_argument("--lookup", metavar="ADDR", help="look this address up first")
    p.add_argument("--compare", nargs="+", metavar="LAYOUT", help="show a compare view with these layouts")
    p.add_argument("--keys", nargs="+", default=[], metavar="KEY", help="press these keys first (e.g. enter s)")
    p.set_defaults(func=cmd_screenshot)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command == "lookup" and not any(e.startswith("-") and not e[1:2].isdigit() for e in extra):
        args.addresses += extra  # addresses after an option: lookup LAYOUT --set ram=4G ADDR
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:
        args = parser.parse_args(["open", "x86_64-4level"])
    if args.command == "compare" and not 2 <= len(args.layouts) <= 3:
        parser.error("compare takes two or three layouts")
    if args.command == "show" and args.depth is not None and args.depth < 1:
        parser.error("--depth must be at least 1")
    try:
        return args.func(args)
    except (LayoutError, AddressError, UsageError) as exc:
        print(f"vaslayout: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
