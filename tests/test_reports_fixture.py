"""Every address of 26 real crash reports through the translator.

The fixture tests/data/reports/syzkaller-reports.yaml holds kernel crash
reports as the kernel printed them, from the syzkaller project's
report-parser test data (google/syzkaller pkg/report/testdata/linux/report/,
commit 1e72964b0111319984575e60f266d1fa0a98abb5; each entry names its file),
with what is known about every address in them. For each address this test
checks the canonical rule and the half; the KASAN range and kind where the
kernel decoded one, and the kernel's own line exactly where it printed one;
and the region for the addresses whose region does not depend on KASLR.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
import yaml

from vaslayout.catalog import load
from vaslayout.core.model import Layout
from vaslayout.core.translate import Translation, translate

FIXTURE = Path(__file__).parent / "data" / "reports" / "syzkaller-reports.yaml"
REPORTS = yaml.safe_load(FIXTURE.read_text())["reports"]
KASAN_LINE = re.compile(r"KASAN: .* in range \[0x[0-9a-f]{16}-0x[0-9a-f]{16}\]")
# The table rows the fixture names, as the kinds of this tool's regions.
TABLE_KINDS = {"user": {"user-space", "user-text", "user-data", "heap", "mmap", "stack"}}


def overrides(report: dict, expect: dict) -> dict[str, str]:
    """What the report's kernel was built with, where it differs from the layout's defaults."""
    kernel = report["kernel"]
    sets = {}
    if "SW_TAGS" in kernel:
        sets["kasan_mode"] = "1"
    offset = expect.get("shadow_offset") or next(
        (a["expect"]["shadow_offset"] for a in report["addresses"] if "shadow_offset" in a["expect"]), None)
    if offset:
        sets["kasan_shadow_offset"] = offset
    return sets


@cache
def layout_for(layout_id: str, sets: tuple[tuple[str, str], ...]) -> Layout:
    return load(layout_id, dict(sets))


CASES = [
    pytest.param(report, entry, id=f"{report['id']}-{entry['addr']}-{entry['role'].replace(' ', '_')}")
    for report in REPORTS for entry in report["addresses"]
]


def run(report: dict, entry: dict) -> Translation:
    sets = overrides(report, entry["expect"])
    return translate(layout_for(report["layout"], tuple(sorted(sets.items()))), int(entry["addr"], 16))


def test_the_fixture_is_the_shared_file_unchanged() -> None:
    """26 reports, every one naming the syzkaller file it comes from."""
    assert len(REPORTS) == 26
    assert all("google/syzkaller pkg/report/testdata/linux/report/" in r["source"] for r in REPORTS)
    assert sum(len(r["addresses"]) for r in REPORTS) > 100


@pytest.mark.parametrize(("report", "entry"), CASES)
def test_canonical_and_half(report: dict, entry: dict) -> None:
    t = run(report, entry)
    assert t.canonical is entry["expect"]["canonical"]
    assert t.half == entry["expect"]["half"]


@pytest.mark.parametrize(("report", "entry"), [c for c in CASES if "kasan_range" in c.values[1]["expect"]])
def test_kasan_range_and_kind(report: dict, entry: dict) -> None:
    expect = entry["expect"]
    t = run(report, entry)
    assert t.kasan is not None
    assert [t.kasan.start, t.kasan.last] == [int(v, 16) for v in expect["kasan_range"]]
    assert t.kasan.kind == expect["kasan_kind"]
    if expect["kasan_oracle"] == "kernel-printed":
        printed = KASAN_LINE.findall(report["report"])
        assert t.kasan.printed is True
        assert t.kasan.bug == expect["kasan_text"]
        assert t.kasan.line in printed, (t.kasan.line, printed)
        assert f'"{t.kasan.line}"' in t.explanation


@pytest.mark.parametrize(("report", "entry"), [c for c in CASES if "kasan_shadow_of" in c.values[1]["expect"]])
def test_shadow_bytes_name_what_they_cover_and_claim_no_kernel_line(report: dict, entry: dict) -> None:
    """x86 prints a KASAN decode only after a #GP on a non-canonical address: not for these."""
    t = run(report, entry)
    assert t.kasan is not None and t.kasan.start == int(entry["expect"]["kasan_shadow_of"], 16)
    assert t.kasan.printed is False and t.kasan.line is None
    assert "KASAN:" not in t.explanation and "reports" not in t.explanation
    assert f"0x{t.kasan.start:016x}-0x{t.kasan.last:016x}" in t.explanation


@pytest.mark.parametrize(("report", "entry"), [
    c for c in CASES
    if c.values[1]["role"] == "fault" and "kasan_range" not in c.values[1]["expect"]
    and not KASAN_LINE.search(c.values[0]["report"])])
def test_no_kasan_line_where_the_kernel_printed_none(report: dict, entry: dict) -> None:
    t = run(report, entry)
    assert t.kasan is None or t.kasan.line is None


def _region_ok(t: Translation, want: str) -> bool:
    kinds = TABLE_KINDS.get(want, {want})
    return t.region is not None and (t.region.kind in kinds or any(r.kind in kinds for r in t.path))


@pytest.mark.parametrize(("report", "entry"), [
    c for c in CASES
    if c.values[1]["kaslr_independent"] and "region_kind" in c.values[1]["expect"]
    and not c.values[1]["expect"].get("layout_unavailable")])
def test_region_of_kaslr_independent_addresses(report: dict, entry: dict) -> None:
    t = run(report, entry)
    assert _region_ok(t, entry["expect"]["region_kind"]), [r.name for r in t.path]


@pytest.mark.parametrize(("report", "entry"), [
    c for c in CASES if "default_table_region" in c.values[1]["expect"]])
def test_default_table_row(report: dict, entry: dict) -> None:
    """With the default, non-KASLR bases every address lands in the mm.rst row the fixture names."""
    t = run(report, entry)
    assert _region_ok(t, entry["expect"]["default_table_region"]), [r.name for r in t.path]
