"""`vaslayout capture`: save what this system shows of its address space, to read later or elsewhere."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def cmd_capture(args: argparse.Namespace) -> int:
    from vaslayout.proc import capture
    from vaslayout.proc.process import resolve_pid

    pid = resolve_pid(args.pid) if args.pid is not None else None
    report = capture.collect("/", pid)
    release = os.uname().release
    out = args.output or f"vaslayout-capture-{release}.tar.gz"
    if out.endswith(os.sep) or os.path.isdir(out):
        capture.write_dir(report, out)
    else:
        capture.write_tar(report, out)
    taken = sorted(p for p in report.files if p != capture.MANIFEST)
    print(f"wrote {out}: {len(taken)} files", file=sys.stderr)
    for path, why in sorted(report.unreadable.items()):
        print(f"  not captured: {path}: {why}", file=sys.stderr)
    why = report.unreadable.get("proc/kcore", "")
    if why and os.path.exists("/proc/kcore"):
        print("  (as root the capture also holds kcore's segments and the randomized bases)", file=sys.stderr)
    elif why:
        print("  (this system has no /proc/kcore, as in a container: the bases in it are assumed, not read)",
              file=sys.stderr)
    return 0


def add_parsers(sub: Any) -> None:
    """Register the capture command."""
    p = sub.add_parser("capture", help="save this system's address-space files (iomem, kallsyms, kcore headers, "
                                       "...) as a tar.gz that --capture reads")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="where to write (default vaslayout-capture-RELEASE.tar.gz; a directory: unpacked)")
    p.add_argument("--pid", metavar="PID", help="whose maps to include (default: this process)")
    p.set_defaults(func=cmd_capture)
