"""explain on big inputs: a 50 MB log with one oops, a 10^6-character line, 10^5 oops lines.

The reader finds oops lines with str.find (C speed) and reads only a bounded
window after each, so the time should grow with the size of the log, not
with its lines, and a huge log should cost well under a second per 50 MB.
Prints seconds and MB/s per case and the ratio of per-MB cost between a
50 MB and a 5 MB log (should stay near 1).

    python benchmarks/report_speed.py [--mb 50]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vaslayout.report import ReportError, explain_text, layout_loader  # noqa: E402
from vaslayout.report.text import render  # noqa: E402

DATA = ROOT / "tests" / "data" / "reports" / "syzkaller-reports.yaml"


def _timed(text: str) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        ex = explain_text(text, layout_loader())
        lines = sum(1 for _ in render(ex))
        what = f"{len(ex.reports)} report(s), {lines} output lines"
    except ReportError as exc:
        what = f"refused: {exc}"
    return time.perf_counter() - started, what


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=50)
    ap.add_argument("--tiny", action="store_true", help="a 2 MB log, for the test that keeps this script running")
    args = ap.parse_args()
    if args.tiny:
        args.mb = 2  # and a 1 MB one beside it
    report = next(r["report"] for r in yaml.safe_load(DATA.read_text())["reports"] if r["id"] == "syz-510-gpf-null10")
    noise = "".join(f"[{i / 1000:12.6f}][ T{i % 97}] usb 1-1: new high-speed USB device number {i} using ehci-pci "
                    f"0xffff888012345678\n" for i in range(1000))

    def log(mb: int) -> str:
        n = mb * 1_000_000 // len(noise)
        return noise * (n // 2) + report + noise * (n // 2)

    small, big = log(max(1, args.mb // 10)), log(args.mb)
    cases = {
        f"{len(small) / 1e6:.0f} MB log, one oops": small,
        f"{len(big) / 1e6:.0f} MB log, one oops": big,
        "a 10^6-character line in an oops": report.replace("Workqueue: netns cleanup_net",
                                                           "Workqueue: " + "x" * 1_000_000),
        f"{args.mb} MB on one line": "a" * (args.mb * 1_000_000),
        "10^5 oops first lines": "BUG: unable to handle page fault for address: ffffc90000f3a000\n" * 100_000,
    }
    per_mb = []
    for name, text in cases.items():
        seconds, what = _timed(text)
        mb = len(text) / 1e6
        print(f"{name:40} {seconds:7.3f} s  {mb / seconds if seconds else 0:9.1f} MB/s  {what}")
        if "MB log" in name:
            per_mb.append(seconds / mb)
    print(f"per-MB cost, big log / small log: {per_mb[1] / per_mb[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
