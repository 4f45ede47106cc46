"""The `vaslayout` command. Non-interactive commands never import Textual."""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from vaslayout.errors import UserError

EXIT_USER_ERROR = 2


class UsageError(UserError, ValueError):
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


def _dump(data: Any, compact: bool = False) -> None:
    """Indented JSON for people; compact for big outputs, where only the C encoder is quick."""
    sys.stdout.write((json.dumps(data, separators=(",", ":")) if compact else json.dumps(data, indent=2)) + "\n")


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


def load_target(args: argparse.Namespace):
    """LAYOUT (a built-in id or a file) or --pid: the layout to show, and the pid if live."""
    overrides = parse_sets(args.set)
    pid_spec = getattr(args, "pid", None)
    if pid_spec is not None:
        if args.layout:
            raise UsageError("give a LAYOUT or --pid, not both")
        from vaslayout import live, procfs

        pid, maps, info = _read_live(pid_spec)
        return live.process_layout(pid, info, maps, procfs.comm(pid), overrides), pid
    if not args.layout:
        raise UsageError("give a LAYOUT (see 'vaslayout list') or --pid PID")
    from vaslayout.catalog import load

    return load(args.layout, overrides), None


def _read_live(pid_spec: str):
    from vaslayout import procfs

    pid = procfs.resolve_pid(pid_spec)
    maps = procfs.read_maps(pid, started=procfs.start_time(pid))
    return pid, maps, procfs.detect(mappings=maps)


def cmd_show(args: argparse.Namespace) -> int:
    if args.physical:
        return cmd_show_physical(args)
    if args.json and args.pid is not None and not args.layout and not args.physical_model:
        return _show_live_json(args)
    layout, _ = load_target(args)
    if args.physical_model:
        from vaslayout.export import physical_model_json

        data = physical_model_json(layout)
        if args.json:
            _dump(data)
            return 0
        from vaslayout.render import physical_model_view

        _console().print(physical_model_view(layout, data))
        return 0
    if args.json:
        from vaslayout.export import layout_json

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


def _show_live_json(args: argparse.Namespace) -> int:
    """Compact, and written straight from the maps by column: no Mapping or Region per line."""
    from vaslayout import procfs

    pid = procfs.resolve_pid(args.pid)
    started = procfs.start_time(pid)
    early = procfs.ChildRead(f"/proc/{pid}/maps")
    # Another process's maps are written out on another CPU while this one imports; our own
    # are read after the imports, which map more.
    with early if pid != os.getpid() else contextlib.nullcontext():
        from vaslayout import live, live_json
    table = procfs.read_maps_table(pid, started=started, first=early.data)
    info = procfs.detect(mappings=table.ending_above(procfs.USER_4LEVEL_LIMIT))
    base = live.base_layout(info, parse_sets(args.set))
    sys.stdout.writelines(live_json.process_json(base, table, pid, live.title(base, pid, procfs.comm(pid))))
    sys.stdout.write("\n")
    return 0


def cmd_show_physical(args: argparse.Namespace) -> int:
    from vaslayout import live, procfs
    from vaslayout.catalog import load

    entries = procfs.read_iomem()
    if procfs.iomem_hidden(entries):
        raise procfs.ProcError("/proc/iomem shows every address as 0 to readers without CAP_SYS_ADMIN: run as root")
    info = procfs.detect()
    name, overrides = live.kernel_layout(info)
    layout = load(name, {**overrides, **parse_sets(args.set)})
    from vaslayout.export import iomem_json

    data = iomem_json(layout, entries)
    if args.json:
        _dump(data)
        return 0
    from vaslayout.render import iomem_table

    console = _console()
    console.print(f"[bold]/proc/iomem[/] with direct-map aliases from {layout.id}", highlight=False)
    console.print(iomem_table(data, args.depth))
    return 0


def cmd_detect(args: argparse.Namespace) -> int:
    from vaslayout import procfs

    info = procfs.detect()
    from vaslayout.export import kernel_json

    data = kernel_json(info)
    if args.json:
        _dump(data)
        return 0
    from vaslayout.render import kernel_view

    _console().print(kernel_view(data))
    return 0


def cmd_lookup(args: argparse.Namespace) -> int:
    from vaslayout.translate import Translation, layout_names, parse_address, phys_lookup, translate

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
                from vaslayout.export import mapping_json, page_json

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
    from vaslayout.procfs import read_pagemap
    from vaslayout.translate import Translation

    wanted = [r.address for r in results
              if isinstance(r, Translation) and r.region is not None and r.region.mapping is not None
              and r.region.kind != "vsyscall"]
    return {p.vaddr: p for p in read_pagemap(pid, wanted)} if wanted else {}


def cmd_validate(args: argparse.Namespace) -> int:
    from vaslayout.catalog import load
    from vaslayout.loader import LayoutError

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
    from vaslayout import tours
    from vaslayout.loader import LayoutError

    try:
        tour = tours.load_tour(path)
        tours.validate_tour(tour)
    except LayoutError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"{path}: ok: tour {tour.id}, {len(tour.steps)} steps")
    return 0


def run_app(app) -> None:
    """Run an app whose start-up ran with the collector paused (a tenth of the time to the first frame)."""
    app.collect_after_start = not gc.isenabled()
    app.run()


def cmd_open(args: argparse.Namespace) -> int:
    layout, pid = load_target(args)  # errors surface before the screen opens
    from vaslayout.tui.app import VasLayoutApp

    name = args.layout or f"pid-{pid}"
    run_app(VasLayoutApp(layout_name=name, overrides=parse_sets(args.set), initial=layout, pid=pid,
                         present=args.present))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """The map in web browsers, through textual-serve: each visitor gets their own app."""
    import shlex

    overrides = parse_sets(args.set)
    if args.layout:
        from vaslayout.catalog import load

        load(args.layout, overrides)  # a bad layout is reported here, not in every browser tab
    if not 1 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: expected 1..65535")
    command = [sys.executable, "-m", "vaslayout", "open", args.layout or "x86_64-4level"]
    for name, value in overrides.items():
        command += ["--set", f"{name}={value}"]
    if args.present:
        command.append("--present")
    from textual_serve.server import Server

    url = f"http://{args.host}:{args.port}"
    print(f"vaslayout: serving the map at {url} (Ctrl+C stops)", flush=True)
    Server(shlex.join(command), host=args.host, port=args.port, title="vaslayout", public_url=url).serve()
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from vaslayout.catalog import load

    overrides = parse_sets(args.set)
    layout = load(args.layout, overrides)
    if args.format == "svg":
        from pathlib import Path

        from vaslayout.tui.screenshot import screenshot

        out = screenshot(args.layout, layout, overrides, Path(args.output or f"{layout.id}.svg"), _size(args.size))
        print(out)
        return 0
    if args.format == "md":
        from vaslayout.formats import to_markdown

        text = to_markdown(layout)
    elif args.format == "csv":
        from vaslayout.formats import to_csv

        text = to_csv(layout)
    else:
        from vaslayout.export import layout_json

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
    from vaslayout.diff import diff_layouts, diff_summary

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


def cmd_quiz(args: argparse.Namespace) -> int:
    from vaslayout.catalog import load
    from vaslayout.quiz import make_quiz, to_markdown

    if not 1 <= args.count <= 200:
        raise UsageError(f"--count {args.count}: expected 1..200")
    layout = load(args.layout, parse_sets(args.set))
    questions = make_quiz(layout, args.seed, args.count)
    if args.print:
        sys.stdout.write(to_markdown(layout, questions))
        return 0
    from vaslayout.tui.app import VasLayoutApp

    run_app(VasLayoutApp(layout_name=args.layout, overrides=parse_sets(args.set), initial=layout,
                         quiz=(questions, f"Quiz on {layout.id} (seed {args.seed})")))
    return 0


def cmd_tour(args: argparse.Namespace) -> int:
    from vaslayout import tours

    if args.list:
        for tid in tours.builtin_tours():
            t = tours.load_tour(tid)
            print(f"{tid:<20} {len(t.steps):>2} steps  {t.title}")
        return 0
    if not args.tour:
        raise UsageError("give a tour (see 'vaslayout tour --list') or a tour file")
    tour = tours.load_tour(args.tour)
    tours.validate_tour(tour)  # a broken step is reported now, not in front of the class
    if not 1 <= args.step <= len(tour.steps):
        raise UsageError(f"--step {args.step}: {tour.id} has steps 1..{len(tour.steps)}")
    live, pid = None, None
    if args.pid is not None:
        from vaslayout import live as live_mod
        from vaslayout import procfs

        pid = procfs.resolve_pid(args.pid)
        maps = procfs.read_maps(pid)
        live = live_mod.process_layout(pid, procfs.detect(mappings=maps), maps, procfs.comm(pid))
    from vaslayout.tours import step_view
    from vaslayout.tui.app import VasLayoutApp

    first = step_view(tour.steps[args.step - 1], live).layout
    run_app(VasLayoutApp(layout_name=tour.steps[0].layout, initial=first, pid=pid, present=args.present,
                         tour=tour, tour_live=live, tour_step=args.step - 1))
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

    run_app(VasLayoutApp(layout_name=args.layouts[0], initial=layouts[0], compare=args.layouts))
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
    options: dict[str, Any] = {"present": args.present}
    if args.tour:
        from vaslayout import tours

        tour = tours.load_tour(args.tour)
        tours.validate_tour(tour)
        if not 1 <= args.step <= len(tour.steps):
            raise UsageError(f"--step {args.step}: {tour.id} has steps 1..{len(tour.steps)}")
        options.update(tour=tour, tour_step=args.step - 1)
        layout = tours.step_view(tour.steps[args.step - 1]).layout
    if args.quiz is not None:
        from vaslayout.quiz import make_quiz

        options["quiz"] = (make_quiz(layout, args.quiz, 5), f"Quiz on {layout.id} (seed {args.quiz})")
    from vaslayout.tui.screenshot import screenshot

    out = screenshot(args.layout, layout, overrides, Path(args.output), size, args.lookup, compare, args.keys,
                     **options)
    print(out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vaslayout",
        description="See and query Linux virtual address-space layouts.",
        epilog="With no command, opens the interactive map on x86_64-4level.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def with_layout(p: argparse.ArgumentParser, pid: bool = True) -> None:
        p.add_argument("layout", metavar="LAYOUT", nargs=None if not pid else "?",
                       help="a built-in layout id or a YAML file")
        p.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a param (repeatable)")
        if pid:
            p.add_argument("--pid", metavar="PID",
                           help="a live process instead of a layout: a pid, 'self', or a command name")

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

    p = sub.add_parser("detect", help="what the running kernel shows of its layout, and from where")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_detect)

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
    p.add_argument("--present", action="store_true", help="presenter mode: big, high contrast, no footer")
    p.set_defaults(func=cmd_open)

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

    p = sub.add_parser("quiz", help="a multiple-choice quiz on a layout (--print: a handout with answers)")
    with_layout(p, pid=False)
    p.add_argument("--seed", type=int, default=1, help="the same seed gives the same quiz")
    p.add_argument("--count", type=int, default=10)
    p.add_argument("--print", action="store_true", help="Markdown questions and an answer key, for paper")
    p.set_defaults(func=cmd_quiz)

    p = sub.add_parser("tour", help="play a guided tour (n / p step through it)")
    p.add_argument("tour", metavar="NAME|FILE", nargs="?")
    p.add_argument("--list", action="store_true", help="the built-in tours")
    p.add_argument("--pid", metavar="PID", help="play the process steps on this live process")
    p.add_argument("--step", type=int, default=1, help="start at this step")
    p.add_argument("--present", action="store_true", help="presenter mode")
    p.set_defaults(func=cmd_tour)

    p = sub.add_parser("serve", help="serve the map to web browsers (textual-serve)")
    p.add_argument("layout", metavar="LAYOUT", nargs="?", help="the layout to open (default x86_64-4level)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a param (repeatable)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--present", action="store_true", help="open in presenter mode")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("compare", help="two or three layouts side by side")
    p.add_argument("layouts", nargs="+", metavar="LAYOUT")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("screenshot", help="save an SVG of the interactive map")
    with_layout(p, pid=False)
    p.add_argument("-o", "--output", required=True, metavar="FILE.svg")
    p.add_argument("--size", default="120x40", metavar="WxH")
    p.add_argument("--lookup", metavar="ADDR", help="look this address up first")
    p.add_argument("--compare", nargs="+", metavar="LAYOUT", help="show a compare view with these layouts")
    p.add_argument("--keys", nargs="+", default=[], metavar="KEY", help="press these keys first (e.g. enter s)")
    p.add_argument("--tour", metavar="NAME|FILE", help="show a tour's step (with --step)")
    p.add_argument("--step", type=int, default=1)
    p.add_argument("--quiz", type=int, metavar="SEED", help="show the first question of a quiz")
    p.add_argument("--present", action="store_true", help="presenter mode")
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
    elif args.command == "open" and args.layout is None and args.pid is None:
        args.layout = "x86_64-4level"
    if args.command == "compare" and not 2 <= len(args.layouts) <= 3:
        parser.error("compare takes two or three layouts")
    if args.command == "show" and args.depth is not None and args.depth < 1:
        parser.error("--depth must be at least 1")
    collect = gc.isenabled()
    if args.command not in ("screenshot", "serve", "export"):
        # a short run, or an app's start-up: many new objects and no garbage cycles
        # (apps resume the collector after their first frame: run_app)
        gc.disable()
    try:
        return args.func(args)
    except UserError as exc:
        print(f"vaslayout: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    finally:
        if collect:
            gc.enable()  # callers in the same process (tests) get their collector back


if __name__ == "__main__":
    raise SystemExit(main())
