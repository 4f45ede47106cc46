"""The resolved layout as plain data (JSON), without rich: `show --json` stays light."""

from __future__ import annotations

from typing import Any

from vaslayout.model import Layout, Region


def region_json(region: Region) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": region.name, "id": region.id, "kind": region.kind,
        "start": region.start, "end": region.end, "size": region.size,
    }
    if region.description:
        out["description"] = region.description
    if region.source:
        out["source"] = region.source
    if region.rule is not None:
        r = region.rule
        rule: dict[str, Any] = {"rule": r.name}
        if r.name == "linear":
            rule.update(phys=r.phys, limit=r.limit)
        elif r.name == "struct-page":
            rule["struct_size"] = r.struct_size
        out["maps_to"] = rule
    if region.children:
        out["children"] = [region_json(c) for c in region.children]
    return out


def layout_json(layout: Layout) -> dict[str, Any]:
    return {
        "id": layout.id,
        "title": layout.title,
        "arch": layout.arch,
        "address_bits": layout.address_bits,
        "paging": layout.paging.name,
        "params": {n: p.value for n, p in layout.params.items()},
        "derived": {n: d.value for n, d in layout.derived.items()},
        "physical": [{"name": p.name, "kind": p.kind, "start": p.start, "end": p.end} for p in layout.physical],
        "regions": [region_json(r) for r in layout.root.children],
        "sources": [{"file": s.file, "repo": s.repo, "commit": s.commit} for s in layout.sources],
    }
