"""Every built-in layout, resolved, against a golden copy taken from the files as they were.

The layout files are data that others rely on: refactoring them (a base and
small variants with `extends:`) must not move a single byte or change a
word, while a real-kernel fix must show up here as a deliberate change of
its golden file in the same commit. The golden holds the whole resolved
layout at its defaults (texts included) and, for every param with choices,
the regions and values under each other choice.

Regenerate after a deliberate change, then read the diff:
    python -m tests.test_layouts_golden
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from vaslayout.catalog import builtin_ids, load
from vaslayout.core.model import Layout, PhysRange, Region

GOLDEN = Path(__file__).parent / "data" / "layouts-golden"


def _region(r: Region) -> dict[str, Any]:
    out: dict[str, Any] = {"name": r.name, "kind": r.kind, "start": hex(r.start), "end": hex(r.end)}
    for key in ("id", "description", "source"):
        if getattr(r, key):
            out[key] = getattr(r, key)
    if r.synthetic:
        out["synthetic"] = True
    if r.rule is not None:
        rule = r.rule
        out["rule"] = {"name": rule.name, "phys": hex(rule.phys),
                       "limit": None if rule.limit is None else hex(rule.limit),
                       "struct_size": rule.struct_size, "first_pfn": hex(rule.first_pfn)}
    if r.children:
        out["children"] = [_region(c) for c in r.children]
    return out


def _phys(p: PhysRange) -> dict[str, Any]:
    return {"name": p.name, "kind": p.kind, "start": hex(p.start), "end": hex(p.end),
            "description": p.description, "source": p.source}


def full(layout: Layout) -> dict[str, Any]:
    """Everything the engine resolved, texts included, addresses as hex."""
    return {
        "id": layout.id, "title": layout.title, "summary": layout.summary, "arch": layout.arch,
        "address_bits": layout.address_bits, "paging": layout.paging.name,
        "params": {n: {"value": hex(p.value), "default": hex(p.default), "description": p.description,
                       "source": p.source, "choices": {hex(k): v for k, v in p.choices.items()}}
                   for n, p in layout.params.items()},
        "derived": {n: {"value": hex(d.value), "description": d.description, "source": d.source}
                    for n, d in layout.derived.items()},
        "sources": [{"file": s.file, "repo": s.repo, "commit": s.commit, "note": s.note} for s in layout.sources],
        "physical_bits": layout.physical_bits,
        "physical": [_phys(p) for p in layout.physical],
        "zones": [_phys(z) for z in layout.zones],
        "kasan": None if layout.kasan is None else {"offset": hex(layout.kasan.offset),
                                                    "scale_shift": layout.kasan.scale_shift},
        "roles": {n: hex(v) for n, v in layout.roles.items()},
        "region_roles": dict(layout.region_roles),
        "root": _region(layout.root),
    }


def numbers(layout: Layout) -> dict[str, Any]:
    """The numbers only: what a choice of a param changes."""
    return {
        "paging": layout.paging.name,
        "params": {n: hex(p.value) for n, p in layout.params.items()},
        "derived": {n: hex(d.value) for n, d in layout.derived.items()},
        "leaves": [f"{r.start:#x} {r.end:#x} {r.kind} {r.name}" for r in layout.leaves],
        "physical": [f"{p.start:#x} {p.end:#x} {p.kind} {p.name}" for p in layout.physical + layout.zones],
    }


def snapshot(layout_id: str) -> dict[str, Any]:
    base = load(layout_id)
    variants: dict[str, Any] = {}
    for name, param in base.params.items():
        for choice in param.choices:
            if choice == param.value:
                continue
            key = f"{name}={choice:#x}"
            try:
                variants[key] = numbers(load(layout_id, {name: choice}))
            except ValueError as exc:  # a combination the layout refuses: the refusal is the golden
                variants[key] = {"refused": str(exc)}
    return {"layout": full(base), "choices": variants}


def golden_path(layout_id: str) -> Path:
    return GOLDEN / f"{layout_id}.json"


def write(layout_id: str) -> None:
    golden_path(layout_id).write_text(json.dumps(snapshot(layout_id), indent=1, sort_keys=True) + "\n")


@pytest.mark.parametrize("layout_id", builtin_ids())
def test_resolved_layout_matches_its_golden(layout_id: str) -> None:
    path = golden_path(layout_id)
    assert path.exists(), f"no golden for {layout_id}: run python -m tests.test_layouts_golden"
    expected = json.loads(path.read_text())
    got = json.loads(json.dumps(snapshot(layout_id)))
    assert got["layout"] == expected["layout"]
    assert got["choices"] == expected["choices"]


def test_every_golden_belongs_to_a_layout() -> None:
    stale = sorted({p.stem for p in GOLDEN.glob("*.json")} - set(builtin_ids()))
    assert not stale, f"golden files for layouts that no longer exist: {stale}"


if __name__ == "__main__":
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for lid in sys.argv[1:] or builtin_ids():
        write(lid)
        print(golden_path(lid))
