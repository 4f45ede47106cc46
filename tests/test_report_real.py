"""The acceptance test of `explain`: 26 real syzkaller crash reports, every address annotated.

tests/data/reports/syzkaller-reports.yaml (source in its header and per entry).
The scoring is benchmarks/report_score.py's own, so the figure it prints and
the one tested here cannot drift apart.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

from vaslayout.report import explain_text, layout_loader, to_json

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "reports" / "syzkaller-reports.yaml"
REPORTS = yaml.safe_load(DATA.read_text())["reports"]


def _scorer():
    spec = importlib.util.spec_from_file_location("report_score", ROOT / "benchmarks" / "report_score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_check_passes_and_kaslr_dependent_regions_reach_90_percent():
    scorer = _scorer()
    tally, misses, _ = scorer.evaluate(cli=False)
    assert scorer.failing(tally) == [], misses
    assert tally["found"][1] == sum(len(r["addresses"]) for r in REPORTS)


@pytest.mark.parametrize("entry", [r for r in REPORTS if any(
    a["expect"].get("kasan_oracle") == "kernel-printed" for a in r["addresses"])], ids=lambda r: r["id"])
def test_the_kernels_kasan_line_is_reproduced_exactly(entry):
    doc = to_json(explain_text(entry["report"], layout_loader()), entry["id"])
    fault = next(a for a in doc["reports"][0]["addresses"] if a["role"] == "fault")
    printed = doc["reports"][0]["kernel_kasan_line"]
    assert fault["kasan"]["matches_kernel_line"] is True
    assert fault["kasan"]["range"] == printed["range"]
    assert fault["kasan"]["text"] == printed["text"]
    # and the line as the kernel formats it is in the report, character for character
    assert fault["kasan"]["line"] in entry["report"]


def test_a_second_oops_in_one_log_is_explained_apart():
    entry = next(r for r in REPORTS if r["id"] == "syz-364-pf-vmalloc-top")
    doc = to_json(explain_text(entry["report"], layout_loader()), "364")
    assert [r["thread"] for r in doc["reports"]] == ["T26603", "T7815"]
    second = doc["reports"][1]["addresses"][0]
    assert (second["address"], second["role"], second["region"]["kind"]) == ("0xffffe9048f3cce38", "fault", "hole")
    assert doc["reports"][1]["kernel"] == doc["reports"][0]["kernel"]  # one kernel: its version holds for both


def test_interleaved_lines_of_another_task_stay_out_of_the_report():
    entry = next(r for r in REPORTS if r["id"] == "syz-536-arm64-kasan-old")
    doc = to_json(explain_text(entry["report"], layout_loader()), "536")
    rep = doc["reports"][0]
    assert rep["thread"] == "T6604"
    lines = entry["report"].splitlines()
    assert all("T4436" not in lines[n - 1] for n in range(rep["first_line"], rep["last_line"] + 1)
               if any(a["line"] == n for a in rep["addresses"]))
    assert rep["kasan"]["offset"] == "0xdfffa00000000000"  # x21 holds this 5.4-5.10 kernel's shadow offset


def test_stale_cr2_after_a_gp_and_the_bad_pointer_linked():
    entry = next(r for r in REPORTS if r["id"] == "syz-512-gpf-user")
    rep = to_json(explain_text(entry["report"], layout_loader()), "512")["reports"][0]
    by_addr = {a["address"]: a for a in rep["addresses"]}
    assert "stale" in by_addr["0x0000001b3022b000"]["note"]
    assert "bad pointer" in by_addr["0x00000000161ff7d0"]["note"]
    assert "reg R13" in by_addr["0xdffffc0000000000"]["roles"]
    assert "KASAN_SHADOW_OFFSET itself" in by_addr["0xdffffc0000000000"]["note"]


def test_pre_4_20_direct_map_and_the_ldt_bit_flip():
    old = next(r for r in REPORTS if r["id"] == "syz-0-pf-oldmap")
    rep = to_json(explain_text(old["report"], layout_loader()), "0")["reports"][0]
    fault = rep["addresses"][0]
    assert fault["region"]["kind"] == "direct-map" and "v4.20" in fault["region"]["why"]
    new = next(r for r in REPORTS if r["id"] == "syz-459-pf-ldt-bitflip")
    rep = to_json(explain_text(new["report"], layout_loader()), "459")["reports"][0]
    fault = rep["addresses"][0]
    assert fault["region"]["kind"] == "ldt"
    assert any("bit 39" in link for link in fault["links"])


def test_arm64_tag_based_kasan_from_the_kernels_line():
    entry = next(r for r in REPORTS if r["id"] == "syz-734-arm64-swtags")
    rep = to_json(explain_text(entry["report"], layout_loader()), "734")["reports"][0]
    assert rep["kasan"]["mode"] == "sw-tags"
    assert rep["kasan"]["offset"] == "0xefff800000000000" and rep["kasan"]["scale_shift"] == 4


def test_a_kernel_without_a_layout_here_says_so():
    entry = next(r for r in REPORTS if r["id"] == "syz-45-arm64-poison")
    rep = to_json(explain_text(entry["report"], layout_loader()), "45")["reports"][0]
    assert rep["layout"] is None
    assert any("no layout" in c["text"] for c in rep["evidence"])
    fault = rep["addresses"][0]
    assert "LIST_POISON1" in fault["note"]


def test_tagged_linear_map_pointers_of_a_52_bit_kernel():
    entry = next(r for r in REPORTS if r["id"] == "syz-734-arm64-swtags")
    rep = to_json(explain_text(entry["report"], layout_loader()), "734")["reports"][0]
    x24 = next(a for a in rep["addresses"] if a["address"] == "0x16f0000014accd90")
    assert (x24["canonical"], x24["half"], x24["region"]["kind"]) == (True, "kernel", "direct-map")


def test_the_whole_annotated_file_read_as_one_indented_log():
    """26 reports, two of them with a second oops, indented four spaces among YAML keys."""
    doc = to_json(explain_text(DATA.read_text(), layout_loader()), "all")
    assert len(doc["reports"]) == 28
    seen = {int(a["address"], 16) for rep in doc["reports"] for a in rep["addresses"]}
    assert all(int(a["addr"], 16) in seen for r in REPORTS for a in r["addresses"])
