"""Zones, the virtual->physical correspondence, and how highmem is reached."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from vaslayout.catalog import load as catalog_load
from vaslayout.core.physmap import kmap, kmap_local, phys_pieces
from vaslayout.core.translate import phys_lookup
from vaslayout.teach.export import physical_model_json

ROOT = Path(__file__).resolve().parent.parent
M, G = 1 << 20, 1 << 30



def load(layout_id: str, overrides: dict[str, str] | None = None):
    """The x86 32-bit figures here are the textbook ones: classic MAXMEM, Kconfig's 8 CPUs."""
    if layout_id.startswith("x86_32"):
        overrides = {"maxmem_model": "0", "nr_cpus": "8", **(overrides or {})}
    return catalog_load(layout_id, overrides)

def zones(layout) -> dict[str, tuple[int, int]]:
    return {z.name: (z.start, z.end) for z in layout.zones}


@pytest.mark.parametrize(
    ("layout_id", "ram", "expected"),
    [
        ("x86_32-vmsplit-3g", "512M", {"ZONE_DMA": (0, 16 * M), "ZONE_NORMAL": (16 * M, 512 * M)}),
        ("x86_32-vmsplit-3g", "2G", {"ZONE_DMA": (0, 16 * M), "ZONE_NORMAL": (16 * M, 896 * M),
                                     "ZONE_HIGHMEM": (896 * M, 2 * G)}),
        ("x86_32-vmsplit-3g", "8G", {"ZONE_DMA": (0, 16 * M), "ZONE_NORMAL": (16 * M, 896 * M),
                                     "ZONE_HIGHMEM": (896 * M, 4 * G)}),  # no PAE: RAM above 4 GiB is lost
        ("x86_32-vmsplit-1g", "2G", {"ZONE_DMA": (0, 16 * M), "ZONE_NORMAL": (16 * M, 2 * G)}),
        ("x86_32-vmsplit-1g", "8G", {"ZONE_DMA": (0, 16 * M), "ZONE_NORMAL": (16 * M, 2944 * M),
                                     "ZONE_HIGHMEM": (2944 * M, 4 * G)}),
        ("x86_64-4level", "2G", {"ZONE_DMA": (0, 16 * M), "ZONE_DMA32": (16 * M, 2 * G)}),
        ("x86_64-4level", "8G", {"ZONE_DMA": (0, 16 * M), "ZONE_DMA32": (16 * M, 4 * G),
                                 "ZONE_NORMAL": (4 * G, 8 * G)}),
        ("x86_64-5level", "8G", {"ZONE_DMA": (0, 16 * M), "ZONE_DMA32": (16 * M, 4 * G),
                                 "ZONE_NORMAL": (4 * G, 8 * G)}),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_zone_boundaries(layout_id: str, ram: str, expected: dict[str, tuple[int, int]]) -> None:
    assert zones(load(layout_id, {"ram": ram})) == expected


def test_pae_highmem_zone_reaches_the_ram() -> None:
    assert zones(load("x86_32-vmsplit-3g", {"ram": "8G", "pae": "1"}))["ZONE_HIGHMEM"] == (896 * M, 8 * G)


@pytest.mark.parametrize(("phys", "zone"), [(0xFFFFFF, "ZONE_DMA"), (0x1000000, "ZONE_NORMAL"),
                                            (896 * M - 1, "ZONE_NORMAL"), (896 * M, "ZONE_HIGHMEM")])
def test_lookup_phys_names_the_zone(phys: int, zone: str) -> None:
    p = phys_lookup(load("x86_32-vmsplit-3g", {"ram": "2G"}), phys)
    assert p.zone is not None and p.zone.name == zone
    assert f"in {zone}" in p.explanation


def test_pieces_tile_the_physical_space() -> None:
    layout = load("x86_32-vmsplit-3g", {"ram": "2G"})
    pieces = phys_pieces(layout)
    assert pieces[0].start == 0 and pieces[-1].end == 1 << 32
    assert all(a.end == b.start for a, b in zip(pieces, pieces[1:], strict=False))
    assert [(p.name, p.zone.name if p.zone else None) for p in pieces] == [
        ("lowmem", "ZONE_DMA"), ("lowmem", "ZONE_NORMAL"), ("highmem", "ZONE_HIGHMEM"), ("no RAM", None)]


def test_correspondence_3g_and_4level() -> None:
    three = physical_model_json(load("x86_32-vmsplit-3g", {"ram": "2G"}))
    assert [(c["virtual"]["start"], c["virtual"]["end"], c["phys_start"], c["phys_end"])
            for c in three["correspondence"]] == [(0xC000_0000, 0xF800_0000, 0, 896 * M)]
    four = physical_model_json(load("x86_64-4level", {"ram": "2G", "phys_base": "0x1000000"}))
    by_name = {c["virtual"]["name"]: c for c in four["correspondence"]}
    direct = by_name["direct mapping of all physical memory"]
    assert (direct["virtual"]["start"], direct["phys_start"], direct["phys_end"]) == (0xFFFF_8880_0000_0000, 0, 2 * G)
    text = by_name["kernel text mapping"]
    assert (text["virtual"]["start"], text["phys_start"]) == (0xFFFF_FFFF_8000_0000, 0x100_0000)


def test_kmap_takes_pkmap_slot_one_and_kmap_local_a_fixmap_slot() -> None:
    layout = load("x86_32-vmsplit-3g", {"ram": "2G"})
    t = kmap(layout, 0x6000_0123)
    assert t is not None and (t.virt, t.phys, t.slot) == (0xFF00_1000, 0x6000_0000, 1)
    assert t.region.kind == "pkmap"
    loc = kmap_local(layout, 0x6000_0123)
    assert loc is not None and (loc.slot, loc.virt) == (68, 0xFFFF_F000 - 68 * 4096)
    assert loc.region.kind == "fixmap"
    loc_cpu1 = kmap_local(layout, 0x6000_0000, cpu=1)
    assert loc_cpu1 is not None and loc_cpu1.virt == 0xFFFF_F000 - (68 + 16) * 4096


def test_kmap_with_pae_has_512_slots() -> None:
    t = kmap(load("x86_32-vmsplit-3g", {"ram": "8G", "pae": "1"}), 0x1_0000_0000)
    assert t is not None and t.virt == 0xFF60_1000 and "of 512" in t.explanation


def test_show_physical_model_cli() -> None:
    p = subprocess.run([sys.executable, "-m", "vaslayout", "show", "x86_32-vmsplit-3g", "--set", "ram=8G",
                        "--physical-model", "--json"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert [z["name"] for z in data["zones"]] == ["ZONE_DMA", "ZONE_NORMAL", "ZONE_HIGHMEM"]
    assert [r["name"] for r in data["ranges"]] == ["lowmem", "highmem"]
    text = subprocess.run([sys.executable, "-m", "vaslayout", "show", "x86_32-vmsplit-3g", "--physical-model"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60).stdout
    assert "virtual -> physical" in text and "has no virtual alias" in text
