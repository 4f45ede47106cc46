"""Where memory comes from: `kmalloc SIZE`, `demo malloc`, `show --pid P --backing`, `show --physical --buddy`.

Plain lines, no rich: these tables can be long (a process's every mapping)
and are read in terminals and pipes alike.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from vaslayout.cli.common import UsageError, _dump, add_capture
from vaslayout.core.units import fmt_size


def system_root(args: argparse.Namespace) -> str:
    """The running system, or the capture given with --capture."""
    from vaslayout.cli.live import system_root as root_of

    return root_of(args)


def _size_arg(text: str) -> int:
    """Decimal bytes, 0x hex, or K/M suffixes (4K), as layout files write them."""
    from vaslayout.core.expr import ExprError, evaluate_text

    try:
        size = evaluate_text(text[:80])
    except ExprError as exc:
        raise UsageError(f"size {text[:80]!r}: {exc}") from None
    if not 0 <= size <= 1 << 40:
        raise UsageError(f"size {text[:80]!r}: expected 0 .. 1 TiB")
    return size


def _caches(args: argparse.Namespace) -> int:
    """`kmalloc --caches`: the kmalloc caches from /proc/slabinfo by type, then the biggest other caches."""
    from vaslayout.proc.slabinfo import read_slabinfo

    caches = read_slabinfo(system_root(args))
    page = args.page_size
    kmalloc = [c for c in caches if c.kmalloc]
    others = sorted((c for c in caches if not c.kmalloc), key=lambda c: c.memory(page), reverse=True)
    if args.json:
        _dump([{"name": c.name, "kmalloc": list(c.kmalloc) if c.kmalloc else None, "objsize": c.objsize,
                "active_objs": c.active_objs, "num_objs": c.num_objs, "objperslab": c.objperslab,
                "pagesperslab": c.pagesperslab, "num_slabs": c.num_slabs, "bytes": c.memory(page)} for c in caches])
        return 0
    head = (f"{'cache':<22}{'object':>8}{'in use':>10}{'objects':>10}{'slabs':>8}{'per slab':>10}{'pages':>6}"
            f"{'memory':>12}")
    out = ["kmalloc caches (/proc/slabinfo), by type: normal, cg (__GFP_ACCOUNT), rcl (reclaimable), dma\n",
           head + "\n"]
    order = {"normal": 0, "cg": 1, "rcl": 2, "dma": 3}
    for c in sorted(kmalloc, key=lambda c: (order.get(c.kmalloc[0], 4), c.kmalloc[0], c.objsize)):
        out.append(f"{c.name:<22}{c.objsize:>8}{c.active_objs:>10}{c.num_objs:>10}{c.num_slabs:>8}"
                   f"{c.objperslab:>10}{c.pagesperslab:>6}{fmt_size(c.memory(page)):>12}\n")
    out += ["\nthe ten biggest other caches\n", head + "\n"]
    for c in others[:10]:
        out.append(f"{c.name[:21]:<22}{c.objsize:>8}{c.active_objs:>10}{c.num_objs:>10}{c.num_slabs:>8}"
                   f"{c.objperslab:>10}{c.pagesperslab:>6}{fmt_size(c.memory(page)):>12}\n")
    total = sum(c.memory(page) for c in caches)
    out.append(f"\n{len(caches)} caches, {fmt_size(total)} in slab pages; every one of them used through the "
               "direct map\n")
    sys.stdout.writelines(out)
    return 0


def cmd_kmalloc(args: argparse.Namespace) -> int:
    from vaslayout.core.kmalloc import ARCH_MIN_SIZE, kmalloc
    from vaslayout.proc.reader import ProcError

    if args.caches:
        return _caches(args)
    if not args.sizes:
        raise UsageError("kmalloc needs a SIZE (or --caches for the running kernel's slab caches)")
    min_size, min_source = ARCH_MIN_SIZE[args.arch]
    if args.min_size is not None:
        if args.min_size < 8 or args.min_size & (args.min_size - 1):
            raise UsageError(f"--min-size {args.min_size}: expected a power of two, at least 8")
        min_size, min_source = args.min_size, "--min-size"
    if args.cpus < 1 or args.page_size not in (4096, 16384, 65536):
        raise UsageError("--cpus must be at least 1 and --page-size 4096, 16384 or 65536")
    sizes = [_size_arg(s) for s in args.sizes]
    live: dict[str, Any] = {}
    note = None
    if args.capture is not None or (args.arch == "x86_64" and args.min_size is None):  # the kernel's own caches
        from vaslayout.proc.slabinfo import read_slabinfo

        try:
            live = {c.name: c for c in read_slabinfo(system_root(args))}
        except ProcError as exc:
            note = str(exc)
    answers = [kmalloc(s, min_size, args.page_size, args.cpus) for s in sizes]
    if args.json:
        _dump([{"size": a.size, "cache": a.cache, "object_size": a.object_size, "index": a.index,
                "large": a.index < 0, "objects_per_slab": a.objects_per_slab, "pages_per_slab": a.pages_per_slab,
                "slab_order": a.slab_order, "min_size": a.min_size, "page_size": a.page_size, "cpus": a.nr_cpus,
                "this_machine": ({"objperslab": live[a.cache].objperslab, "pagesperslab": live[a.cache].pagesperslab,
                                  "num_objs": live[a.cache].num_objs, "active_objs": live[a.cache].active_objs}
                                 if a.cache in live else None),
                "explanation": a.sentence()} for a in answers])
        return 0
    out = sys.stdout
    out.write(f"assumed: {args.arch}, KMALLOC_MIN_SIZE {min_size} ({min_source}), {args.page_size // 1024} KiB "
              f"pages, SLUB with {args.cpus} CPUs (--arch, --min-size, --page-size, --cpus)\n")
    for a in answers:
        out.write(f"\nkmalloc({a.size})\n")
        if a.cache:
            out.write(f"  cache      {a.cache}  (object {a.object_size} B, {a.wasted} B unused)\n"
                      f"  slab       {a.objects_per_slab} objects in {a.pages_per_slab} page(s), order "
                      f"{a.slab_order}\n")
            c = live.get(a.cache)
            if c is not None:
                same = (c.objperslab, c.pagesperslab) == (a.objects_per_slab, a.pages_per_slab)
                out.write(f"  the kernel's  {c.active_objs} of {c.num_objs} objects in use, {c.num_slabs} slabs; "
                          f"{c.objperslab} per slab of {c.pagesperslab} page(s)"
                          f"{'' if same else ' (differs: slub_min_objects or slub_max_order set at boot?)'}\n")
        elif a.index < 0:
            out.write(f"  pages      {a.pages_per_slab} (order {a.slab_order}) from the page allocator\n")
        out.write(f"  {a.sentence()}\n")
    if note:
        out.write(f"\n(the running kernel's caches not shown: {note})\n")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from vaslayout.teach.malloc_demo import run_demo

    if not args.print:
        return _demo_app()
    for i, snap in enumerate(run_demo()):
        if i:
            sys.stdout.write("\n")
        sys.stdout.write("\n".join(snap.lines()) + "\n")
        sys.stdout.flush()
    return 0


def _demo_app() -> int:
    """The map on the demo's child process; n runs each step (tui/demo.py)."""
    from vaslayout.cli.common import require_terminal
    from vaslayout.cli.interactive import run_session
    from vaslayout.session import Opening, Session
    from vaslayout.sources import LiveSource
    from vaslayout.teach.malloc_demo import MallocDemo

    require_terminal("demo")  # before the child starts
    with MallocDemo() as demo:
        return run_session(Session(LiveSource(demo.pid), opening=Opening(demo=demo)), command="demo")


def show_backing(args: argparse.Namespace) -> int:
    """`show --pid P --backing`: pmap -X's counters per mapping, and the totals by what backs them."""
    from vaslayout import proc
    from vaslayout.proc.smaps import read_smaps, totals

    root = system_root(args)
    pid = proc.resolve_pid(args.pid, root)
    rows = read_smaps(pid, root)
    if args.json:
        t = totals(rows)
        sys.stdout.write(json.dumps({
            "pid": pid, "totals": {"size": t.size, "rss": t.rss, "pss": t.pss, "anonymous": t.anonymous,
                                   "page_cache": t.page_cache, "swap": t.swap},
            "mappings": [{"start": hex(b.mapping.start), "end": hex(b.mapping.end), "perms": b.mapping.perms,
                          "name": b.mapping.name, "backing": b.backing, "size": b["Size"], "rss": b.rss,
                          "pss": b["Pss"], "anonymous": b.anonymous, "page_cache": b.page_cache, "swap": b.swap,
                          "anon_huge": b["AnonHugePages"], "thp_eligible": b.thp_eligible,
                          "vmflags": list(b.vmflags)} for b in rows]}, separators=(",", ":")) + "\n")
        return 0
    w = 16 if any(b.mapping.end > 1 << 32 for b in rows) else 8
    kb = lambda n: f"{n // 1024:>9}"  # noqa: E731 - pmap prints kB
    out = [f"{pid}:   {proc.comm(pid, root)}\n",
           f"{'Address':>{w}} Perm {'Size':>9} {'Rss':>9} {'Pss':>9} {'Anon':>9} {'Cache':>9} {'Swap':>9} "
           f"{'AnonHuge':>9} THP  Backing    Mapping\n"]
    for b in rows:
        out.append(f"{b.mapping.start:0{w}x} {b.mapping.perms} {kb(b['Size'])} {kb(b.rss)} {kb(b['Pss'])} "
                   f"{kb(b.anonymous)} {kb(b.page_cache)} {kb(b.swap)} {kb(b['AnonHugePages'])} "
                   f"{'yes' if b.thp_eligible else 'no ':<4} {b.backing:<10} {b.mapping.name}\n")
    t = totals(rows)
    out.append(f"{'':>{w}} {'':4} {kb(t.size)} {kb(t.rss)} {kb(t.pss)} {kb(t.anonymous)} {kb(t.page_cache)} "
               f"{kb(t.swap)} KB total\n")
    out.append(f"{t.sentence()}\n")
    sys.stdout.writelines(out)
    return 0


def show_buddy(args: argparse.Namespace) -> int:
    """`show --physical --buddy`: the page allocator's free blocks per zone and order, with the watermarks."""
    from vaslayout.proc.buddyinfo import read_buddyinfo

    zones = read_buddyinfo(system_root(args))
    page = 4096
    if args.json:
        _dump([{"node": z.node, "zone": z.zone, "free": list(z.free), "free_pages": z.free_pages(),
                "watermarks": dict(zip(("min", "low", "high"), z.watermarks, strict=True)) if z.watermarks else None,
                "managed": z.managed, "by_type": {t: list(c) for t, c in z.by_type}} for z in zones])
        return 0
    orders = max((len(z.free) for z in zones), default=11)
    head = "".join(f"{fmt_size(page << o):>8}" for o in range(orders))
    lines = ["free blocks per order (/proc/buddyinfo); a block of order n is 2^n contiguous pages\n",
             f"{'zone':<14}{head}  {'free':>10}\n"]
    for z in zones:
        lines.append(f"{f'{z.node}:{z.zone}':<14}" + "".join(f"{n:>8}" for n in z.free)
                     + f"  {fmt_size(z.free_pages() * page):>10}\n")
        if z.watermarks:
            mn, low, high = (fmt_size(x * page) for x in z.watermarks)
            managed = f", {fmt_size(z.managed * page)} managed" if z.managed else ""
            lines.append(f"{'':<14}watermarks min {mn}, low {low}, high {high}{managed}\n")
        for mtype, counts in z.by_type:
            if any(counts):
                lines.append(f"{'  ' + mtype:<14}" + "".join(f"{n:>8}" for n in counts) + "\n")
    if zones and not zones[0].by_type:
        lines.append("(per migrate type: /proc/pagetypeinfo is readable by root only)\n")
    lines.append("Below 'low' kswapd starts reclaiming; below 'min' only atomic and emergency allocations succeed "
                 "(mm/page_alloc.c).\n")
    sys.stdout.writelines(lines)
    return 0


def add_parsers(sub: Any) -> None:
    """Register this module's commands."""
    p = sub.add_parser("kmalloc", help="which kmalloc cache serves SIZE bytes, and how its slabs are laid out")
    p.add_argument("sizes", nargs="*", metavar="SIZE", help="bytes (100, 4K, 0x1000)")
    p.add_argument("--caches", action="store_true",
                   help="the slab caches of the running kernel (or --capture's): /proc/slabinfo, root only")
    p.add_argument("--arch", choices=("x86_64", "x86", "arm64", "arm", "riscv"), default="x86_64")
    p.add_argument("--min-size", type=int, metavar="N", help="KMALLOC_MIN_SIZE (default: the architecture's)")
    p.add_argument("--page-size", type=int, default=4096, metavar="BYTES")
    p.add_argument("--cpus", type=int, default=os.cpu_count() or 1, metavar="N",
                   help="CPUs, for SLUB's objects per slab (default: this machine's)")
    add_capture(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_kmalloc)

    p = sub.add_parser("demo", help="demo malloc: watch glibc's malloc use brk and mmap in a live process")
    p.add_argument("demo", choices=("malloc",))
    p.add_argument("--print", action="store_true", help="print the steps as text instead of opening the map")
    p.set_defaults(func=cmd_demo)
