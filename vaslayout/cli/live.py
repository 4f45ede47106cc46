"""Commands over the running system: detect, show --pid [--json], show --physical."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from vaslayout.cli import output
from vaslayout.cli.common import _console, _dump, add_indent, parse_sets

TYPE_CHECKING = False  # typing is for the checker only: importing it costs a short command's start-up
if TYPE_CHECKING:
    from typing import Any


def _read_process(args: argparse.Namespace, *modules: str) -> tuple[Any, ...]:
    """pid, its maps by column and the running kernel's layout; `modules` imported while cat reads the maps."""
    import importlib

    from vaslayout.proc.process import resolve_pid, start_time
    from vaslayout.proc.reader import ChildRead

    pid = resolve_pid(args.pid)
    started = start_time(pid)
    early = ChildRead(f"/proc/{pid}/maps")
    # Another process's maps are written out on another CPU while this one imports what reads and
    # places them (about as long as the copy takes); our own are read after the imports, which map more.
    with early if pid != os.getpid() else contextlib.nullcontext():
        from vaslayout import proc
        from vaslayout.proc import kernel, live, maps  # noqa: F401  (imported now, used as proc.NAME)

        for name in modules:
            importlib.import_module(name)
    table = proc.read_maps_table(pid, started=started, first=early.data)
    info = proc.detect(mappings=table.ending_above(proc.USER_4LEVEL_LIMIT))
    base = live.base_layout(info, parse_sets(args.set))
    return pid, table, base, live.title(base, pid, proc.comm(pid))


def _show_live_json(args: argparse.Namespace) -> int:
    """Compact unless --indent, and written straight from the maps' columns: no Mapping or Region per line."""
    pid, table, base, title = _read_process(args, "vaslayout.proc.live_json")
    from vaslayout.proc import live_json

    pieces = live_json.process_json(base, table, pid, title)
    if args.indent is not None:  # for people: the whole text at once, laid out
        import json

        from vaslayout import jsonout

        sys.stdout.write(jsonout.encode(json.loads("".join(pieces)), args.indent) + "\n")
        return 0
    sys.stdout.writelines(pieces)
    sys.stdout.write("\n")
    return 0


def show_process(args: argparse.Namespace) -> int:
    """`show --pid P` as pmap: a header with the kernel half in a line, a line per mapping, a total."""
    from vaslayout import pmap

    pid, table, base, title = _read_process(args, "vaslayout.pmap")
    pm = pmap.process_maps(base, table, pid, title)
    width = output.terminal_width()
    regions: list[str] = []
    if args.regions:
        from vaslayout.plain import table_lines
        from vaslayout.rows import LAYOUT_COLUMNS, layout_rows

        regions = table_lines(LAYOUT_COLUMNS, (r[:5] for r in layout_rows(base, args.depth)), right=(2,))
    if output.use_rich(len(table) + len(regions)):
        _print_process(pm, width or 80, regions)
        return 0
    for piece in pmap.process_text(pm, width, regions):
        sys.stdout.write(piece)
    return 0


def _print_process(pm: Any, width: int, regions: list[str]) -> None:
    """A small process at a terminal: the same lines, each mapping's name in the colour of its kind."""
    from rich.text import Text

    from vaslayout import pmap
    from vaslayout.core.kinds import kind

    console = _console()
    head, *rest = pmap.header_lines(pm, width)
    console.print(Text(head, style="bold"))
    for line in rest:
        console.print(Text(line), no_wrap=True, overflow="ellipsis")
    console.print()
    if regions:
        console.print(Text(regions[0], style="bold"))
        for line in regions[1:]:
            console.print(Text(line), no_wrap=True, overflow="ellipsis")
        console.print()
    lines = "\n".join(pmap.mapping_lines(pm, width)).split("\n")
    console.print(Text(lines[0], style="bold"), no_wrap=True)
    name_at = lines[0].rfind("name")
    for line, kind_name in zip(lines[1:], pmap.line_kinds(pm), strict=True):
        console.print(Text.assemble(line[:name_at], (line[name_at:], kind(kind_name).colour)),
                      no_wrap=True, overflow="ellipsis")
    console.print(Text(pmap.total_line(pm), style="bold"))
def system_root(args: argparse.Namespace) -> str:
    """"/" for the running system, or the root a --capture stands for."""
    if getattr(args, "capture", None) is None:
        return "/"
    from vaslayout.proc.capture import open_capture

    return open_capture(args.capture)


def cmd_show_physical(args: argparse.Namespace) -> int:
    from vaslayout import proc
    from vaslayout.proc import live

    root = system_root(args)
    entries = proc.read_iomem(root)
    if proc.iomem_hidden(entries):
        raise proc.ProcError("/proc/iomem shows every address as 0 to readers without CAP_SYS_ADMIN: run as root")
    info = proc.detect(root)
    layout = live.base_layout(info, parse_sets(args.set))
    from vaslayout.teach.export import iomem_json

    data = iomem_json(layout, entries)
    if args.json:
        _dump(data, args.indent)
        return 0
    from vaslayout.render import iomem_table

    console = _console()
    console.print(f"[bold]/proc/iomem[/] with direct-map aliases from {layout.id}", highlight=False)
    console.print(iomem_table(data, args.depth))
    return 0


def cmd_detect(args: argparse.Namespace) -> int:
    from vaslayout import proc

    info = proc.detect(system_root(args))
    from vaslayout.teach.export import kernel_json

    data = kernel_json(info)
    data["layout"] = _layout_choice(info)
    if args.json:
        _dump(data, args.indent)
        return 0
    from vaslayout.render import kernel_view

    _console().print(kernel_view(data))
    return 0


def _layout_choice(info: Any) -> dict[str, Any]:
    """The built-in layout and params detect's facts give, or why there is none."""
    from vaslayout.errors import UserError
    from vaslayout.proc import resolve

    try:
        choice = resolve.choose(info)
    except UserError as exc:
        return {"id": None, "why": str(exc)}
    return {"id": choice.layout_id, "overrides": choice.overrides, "not_in_layout": list(choice.unused)}


def add_parsers(sub: Any) -> None:
    """Register this module's commands."""
    from vaslayout.cli.common import add_capture

    p = sub.add_parser("detect", help="what the running kernel (or a capture's) shows of its layout, and from where")
    p.add_argument("--json", action="store_true")
    add_indent(p)
    add_capture(p)
    p.set_defaults(func=cmd_detect)
