"""`vaslayout explain` through the real entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "reports" / "syzkaller-reports.yaml"
REPORTS = {r["id"]: r for r in yaml.safe_load(DATA.read_text())["reports"]}


def run(*args: str, stdin: str | bytes | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    data = stdin.encode() if isinstance(stdin, str) else stdin
    p = subprocess.run([sys.executable, "-m", "vaslayout", *args], cwd=ROOT, env=env, capture_output=True,
                       input=data, check=False)
    return subprocess.CompletedProcess(p.args, p.returncode, p.stdout.decode(), p.stderr.decode())


def one_line_error(p: subprocess.CompletedProcess[str]) -> str:
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert "Traceback" not in p.stderr and p.stdout == ""
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    return lines[0]


def test_json_from_a_file(tmp_path):
    f = tmp_path / "oops.txt"
    f.write_text(REPORTS["syz-510-gpf-null10"]["report"])
    p = run("explain", str(f), "--json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    rep = doc["reports"][0]
    assert rep["layout"] == "x86_64-4level" and rep["kasan"]["offset"] == "0xdffffc0000000000"
    fault = rep["addresses"][0]
    assert set(fault) >= {"address", "role", "canonical", "region", "kasan", "note"}
    assert fault["kasan"]["range"] == ["0x0000000000000010", "0x0000000000000017"]
    assert fault["kasan"]["kind"] == "null-ptr-deref" and fault["kasan"]["matches_kernel_line"] is True
    assert {a["role"] for a in rep["addresses"]} >= {"fault", "rsp", "reg GS", "cr2"}


def test_readable_output_from_stdin_annotates_under_each_address():
    p = run("explain", stdin=REPORTS["syz-664-gpf-wild-c"]["report"])
    assert p.returncode == 0, p.stderr
    out = p.stdout.splitlines()
    fault_at = next(i for i, line in enumerate(out) if "general protection fault" in line and "|" in line)
    assert "^ fault; non-canonical; KASAN: maybe wild-memory-access" in out[fault_at + 1]
    assert "= the kernel's line" in out[fault_at + 1]
    assert out[fault_at + 1].index("^") == out[fault_at].index("0xe0017c0000000006") + 2
    assert any("summary:" in line for line in out)
    assert not any("REISERFS" in line for line in out)  # the other task's lines are left out


def test_layout_override():
    p = run("explain", "-", "--json", "--layout", "x86_64-5level", stdin=REPORTS["syz-510-gpf-null10"]["report"])
    assert json.loads(p.stdout)["reports"][0]["layout"] == "x86_64-5level"


def test_unusable_input_is_one_line_and_exit_2(tmp_path):
    assert "empty input" in one_line_error(run("explain", stdin=""))
    assert "binary data" in one_line_error(run("explain", stdin=os.urandom(4096)))
    assert "no crash report" in one_line_error(run("explain", stdin="just a line\n"))
    assert "cannot read" in one_line_error(run("explain", str(tmp_path / "missing.txt")))
    assert "cannot read" in one_line_error(run("explain", str(tmp_path)))
    assert "unknown layout" in one_line_error(run("explain", "--layout", "nope", stdin=REPORTS["syz-0-pf-oldmap"]
                                                  ["report"]))


def test_the_report_package_imports_neither_textual_nor_rich():
    code = ("import sys, yaml; from vaslayout.report import explain_text, layout_loader, to_json; "
            "from vaslayout.report.text import render; "
            f"t = open({str(DATA)!r}).read(); r = yaml.safe_load(t)['reports'][0]['report']; "
            "e = explain_text(r, layout_loader()); to_json(e, 'x'); list(render(e)); "
            "print([m for m in ('textual', 'rich') if m in sys.modules])")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert p.stdout.strip() == "[]", p.stderr


def test_explain_json_never_imports_rich():
    code = ("import sys, io; sys.stdin = io.TextIOWrapper(io.BytesIO(sys.argv[1].encode())); "
            "from vaslayout.cli import main; main(['explain', '--json']); "
            "print([m for m in ('textual', 'rich') if m in sys.modules], file=sys.stderr)")
    p = subprocess.run([sys.executable, "-c", code, REPORTS["syz-0-pf-oldmap"]["report"]], cwd=ROOT,
                       capture_output=True, text=True, check=False)
    assert p.stderr.strip().endswith("[]"), p.stderr


def test_open_report_refuses_unusable_input_before_the_screen_opens(tmp_path):
    assert "cannot read" in one_line_error(run("open", "--report", str(tmp_path / "none.txt")))
    f = tmp_path / "empty.txt"
    f.write_text("nothing to see\n")
    assert "no crash report" in one_line_error(run("open", "--report", str(f)))
    old = tmp_path / "old-arm64.txt"
    old.write_text(REPORTS["syz-45-arm64-poison"]["report"])
    assert "--layout" in one_line_error(run("open", "--report", str(old)))


CAPTURES = ROOT / "tests" / "data" / "captures"  # real kernels booted in QEMU (tests/data/captures/README.md)


def test_capture_gives_the_layout():
    p = run("explain", "--capture", str(CAPTURES / "x86_64-6.12-5level-kaslr"), "--json",
            stdin=REPORTS["syz-510-gpf-null10"]["report"])
    assert p.returncode == 0, p.stderr
    rep = json.loads(p.stdout)["reports"][0]
    assert rep["layout"] == "x86_64-5level" and "ram" in rep["layout_overrides"]


def test_capture_bases_become_params():
    """A KASLR boot's bases, read through its /proc/kcore when it was captured, place the report's addresses."""
    text = ("general protection fault, probably for non-canonical address 0xdffffc0000000002: 0000 [#1] SMP KASAN\n"
            "RSP: 0018:ffff89e000114e08 EFLAGS: 00010246\n"
            "RAX: ffffd1ef80001000 RBX: ffffc90017aff6c8 RCX: 0000000000000000\n")
    p = run("explain", "--capture", str(CAPTURES / "x86_64-6.12-4level-kaslr"), "--json", stdin=text)
    assert p.returncode == 0, p.stderr
    rep = json.loads(p.stdout)["reports"][0]
    assert rep["layout_overrides"]["page_offset_base"] == "0xffff89e000000000"
    by = {a["address"]: a for a in rep["addresses"]}
    assert by["0xffff89e000114e08"]["region"]["kind"] == "direct-map"
    assert by["0xffffd1ef80001000"]["region"]["kind"] == "vmalloc"
    assert by["0xffffc90017aff6c8"]["region"]["kind"] != "vmalloc"  # the documented base: not this kernel's
    assert any(b["name"] == "page_offset_base" and b["known"] for b in rep["bases"])
