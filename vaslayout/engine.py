"""LayoutSpec + params -> Layout: evaluate, check, sort, fill the gaps.

Names (params, derived values, region ids) are evaluated lazily and
memoised, so a file may refer forwards; a name met again while it is being
evaluated is a cycle, reported with the whole chain.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from vaslayout import expr
from vaslayout.loader import LayoutError, LayoutSpec, NamedSpec, Pos, RegionSpec, Value
from vaslayout.model import Derived, Kasan, Layout, Param, PhysRange, Region, Rule, Source
from vaslayout.paging import MODES

_ATTRS = ("start", "end", "last", "size")


def fmt(addr: int, bits: int = 64) -> str:
    return f"0x{addr:0{bits // 4}x}"


class _Env:
    """Lazily evaluated names, with cycle detection and positioned errors."""

    def __init__(self, spec: LayoutSpec, overrides: Mapping[str, Value]) -> None:
        self.spec = spec
        self.exprs: dict[str, Value] = {}
        self.kinds: dict[str, str] = {}
        self.regions: dict[str, RegionSpec] = {}
        for what, items in (("param", spec.params), ("derived value", spec.derived)):
            for item in items:
                self._claim(item.name, what, item.pos)
                self.exprs[item.name] = overrides.get(item.name, item.value)
        for region in _walk(spec.regions):
            if region.id is not None:
                self._claim(region.id, "region id", region.pos)
                self.regions[region.id] = region
        self.memo: dict[str, int] = {}
        self.active: list[str] = []

    def _claim(self, name: str, what: str, pos: Pos | None) -> None:
        if name in self.kinds:
            raise LayoutError(f"{what} {name!r} is already defined as a {self.kinds[name]}", pos)
        self.kinds[name] = what

    def names(self) -> list[str]:
        return list(self.exprs) + [f"{r}.{a}" for r in self.regions for a in _ATTRS]

    def eval(self, value: Value) -> int:
        try:
            node = expr.parse(value.text)

            def resolve(name: str, col: int) -> int:
                try:
                    return self.lookup(name)
                except KeyError:
                    hint = difflib.get_close_matches(name, self.names(), n=1)
                    tip = f" (did you mean {hint[0]!r}?)" if hint else ""
                    raise expr.ExprError(f"unknown name {name!r}{tip}", col) from None

            return expr.evaluate(node, resolve)
        except expr.ExprError as exc:
            pos = value.pos
            if exc.column is not None and "\n" not in value.text:
                pos = pos.shifted(value.quote + exc.column)
            raise LayoutError(exc.message, pos) from None

    def lookup(self, name: str) -> int:
        if name in self.memo:
            return self.memo[name]
        if name in self.active:
            chain = " -> ".join(self.active[self.active.index(name):] + [name])
            raise expr.ExprError(f"cyclic reference: {chain}")
        self.active.append(name)
        try:
            if name in self.exprs:
                result = self.eval(self.exprs[name])
            else:
                rid, _, attr = name.partition(".")
                if rid not in self.regions or attr not in _ATTRS:
                    raise KeyError(name)
                start, end = self.bounds(self.regions[rid])
                result = {"start": start, "end": end, "last": end - 1, "size": end - start}[attr]
        finally:
            self.active.pop()
        self.memo[name] = result
        return result

    def bounds(self, r: RegionSpec) -> tuple[int, int]:
        start = self.eval(r.start)
        if r.end is not None:
            end = self.eval(r.end)
        elif r.size is not None:
            end = start + self.eval(r.size)
        else:
            assert r.last is not None
            end = self.eval(r.last) + 1
        return start, end


def _walk(regions: tuple[RegionSpec, ...]):
    for r in regions:
        yield r
        yield from _walk(r.children)


def _parse_overrides(overrides: Mapping[str, str | int], spec: LayoutSpec) -> dict[str, Value]:
    known = [p.name for p in spec.params]
    out: dict[str, Value] = {}
    for name, raw in overrides.items():
        if name not in known:
            hint = difflib.get_close_matches(name, known, n=1)
            tip = f"did you mean {hint[0]!r}?" if hint else (
                "known: " + ", ".join(known) if known else "it has no params")
            raise LayoutError(f"{spec.id} has no param {name!r} ({tip})", f"--set {name}={raw}")
        out[name] = Value(str(raw), Pos(f"--set {name}", 1, 1))
    return out


def resolve(spec: LayoutSpec, overrides: Mapping[str, str | int] | None = None) -> Layout:
    env = _Env(spec, _parse_overrides(overrides or {}, spec))
    bits = spec.address_bits
    top = 1 << bits

    def build(r: RegionSpec, lo: int, hi: int, parent: str) -> Region | None:
        start, end = env.bounds(r)
        if r.kind == "hole" and start == end:
            return None
        if start >= end:
            raise LayoutError(f"{r.name!r}: start {fmt(start, bits)} is not below end {fmt(end, bits)}", r.pos)
        if start < lo or end > hi:
            if parent:
                raise LayoutError(
                    f"{r.name!r} [{fmt(start, bits)}, {fmt(end, bits)}) lies outside its parent "
                    f"{parent!r} [{fmt(lo, bits)}, {fmt(hi, bits)})", r.pos)
            raise LayoutError(
                f"{r.name!r} [{fmt(max(start, 0), bits)}, {fmt(end, bits)}) does not fit in "
                f"{bits}-bit addresses", r.pos)
        kids = _siblings([(c, build(c, start, end, r.name)) for c in r.children], start, end, bits)
        rule = None
        if r.rule is not None:
            rs = r.rule
            rule = Rule(
                rs.name,
                phys=env.eval(rs.phys) if rs.phys else 0,
                limit=env.eval(rs.limit) if rs.limit else None,
                struct_size=env.eval(rs.struct_size) if rs.struct_size else 64,
            )
            if rule.struct_size <= 0:
                raise LayoutError("struct_size must be positive", rs.pos)
        return Region(r.name, r.kind, start, end, r.id, r.description, r.source, rule, kids)

    children = _siblings([(r, build(r, 0, top, "")) for r in spec.regions], 0, top, bits)
    root = Region(spec.id, "root", 0, top, None, spec.title, "", None, children)

    params = {}
    for p in spec.params:
        params[p.name] = Param(p.name, env.lookup(p.name), env.eval(p.value), p.description, p.source, p.choices)
        if p.choices and params[p.name].value not in p.choices:
            allowed = ", ".join(f"{k} ({v})" for k, v in p.choices.items())
            raise LayoutError(f"param {p.name!r} must be one of {allowed}", _override_pos(overrides, p))
    derived = {d.name: Derived(d.name, env.lookup(d.name), d.description, d.source) for d in spec.derived}
    kasan = None
    if spec.kasan_offset is not None:
        shift = env.eval(spec.kasan_scale_shift) if spec.kasan_scale_shift else 3
        kasan = Kasan(env.eval(spec.kasan_offset), shift)
    return Layout(
        id=spec.id,
        title=spec.title,
        arch=spec.arch,
        address_bits=bits,
        paging=MODES[spec.paging],
        root=root,
        summary=spec.summary,
        origin=spec.origin,
        params=params,
        derived=derived,
        sources=tuple(Source(s.file, s.repo, s.commit, s.note) for s in spec.sources),
        physical_bits=spec.physical_bits,
        physical=_physical(env, spec),
        kasan=kasan,
    )


def _override_pos(overrides: Mapping[str, str | int] | None, p: NamedSpec) -> Pos | str | None:
    if overrides and p.name in overrides:
        return f"--set {p.name}={overrides[p.name]}"
    return p.pos


def _siblings(pairs: list[tuple[RegionSpec, Region | None]], lo: int, hi: int, bits: int) -> tuple[Region, ...]:
    """Sort, refuse overlaps, and fill the gaps between siblings with holes."""
    kept = sorted(((s, r) for s, r in pairs if r is not None), key=lambda p: p[1].start)
    if not kept:
        return ()
    out: list[Region] = []
    cursor = lo
    prev: Region | None = None
    for spec, region in kept:
        if prev is not None and region.start < prev.end:
            raise LayoutError(
                f"{region.name!r} [{fmt(region.start, bits)}, {fmt(region.end, bits)}) overlaps "
                f"{prev.name!r} [{fmt(prev.start, bits)}, {fmt(prev.end, bits)})", spec.pos)
        if region.start > cursor:
            out.append(_gap(cursor, region.start))
        out.append(region)
        cursor = region.end
        prev = region
    if cursor < hi:
        out.append(_gap(cursor, hi))
    return tuple(out)


def _gap(start: int, end: int) -> Region:
    return Region("unused", "hole", start, end, None,
                  "No region of the layout covers this range.", "", None, (), synthetic=True)


def _physical(env: _Env, spec: LayoutSpec) -> tuple[PhysRange, ...]:
    out = []
    limit = 1 << (spec.physical_bits or 64)
    for r in spec.physical:
        start, end = env.bounds(r)
        if start == end:
            continue
        if not 0 <= start < end <= limit:
            raise LayoutError(
                f"physical range {r.name!r} [{start:#x}, {end:#x}) is empty, reversed or beyond "
                f"{spec.physical_bits}-bit physical addresses", r.pos)
        out.append(PhysRange(r.name, r.kind, start, end, r.description))
    out.sort(key=lambda p: p.start)
    for a, b in zip(out, out[1:], strict=False):
        if b.start < a.end:
            raise LayoutError(f"physical range {b.name!r} overlaps {a.name!r}", spec.origin)
    return tuple(out)
