"""export, diff and quiz through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "data" / "golden"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vaslayout", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def test_export_md_and_csv_match_the_golden_files() -> None:
    for fmt in ("md", "csv"):
        p = run("export", "x86_64-4level", "--format", fmt)
        assert p.returncode == 0, p.stderr
        assert p.stdout == (GOLDEN / f"x86_64-4level.{fmt}").read_text()


def test_export_json_and_svg(tmp_path: Path) -> None:
    p = run("export", "x86_32-vmsplit-3g", "--format", "json", "-o", str(tmp_path / "l.json"))
    assert p.returncode == 0, p.stderr
    assert json.loads((tmp_path / "l.json").read_text())["id"] == "x86_32-vmsplit-3g"
    svg = tmp_path / "map.svg"
    p = run("export", "x86_32-vmsplit-3g", "--format", "svg", "-o", str(svg), "--size", "100x30")
    assert p.returncode == 0, p.stderr
    text = svg.read_text()
    assert text.startswith("<svg") and "vmalloc" in text.replace("&#160;", " ")


def test_diff_4level_5level() -> None:
    p = run("diff", "x86_64-4level", "x86_64-5level", "--json")
    assert p.returncode == 0, p.stderr
    rows = {" > ".join(r["path"]): r for r in json.loads(p.stdout)}
    direct = rows["kernel space > direct mapping of all physical memory"]
    assert direct["status"] == "moved"
    assert (direct["a"][0], direct["b"][0]) == (0xFFFF_8880_0000_0000, 0xFF11_0000_0000_0000)
    assert "kernel space > cpu_entry_area mapping" not in rows  # same in both: left out without --all
    text = run("diff", "x86_64-4level", "x86_64-5level").stdout
    assert "15 moved" in text


def test_diff_refuses_different_widths() -> None:
    p = run("diff", "x86_64-4level", "x86_32-vmsplit-3g")
    assert p.returncode == 2 and "64-bit" in p.stderr and "Traceback" not in p.stderr


def test_quiz_print_is_seeded() -> None:
    a = run("quiz", "x86_64-4level", "--print", "--seed", "3", "--count", "5")
    b = run("quiz", "x86_64-4level", "--print", "--seed", "3", "--count", "5")
    c = run("quiz", "x86_64-4level", "--print", "--seed", "4", "--count", "5")
    assert a.returncode == 0, a.stderr
    assert a.stdout == b.stdout != c.stdout
    assert "## Answer key" in a.stdout and a.stdout.count("\n5. ") == 2  # question 5 and its answer


def test_quiz_bad_count() -> None:
    p = run("quiz", "x86_64-4level", "--print", "--count", "0")
    assert p.returncode == 2 and "--count 0" in p.stderr


def test_a_bad_param_on_a_capture_step_is_named_where_it_is_written(tmp_path: Path) -> None:
    capture = ROOT / "tests" / "data" / "captures" / "x86_64-6.12-4level-kaslr"
    tour = tmp_path / "lesson.yaml"
    tour.write_text(f"id: lesson\ntitle: T\nsteps:\n  - title: one\n    capture: {capture}\n"
                    "    params: {ram: lots}\n    caption: c\n", encoding="utf-8")
    for command in ("validate", "tour"):
        p = run(command, str(tour))
        assert p.returncode == 2 and p.stdout == "", command
        lines = p.stderr.splitlines()  # validate says it bare, the other commands after "vaslayout: "
        assert len(lines) == 1 and lines[0].endswith(f"{tour}:6:19: param 'ram': unknown name 'lots'"), p.stderr
    tour.write_text(tour.read_text().replace("ram: lots", "ram: 8G"), encoding="utf-8")
    p = run("validate", str(tour))
    assert p.returncode == 0, p.stderr
