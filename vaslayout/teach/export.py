"""The resolved layout as plain data (JSON), without rich: `show --json` stays light."""

from __future__ import annotations

from vaslayout.core.model import Layout, Region
from vaslayout.core.rules import rule_kind
from vaslayout.proc.iomem import IomemEntry
from vaslayout.proc.kernel import KernelInfo
from vaslayout.proc.pagemap import PageInfo

TYPE_CHECKING = False  # typing is for the checker only: importing it costs a short command's start-up
if TYPE_CHECKING:
    from typing import Any


def region_json(region: Region) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": region.name, "id": region.id, "kind": region.kind,
        "start": region.start, "end": region.end, "size": region.size,
    }
    if region.description:
        out["description"] = region.description
    if region.source:
        out["source"] = region.source
    if region.mapping is not None:
        out["mapping"] = mapping_json(region)
    if region.rule is not None:
        r = region.rule
        out["maps_to"] = {"rule": r.name, **rule_kind(r).fields(r)}
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


def mapping_json(region: Region | None) -> dict[str, Any] | None:
    m = region.mapping if region is not None else None
    if m is None or region is None:
        return None
    return {"name": region.name, "perms": m.perms, "offset": m.offset, "dev": m.dev, "inode": m.inode}


def page_json(page: PageInfo | None) -> dict[str, Any] | None:
    if page is None:
        return None
    return {
        "present": page.present, "swapped": page.swapped, "pfn": page.pfn, "pfn_hidden": page.pfn_hidden,
        "phys": page.phys, "file_or_shared": page.file_or_shared, "exclusive": page.exclusive,
        "soft_dirty": page.soft_dirty,
    }


def iomem_json(layout: Layout, entries: tuple[IomemEntry, ...] | list[IomemEntry]) -> list[dict[str, Any]]:
    """The iomem tree; System RAM ranges carry their virtual aliases in `layout`."""
    from vaslayout.core.translate import phys_lookup

    def one(e: IomemEntry) -> dict[str, Any]:
        out: dict[str, Any] = {"name": e.name, "start": e.start, "end": e.end}
        if e.name == "System RAM" or e.name.startswith("Kernel "):
            try:
                aliases = phys_lookup(layout, e.start).aliases
            except ValueError:
                aliases = ()
            out["aliases"] = [{"address": a.address, "region": a.path[-1].name} for a in aliases]
        if e.children:
            out["children"] = [one(c) for c in e.children]
        return out

    return [one(e) for e in entries]


def kernel_json(info: KernelInfo) -> dict[str, Any]:
    return {
        "release": info.release, "arch": info.arch, "paging": info.paging, "five_level": info.five_level,
        "la57_cpu": info.la57_cpu, "config_source": info.config_source, "config": dict(info.config),
        "ram_ranges": [list(r) for r in info.ram_ranges], "total_ram": info.total_ram,
        "text": info.text, "kaslr_offset": info.kaslr_offset, "phys_base": info.phys_base,
        "kernel_image": {k: list(v) for k, v in info.kernel_image.items()},
        "defaults": list(info.defaults), "notes": list(info.notes),
        "root": info.root, "symbols": dict(info.symbols), "zones": [list(z) for z in info.zones],
        "variables": {name: words[0] for name, words in (info.real.variables or {}).items()},
        "variables_source": info.real.variables_source,
        "kcore_segments": [{"kind": s.kind, "start": s.vaddr, "end": s.end, "phys": s.paddr}
                           for s in info.real.segments],
        "vmcoreinfo": dict(info.real.vmcoreinfo or {}),
    }


def correspondence(layout: Layout) -> list[tuple[Region, int, int]]:
    """Each linear region with the physical range it maps: (region, phys start, phys end)."""
    from vaslayout.core.translate import linear_regions

    out = []
    for r in linear_regions(layout):
        assert r.rule is not None
        span = r.size if r.rule.limit is None else min(r.size, r.rule.limit)
        if span > 0:
            out.append((r, r.rule.phys, r.rule.phys + span))
    return out


def physical_model_json(layout: Layout) -> dict[str, Any]:
    def rng(p) -> dict[str, Any]:
        return {"name": p.name, "kind": p.kind, "start": p.start, "end": p.end, "description": p.description}

    return {
        "id": layout.id,
        "physical_bits": layout.physical_bits,
        "ranges": [rng(p) for p in layout.physical],
        "zones": [rng(z) for z in layout.zones],
        "correspondence": [
            {"virtual": {"name": r.name, "kind": r.kind, "start": r.start, "end": r.start + (end - start)},
             "phys_start": start, "phys_end": end}
            for r, start, end in correspondence(layout)
        ],
    }
