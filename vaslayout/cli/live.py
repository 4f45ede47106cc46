"""Commands over the running system: detect, show --pid --json, show --physical."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import Any

from vaslayout.cli.common import (
    _console,
    _dump,
    parse_sets,
)


def _show_live_json(args: argparse.Namespace) -> int:
    """Compact, and written straight from the maps by column: no Mapping or Region per line."""
    from vaslayout import proc

    pid = proc.resolve_pid(args.pid)
    started = proc.start_time(pid)
    early = proc.ChildRead(f"/proc/{pid}/maps")
    # Another process's maps are written out on another CPU while this one imports; our own
    # are read after the imports, which map more.
    with early if pid != os.getpid() else contextlib.nullcontext():
        from vaslayout.proc import live, live_json
    table = proc.read_maps_table(pid, started=started, first=early.data)
    info = proc.detect(mappings=table.ending_above(proc.USER_4LEVEL_LIMIT))
    base = live.base_layout(info, parse_sets(args.set))
    sys.stdout.writelines(live_json.process_json(base, table, pid, live.title(base, pid, proc.comm(pid))))
    sys.stdout.write("\n")
    return 0


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
        _dump(data)
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
        _dump(data)
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
    add_capture(p)
    p.set_defaults(func=cmd_detect)
