"""The resolved layout as plain data (JSON), without rich: `show --json` stays light."""

from __future__ import annotations

import json
from collections.abc import Iterator
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

from vaslayout.engine import gap
from vaslayout.live import Placement, place, with_mappings
from vaslayout.model import Layout, Region
from vaslayout.procfs import IomemEntry, KernelInfo, Mapping, PageInfo


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
        rule: dict[str, Any] = {"rule": r.name}
        if r.name == "linear":
            rule.update(phys=r.phys, limit=r.limit)
        elif r.name == "struct-page":
            rule.update(struct_size=r.struct_size, first_pfn=r.first_pfn)
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


def process_json(base: Layout, mappings: list[Mapping], pid: int, title: str) -> Iterator[str]:
    """The compact JSON of layout_json(with_mappings(...)), in pieces, without a region per mapping.

    A process can have 65,530 mappings: building each as a region, then as a
    dict, then encoding it costs several times what formatting its line of
    JSON directly does. The layout around them goes the usual way; tests hold
    the two texts equal.
    """
    p = place(base, mappings, pid)
    skeleton = with_mappings(base, [], pid, title, Placement(p.user, [], p.elsewhere))
    data = layout_json(skeleton)
    if p.user is None:
        yield json.dumps(data, separators=(",", ":"))
        return
    _find(data["regions"], p.user)["children"] = _MARK
    head, _, tail = json.dumps(data, separators=(",", ":")).partition(_MARK_JSON)
    yield head + "["
    yield from _tiled(p.user, p.inside, f"/proc/{pid}/maps")
    yield "]" + tail


_MARK = ["\x00mappings\x00"]
_MARK_JSON = json.dumps(_MARK)


def _find(regions: list[dict[str, Any]], target: Region) -> dict[str, Any]:
    for r in regions:
        if r["start"] <= target.start and target.end <= r["end"]:
            if (r["start"], r["end"], r["id"], r["name"]) == (target.start, target.end, target.id, target.name):
                return r
            return _find(r["children"], target)
    raise LookupError(target.name)


def _hole_template() -> str:
    """A hole's JSON with %d for start, end and size (the engine's hole: same name and story)."""
    hole = region_json(gap(0, 1))
    hole.update(start="\x01", end="\x02", size="\x03")
    text = json.dumps(hole, separators=(",", ":")).replace("%", "%%")
    for mark in ("\x01", "\x02", "\x03"):
        text = text.replace(json.dumps(mark), "%d")
    return text


def _tiled(user: Region, mappings: list[Mapping], source: str) -> Iterator[str]:
    """tile()'s children of `user` as JSON: the mappings in order, holes between them, comma-separated."""
    hole = _hole_template()
    src = json.dumps(source)
    names: dict[str, str] = {}
    encode = encode_basestring_ascii  # what json.dumps uses for str
    cursor = user.start
    out: list[str] = []
    append = out.append
    comma = ""  # before every piece but the first
    for m in mappings:
        s, e = m.start, m.end
        if s > cursor:
            append(hole % (cursor, s, s - cursor))
        name = names.get(m.path)
        if name is None:
            name = names[m.path] = encode(m.name)
        append(f'{{"name":{name},"id":null,"kind":"{m.kind}","start":{s},"end":{e},"size":{e - s},"source":{src},'
               f'"mapping":{{"name":{name},"perms":"{m.perms}","offset":{m.offset},"dev":"{m.dev}",'
               f'"inode":{m.inode}}}}}')
        cursor = e
        if len(out) >= 4096:
            yield comma + ",".join(out)
            out.clear()
            comma = ","
    if cursor < user.end:
        append(hole % (cursor, user.end, user.end - cursor))
    if out:
        yield comma + ",".join(out)


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
    from vaslayout.translate import phys_lookup

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
    }


def correspondence(layout: Layout) -> list[tuple[Region, int, int]]:
    """Each linear region with the physical range it maps: (region, phys start, phys end)."""
    from vaslayout.translate import linear_regions

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
