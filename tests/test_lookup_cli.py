"""`vaslayout lookup` through the real entry point: stdin, plain lines, the same words as the terminal."""

from __future__ import annotations

import io
import json
import os
import random
import re
import select
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

from vaslayout import plain, rows
from vaslayout.catalog import builtin_ids, load
from vaslayout.core.translate import phys_lookup, translate
from vaslayout.render import rows_view

ROOT = Path(__file__).resolve().parent.parent
LAYOUT = "x86_64-4level"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vaslayout", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_plain_text_is_what_rich_prints_without_styles_or_padding() -> None:
    rng = random.Random(7)
    for layout_id in builtin_ids():
        layout = load(layout_id)
        for _ in range(12):
            t = translate(layout, rng.randrange(layout.size))
            p = phys_lookup(layout, rng.randrange(1 << (layout.physical_bits or layout.address_bits)))
            for answer in (rows.translation_rows(layout, t), rows.phys_rows(layout, p)):
                console = Console(file=io.StringIO(), width=1000, record=True)
                console.print(rows_view(answer))
                assert plain.answer_text(answer) == re.sub(r" +\n", "\n", console.export_text()), layout_id


def test_piped_lookup_is_plain_lines_without_trailing_spaces() -> None:
    p = run("lookup", LAYOUT, "0xffff888000001000", "0xdffffc0000000014", "--phys", "0x1000")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert "\x1b" not in p.stdout
    assert all(line == line.rstrip() for line in lines)
    assert lines[0] == "address    0xffff888000001000"
    assert lines.count("") == 2  # a blank line between the three answers
    assert any(line.startswith("alias  0xffff888000001000") for line in lines)


def test_addresses_from_stdin_one_a_line_are_the_same_answers_as_arguments() -> None:
    addrs = ["0x1000", "ffffffff81000000", "page_offset_base + 1G", "0xdffffc0000000014"]
    by_args = run("lookup", LAYOUT, *addrs)
    by_stdin = run("lookup", LAYOUT, "-", stdin="\n".join(addrs) + "\n\n# a comment\n")
    assert by_args.returncode == by_stdin.returncode == 0, by_stdin.stderr
    assert by_stdin.stdout == by_args.stdout
    mixed = run("lookup", LAYOUT, "0x1000", "-", "--json", stdin="0x2000\n0x3000")  # no newline at the end
    assert [a["address"] for a in json.loads(mixed.stdout)] == [0x1000, 0x2000, 0x3000]


def test_a_bad_line_on_stdin_names_its_line_after_the_answers_before_it() -> None:
    p = run("lookup", LAYOUT, "-", stdin="0x1000\n\nnot-an-address!\n0x2000\n")
    assert p.returncode == 2
    assert p.stderr.startswith("vaslayout: <stdin>:3: 'not-an-address!'") and p.stderr.count("\n") == 1
    assert p.stdout.startswith("address    0x0000000000001000")
    assert "0x0000000000002000" not in p.stdout


def _read_until(fd: int, marker: bytes, seconds: float = 60) -> bytes:
    seen = b""
    deadline = time.monotonic() + seconds
    while marker not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            seen += chunk
    return seen


def test_stdin_is_answered_as_it_arrives() -> None:
    """One line in, its answer out, while stdin is still open: a pipe from a live log works."""
    child = subprocess.Popen([sys.executable, "-m", "vaslayout", "lookup", LAYOUT, "--json", "-"], cwd=ROOT,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert child.stdin is not None and child.stdout is not None
    try:
        child.stdin.write(b"0xffffffff81000000\n")
        child.stdin.flush()
        first = _read_until(child.stdout.fileno(), b"}")  # stdin is still open
        assert b'"address_hex":"0xffffffff81000000"' in first
        child.stdin.write(b"0x1000\n")
        child.stdin.close()
        rest = child.stdout.read()
    finally:
        child.wait(timeout=60)
    assert child.returncode == 0
    assert [a["address"] for a in json.loads(first + rest)] == [0xFFFFFFFF81000000, 0x1000]


def test_ten_thousand_addresses_give_ten_thousand_answers() -> None:
    rng = random.Random(3)
    addrs = [hex(rng.randrange(1 << 64)) for _ in range(10_000)]
    p = run("lookup", LAYOUT, "--json", "-", stdin="\n".join(addrs))
    assert p.returncode == 0, p.stderr
    answers = json.loads(p.stdout)
    assert [a["address_hex"] for a in answers] == addrs
    text = run("lookup", LAYOUT, "-", stdin="\n".join(addrs[:2000]))
    assert text.stdout.count("\naddress    ") == 1999


def test_json_is_compact_unless_indent_is_asked_for() -> None:
    compact = run("lookup", LAYOUT, "0x1000", "--json")
    indented = run("lookup", LAYOUT, "0x1000", "--json", "--indent", "2")
    assert compact.stdout.splitlines()[1].startswith('{"address":4096,"address_hex":"0x1000",')
    assert indented.stdout == json.dumps(json.loads(compact.stdout), indent=2) + "\n"
    bad = run("lookup", LAYOUT, "0x1000", "--json", "--indent", "x")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_every_commands_json_has_hex_twins() -> None:
    for args in (("show", LAYOUT, "--json"), ("show", LAYOUT, "--physical-model", "--json"),
                 ("diff", "x86_64-4level", "x86_64-5level", "--json"), ("lookup", LAYOUT, "--phys", "0x1000", "--json"),
                 ("export", LAYOUT, "--format", "json")):
        p = run(*args)
        assert p.returncode == 0, (args, p.stderr)
        text = p.stdout
        for key in ("start", "end", "address", "phys", "phys_start"):
            for m in re.finditer(rf'"{key}": ?(\d+)', text):
                assert f'"{key}_hex"' in text[m.end():m.end() + 40], (args, key)


def test_json_written_by_hand_is_the_usual_encoding() -> None:
    """cli.lookup.TranslationText against jsonout.encode(with_hex(to_json())), on every layout: random
    addresses, every leaf's ends, KASAN decodes and tagged pointers (arm64's kasan modes)."""
    from vaslayout import jsonout
    from vaslayout.cli.lookup import TranslationText

    rng = random.Random(19)
    cases = [(layout_id, {}) for layout_id in builtin_ids()]
    cases += [("arm64-4k-48bit", {"kasan_mode": mode}) for mode in (1, 2)]
    for layout_id, overrides in cases:
        layout = load(layout_id, overrides)
        text = TranslationText(layout)
        addresses = [rng.randrange(layout.size) for _ in range(40)]
        addresses += [a for leaf in layout.leaves for a in (leaf.start, leaf.last)]
        addresses += [a ^ (rng.randrange(256) << 56) for a in addresses[:40]]  # a tag in the top byte
        for address in addresses:
            if address >= layout.size:
                continue
            t = translate(layout, address)
            assert text(t) == jsonout.encode(jsonout.with_hex(t.to_json())), (layout_id, overrides, hex(address))
            assert text(t) == text(t)  # the second time from what it remembered


def test_lines_written_directly_are_the_rows_lines() -> None:
    """plain.TranslationLines against row_lines(translation_rows(...)), on the same addresses as above."""
    rng = random.Random(19)
    cases = [(layout_id, {}) for layout_id in builtin_ids()]
    cases += [("arm64-4k-48bit", {"kasan_mode": mode}) for mode in (1, 2)]
    for layout_id, overrides in cases:
        layout = load(layout_id, overrides)
        lines = plain.TranslationLines(layout)
        addresses = [rng.randrange(layout.size) for _ in range(40)]
        addresses += [a for leaf in layout.leaves for a in (leaf.start, leaf.last)]
        addresses += [a ^ (rng.randrange(256) << 56) for a in addresses[:40]]
        for address in addresses:
            if address >= layout.size:
                continue
            t = translate(layout, address)
            assert lines(t) == plain.row_lines(rows.translation_rows(layout, t)), (layout_id, overrides, hex(address))
            assert lines(t) == lines(t)
