"""Export as Markdown (in the shape of mm.rst's table) and CSV, against golden files.

The golden files live in tests/data/golden/. After a deliberate change to a
layout or to the formats, write them again with

    VASLAYOUT_UPDATE_GOLDEN=1 python -m pytest tests/test_formats.py

and read the diff before committing it.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from vaslayout.catalog import builtin_ids, load
from vaslayout.teach.formats import CSV_HEADER, doc_amount, doc_offset, doc_size, to_csv, to_markdown

GOLDEN = Path(__file__).parent / "data" / "golden"
UPDATE = os.environ.get("VASLAYOUT_UPDATE_GOLDEN") == "1"
GOLDEN_LAYOUTS = ["x86_64-4level", "x86_32-vmsplit-3g"]


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    assert path.is_file(), f"{path.name} is missing: run with VASLAYOUT_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{path.name} differs; see this file's docstring"


@pytest.mark.parametrize("layout_id", GOLDEN_LAYOUTS)
def test_markdown_golden(layout_id):
    check_golden(f"{layout_id}.md", to_markdown(load(layout_id)))


@pytest.mark.parametrize("layout_id", GOLDEN_LAYOUTS)
def test_csv_golden(layout_id):
    check_golden(f"{layout_id}.csv", to_csv(load(layout_id)))


def table_rows(md: str) -> list[list[str]]:
    rows = [line for line in md.splitlines() if line.startswith("| ") and not line.startswith("| Start addr")]
    return [[c.strip() for c in line.strip("|").split(" | ")] for line in rows]


@pytest.mark.parametrize("layout_id", builtin_ids())
def test_markdown_has_every_leaf_once_in_order(layout_id):
    layout = load(layout_id)
    rows = table_rows(to_markdown(layout))
    assert len(rows) == len(layout.leaves)
    digits = layout.address_bits // 4
    for cells, leaf in zip(rows, layout.leaves, strict=True):
        assert cells[0] == f"{leaf.start:0{digits}x}"
        assert cells[2] == f"{leaf.last:0{digits}x}"
        assert cells[4].split(" > ")[-1] == leaf.name.replace("|", "\\|")
    # the rows tile the address space: each starts where the one before ended
    starts = [int(c[0], 16) for c in rows]
    lasts = [int(c[2], 16) for c in rows]
    assert starts[0] == 0 and lasts[-1] == layout.size - 1
    assert all(s == e + 1 for s, e in zip(starts[1:], lasts[:-1], strict=True))


def test_markdown_reads_like_mm_rst():
    md = to_markdown(load("x86_64-4level"))
    lines = md.splitlines()
    assert lines[0] == "## x86-64 Linux, 4-level paging (48-bit virtual addresses)"
    assert lines[2] == "| Start addr | Offset | End addr | Size | VM area description |"
    assert ("| ffff888000000000 | -119.5 TB | ffffc87fffffffff | 64 TB "
            "| direct mapping of all physical memory |") in lines
    assert "| ffffc90000000000 | -55 TB | ffffe8ffffffffff | 32 TB | vmalloc/ioremap space |" in lines
    assert "| ffffff8000000000 | -512 GB | ffffffeeffffffff | 444 GB | unused hole |" in lines
    assert "| ffffffffff600000 | -10 MB | ffffffffff600fff | 4 kB | legacy vsyscall ABI |" in lines
    assert "| 0000800000000000 | +128 TB | 7fffffffffffffff | ~8M TB | non-canonical hole, user side |" in lines
    assert "| fffffe0000000000 | -2 TB | fffffe7fffffffff | 0.5 TB | cpu_entry_area mapping |" in lines
    assert lines[-1].startswith("Source: Documentation/arch/x86/x86_64/mm.rst (torvalds/linux@25768de50b1f), ")
    md32 = to_markdown(load("x86_32-vmsplit-3g", {"maxmem_model": "0"})).splitlines()  # the textbook MAXMEM
    # lowmem's leaves: RAM below the kernel image, the image at CONFIG_PHYSICAL_START (16 MiB), RAM above it
    assert ("| c0000000 | -1 GB | c0ffffff | 16 MB | lowmem (direct mapping of RAM) > lowmem below the kernel "
            "image |") in md32
    assert "| c1000000 | -1008 MB | c1f18fff | ~15 MB | lowmem (direct mapping of RAM) > kernel image |" in md32
    assert ("| c1f19000 | ~-993 MB | f7ffffff | ~865 MB | lowmem (direct mapping of RAM) > lowmem above the "
            "kernel image |") in md32
    assert "| 00000000 | 0 | 08047fff | ~128 MB | below the program (NULL page) |" in md32


def test_amounts_as_the_doc_writes_them():
    l4, l5 = load("x86_64-4level"), load("x86_64-5level")
    assert doc_size(l4, (1 << 64) - (1 << 48)) == "~16M TB"
    assert doc_size(l5, (1 << 64) - (1 << 57)) == "~16K PB"
    assert doc_size(l5, 1 << 48) == "0.25 PB"
    assert doc_size(l4, 1520 << 20) == "1520 MB"
    assert doc_size(l4, 4096) == "4 kB"
    assert doc_size(l4, 3) == "3 B"
    assert doc_size(l4, (1 << 63) - (1 << 47)) == "~8M TB"
    assert doc_size(l5, 8 << 50) == "8 PB"
    assert doc_offset(l4, 0) == "0"
    assert doc_offset(l4, 1 << 47) == "+128 TB"
    assert doc_offset(l4, 0xFFFFFFFFA0000000) == "-1.5 GB"
    assert doc_offset(l5, 0xFF11000000000000) == "-59.75 PB"
    assert doc_offset(l5, 0xFFDF000000000000) == "-8.25 PB"
    assert doc_offset(l4, 0x555555554000) == "~+85 TB"
    assert doc_size(l5, 0xFFFFFC0000000000 - 0xFFDF000000000000) == "8444 TB"
    units = ((" B", 0), (" kB", 10))
    assert doc_amount(1536, units) == "1.5 kB"
    assert doc_amount(1000, units) == "1000 B"


def test_csv_every_region_once_leaves_included():
    layout = load("x86_32-vmsplit-3g")
    rows = list(csv.reader(io.StringIO(to_csv(layout))))
    assert tuple(rows[0]) == CSV_HEADER
    body = rows[1:]
    regions = [r for path in layout.paths for r in path[1:]]
    distinct = list(dict.fromkeys(id(r) for r in regions))
    assert len(body) == len(distinct)
    by_path = {row[4]: row for row in body}
    lowmem = by_path["kernel space > lowmem (direct mapping of RAM)"]
    # today's MAXMEM with Debian's 32 CPUs: high_memory 0xf6bfe000 without PAE
    assert lowmem[:4] == ["0xc0000000", "0xf6bfdfff", str(0x36BF_E000), "2"]
    assert lowmem[5:8] == ["lowmem (direct mapping of RAM)", "direct-map", "lowmem"]
    idt = by_path["kernel space > cpu_entry_area > read-only IDT"]
    assert idt[:4] == ["0xff400000", "0xff400fff", "4096", "3"] and idt[7] == ""  # 32 CPUs of entry areas
    for leaf, path in zip(layout.leaves, layout.paths, strict=True):
        key = " > ".join(r.name for r in path[1:])
        assert sum(1 for row in body if row[4] == key and int(row[0], 16) == leaf.start) == 1


def test_deterministic():
    assert to_markdown(load("x86_64-5level")) == to_markdown(load("x86_64-5level"))
    assert to_csv(load("x86_64-5level")) == to_csv(load("x86_64-5level"))
