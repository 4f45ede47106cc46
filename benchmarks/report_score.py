"""How well `explain` answers the real crash reports of tests/data/reports/.

tests/data/reports/syzkaller-reports.yaml holds 26 real kernel crash reports
(syzkaller's parser test data, google/syzkaller pkg/report/testdata/linux/report
@ 1e72964b) with every address annotated: canonical, half, the kernel's KASAN
decoding, the region it really was in. This script explains each report as
`vaslayout explain --json` does (the same functions; --cli runs the real
entry point instead) and prints, per check, how many answers are right:

    python benchmarks/report_score.py [--cli] [--verbose]

Regions: "user" in the file is our user-space, "kernel-image" our kernel-text.
An address marked layout_unavailable counts as right when explain says no
layout of this tool fits. Exit status 1 when an exact check (found, canonical,
half, KASAN, KASLR-independent region) misses or KASLR-dependent regions fall
below 90 %.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vaslayout.report import explain_text, layout_loader, to_json  # noqa: E402

DATA = ROOT / "tests" / "data" / "reports" / "syzkaller-reports.yaml"
ALIASES = {"user": "user-space", "kernel-image": "kernel-text"}


def explain_json(text: str, cli: bool) -> dict:
    if cli:
        done = subprocess.run([sys.executable, "-m", "vaslayout", "explain", "-", "--json"], input=text,
                              capture_output=True, text=True, cwd=ROOT, check=False)
        if done.returncode:
            return {"reports": [], "error": done.stderr.strip()}
        return json.loads(done.stdout)
    return to_json(explain_text(text, layout_loader()), "-")


def find(doc: dict, addr: int, role: str) -> tuple[dict | None, dict | None]:
    reports = doc["reports"]
    order = reports[1:] + reports[:1] if "2nd" in role else reports
    for rep in order:
        for a in rep["addresses"]:
            if int(a["address"], 16) == addr:
                return rep, a
    return None, None


def evaluate(cli: bool = False) -> tuple[dict[str, list[int]], list[str], float]:
    """{check: [right, total]}, the misses, seconds taken."""
    data = yaml.safe_load(DATA.read_text())
    tally: dict[str, list[int]] = {}
    misses: list[str] = []

    def check(name: str, ok: bool, what: str) -> None:
        t = tally.setdefault(name, [0, 0])
        t[1] += 1
        t[0] += ok
        if not ok:
            misses.append(f"{name}: {what}")

    started = time.perf_counter()
    for entry in data["reports"]:
        doc = explain_json(entry["report"], cli)
        for item in entry["addresses"]:
            addr, exp = int(item["addr"], 16), item["expect"]
            rep, got = find(doc, addr, item["role"])
            where = f"{entry['id']} {item['addr']} ({item['role']})"
            check("found", got is not None, where)
            if got is None:
                continue
            check("canonical", got["canonical"] == exp["canonical"], f"{where}: {got['canonical']}")
            check("half", got["half"] == exp["half"], f"{where}: {got['half']}")
            if "kasan_range" in exp:
                k = got["kasan"] or {}
                want = [int(x, 16) for x in exp["kasan_range"]]
                have = [int(x, 16) for x in k.get("range", [])]
                ok = have == want and k.get("kind") == exp["kasan_kind"]
                label = "kasan kernel-printed" if exp.get("kasan_oracle") == "kernel-printed" else "kasan computed"
                check(label, ok, f"{where}: {k.get('line')}")
                if exp.get("kasan_oracle") == "kernel-printed":
                    check("kasan matches_kernel_line", k.get("matches_kernel_line") is True, where)
            if "kasan_shadow_of" in exp:
                check("kasan shadow_of", got["kasan_shadow_of"] is not None
                      and int(got["kasan_shadow_of"], 16) == int(exp["kasan_shadow_of"], 16),
                      f"{where}: {got['kasan_shadow_of']}")
            if "region_kind" not in exp:
                continue
            want_kind = ALIASES.get(exp["region_kind"], exp["region_kind"])
            region = got["region"] or {}
            if exp.get("layout_unavailable"):
                ok = rep is not None and rep["layout"] is None
            else:
                ok = region.get("kind") == want_kind
            pool = "region KASLR-independent" if item["kaslr_independent"] else "region KASLR-dependent"
            check(pool, ok, f"{where}: {region.get('kind')} {region.get('candidates') or ''} want {want_kind}")
    return tally, misses, time.perf_counter() - started


def failing(tally: dict[str, list[int]]) -> list[str]:
    """The checks that fail the acceptance test: any exact miss, KASLR-dependent regions under 90 %."""
    out = []
    for name, (good, total) in tally.items():
        if name == "region KASLR-dependent":
            if total and good < 0.9 * total:
                out.append(name)
        elif good < total:
            out.append(name)
    return out


def score(cli: bool, verbose: bool) -> int:
    tally, misses, elapsed = evaluate(cli)
    failed = bool(failing(tally))
    reports = len(yaml.safe_load(DATA.read_text())["reports"])
    print(f"{reports} reports from {DATA.relative_to(ROOT)} in {elapsed:.2f} s"
          f" ({'python -m vaslayout explain' if cli else 'library'})")
    for name, (good, total) in tally.items():
        pct = 100 * good / total if total else 100.0
        print(f"  {name:28} {good:4}/{total:<4} {pct:6.1f} %")
    if misses and (verbose or failed):
        print("misses:")
        for m in misses:
            print("  " + m)
    return 1 if failed else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", action="store_true", help="run `python -m vaslayout explain - --json` per report")
    ap.add_argument("--verbose", action="store_true", help="list every miss")
    ap.add_argument("--tiny", action="store_true", help="as the default: the 26 reports are already a small run")
    args = ap.parse_args()
    return score(args.cli, args.verbose)


if __name__ == "__main__":
    sys.exit(main())
