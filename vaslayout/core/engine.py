"""LayoutSpec + params -> Layout: evaluate, check, sort, fill the gaps.

Names (params, derived values, region ids) are evaluated lazily and
memoised, so a file may refer forwards; a name met again while it is being
evaluated is a cycle, reported with the whole chain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from vaslayout.core import expr
from vaslayout.core.kinds import kind
from vaslayout.core.loader import LayoutError, LayoutSpec, NamedSpec, Pos, RegionSpec, Value, close_matches, printable
from vaslayout.core.model import Derived, Kasan, Layout, Param, PhysRange, Region, Rule, Source
from vaslayout.core.paging import MODES
from vaslayout.core.roles import ROLES
from vaslayout.core.tiling import gap, tile  # noqa: F401  (tile: re-exported for callers)
from vaslayout.core.tiling import siblings as _siblings
from vaslayout.core.units import fmt_bound

_ATTRS = ("start", "end", "last", "size")


def fmt(addr: int, bits: int = 64) -> str:
    """An address for a message; never a number wider than the layout (units.fmt_bound)."""
    return fmt_bound(addr, bits)


def _signed(value: int, bits: int) -> str:
    """fmt() that shows a negative value as -0x..., not as 0x-..."""
    return fmt_bound(value, bits)


MAX_CHAIN = 100  # names evaluated inside one another


@dataclass(frozen=True)
class _ArgPos(Pos):
    """Where a --set value came from; printed as the argument itself."""

    def __str__(self) -> str:
        return self.file


class _Env:
    """Lazily evaluated names, with cycle detection and positioned errors.

    Every value (a param, a derived value, one bound of one region) is
    computed at most once; `active` is the chain of values being computed,
    so meeting one of them again is a cycle and the chain is its story.
    """

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
        self.memo: dict[object, int] = {}
        self.active: dict[object, str] = {}  # insertion-ordered: the chain being computed
        self.parsed: dict[int, expr.Node] = {}  # id(Value) -> tree; the spec keeps every Value alive

    def _claim(self, name: str, what: str, pos: Pos | None) -> None:
        if name in self.kinds:
            raise LayoutError(f"{what} {name!r} is already defined as a {self.kinds[name]}", pos)
        self.kinds[name] = what

    def names(self) -> list[str]:
        return list(self.exprs) + [f"{r}.{a}" for r in self.regions for a in _ATTRS]

    def eval(self, value: Value) -> int:
        try:
            node = self.parsed.get(id(value))
            if node is None:
                node = self.parsed[id(value)] = expr.parse(value.text)

            def resolve(name: str, col: int) -> int:
                try:
                    return self.lookup(name)
                except KeyError:
                    hint = close_matches(name, self.names())
                    tip = f" (did you mean {hint[0]!r}?)" if hint else ""
                    raise expr.ExprError(f"unknown name {name!r}{tip}", col) from None
                except expr.ExprError as exc:  # a cycle found by this very name
                    if exc.column is None:
                        exc.column = col
                    raise

            return expr.evaluate(node, resolve)
        except expr.ExprError as exc:
            pos = value.pos
            if exc.column is not None and value.exact and "\n" not in value.text:
                pos = pos.shifted(value.quote + exc.column)
            raise LayoutError(exc.message, pos) from None

    def _memo(self, key: object, label: str, compute: Callable[[], int]) -> int:
        if key in self.memo:
            return self.memo[key]
        if key in self.active:
            keys = list(self.active)
            chain = " -> ".join([self.active[k] for k in keys[keys.index(key):]] + [label])
            raise expr.ExprError(f"cyclic reference: {chain}")
        if len(self.active) >= MAX_CHAIN:
            raise expr.ExprError(f"names refer to each other more than {MAX_CHAIN} deep (at {label})")
        self.active[key] = label
        try:
            result = compute()
        finally:
            del self.active[key]
        self.memo[key] = result
        return result

    def lookup(self, name: str) -> int:
        """A param, derived value or region bound (`id.start`, ...); KeyError if none."""
        if name in self.exprs:
            value = self.exprs[name]
            return self._memo(name, name, lambda: self.eval(value))
        rid, _, attr = name.partition(".")
        if rid not in self.regions or attr not in _ATTRS:
            raise KeyError(name)
        r = self.regions[rid]
        if attr == "start":
            return self.start(r)
        if attr == "size":
            return self.size(r)
        end = self.end(r)
        return end - 1 if attr == "last" else end

    @staticmethod
    def _label(r: RegionSpec, attr: str) -> str:
        return f"{r.id}.{attr}" if r.id else f"{r.name!r} {attr}"

    def start(self, r: RegionSpec) -> int:
        return self._memo((id(r), "start"), self._label(r, "start"), lambda: self.eval(r.start))

    def end(self, r: RegionSpec) -> int:
        def compute() -> int:
            if r.end is not None:
                return self.eval(r.end)
            if r.size is not None:
                return self.start(r) + self.size(r)
            assert r.last is not None
            return self.eval(r.last) + 1

        return self._memo((id(r), "end"), self._label(r, "end"), compute)

    def size(self, r: RegionSpec) -> int:
        if r.size is not None:
            size = r.size
            return self._memo((id(r), "size"), self._label(r, "size"), lambda: self.eval(size))
        return self.end(r) - self.start(r)

    def bounds(self, r: RegionSpec) -> tuple[int, int]:
        return self.start(r), self.end(r)


def _walk(regions: tuple[RegionSpec, ...]):
    for r in regions:
        yield r
        yield from _walk(r.children)


def _set_arg(name: object, raw: object) -> str:
    """`--set NAME=VALUE` as one short line, whatever the value holds (newlines, a megabyte)."""
    text = f"{name}={_override_text(raw) if isinstance(raw, int) else raw}"
    if len(text) > 60:
        text = text[:57] + "..."
    return "--set " + printable(text)


def _override_text(raw: str | int) -> str:
    if isinstance(raw, int) and not isinstance(raw, bool):
        if raw.bit_length() > expr.MAX_BITS:  # str() of a huge int is slow, or refused past 4300 digits
            return f"{'-' if raw < 0 else ''}0x{abs(raw):x}"
        return str(raw)
    return str(raw)


def _parse_overrides(overrides: Mapping[str, str | int], spec: LayoutSpec) -> dict[str, Value]:
    known = [p.name for p in spec.params]
    out: dict[str, Value] = {}
    for name, raw in overrides.items():
        if name not in known:
            hint = close_matches(str(name), known)
            tip = f"did you mean {hint[0]!r}?" if hint else (
                "known: " + ", ".join(known) if known else "it has no params")
            raise LayoutError(f"{spec.id} has no param {name!r} ({tip})", _set_arg(name, raw))
        out[name] = Value(_override_text(raw), _ArgPos(_set_arg(name, raw), 1, 1))
    return out


def resolve(spec: LayoutSpec, overrides: Mapping[str, str | int] | None = None) -> Layout:
    try:
        return _resolve(spec, overrides or {})
    except RecursionError:  # a guard only: MAX_CHAIN and expr's limits stop sane files long before
        raise LayoutError("expressions and references nested too deeply to evaluate", spec.origin) from None


def _resolve(spec: LayoutSpec, overrides: Mapping[str, str | int]) -> Layout:
    env = _Env(spec, _parse_overrides(overrides, spec))
    bits = spec.address_bits
    top = 1 << bits

    # Params first: a value outside its choices is the error to report, not
    # whatever it breaks further down.
    params = {}
    for p in spec.params:
        value = env.lookup(p.name)
        if p.choices and value not in p.choices:
            allowed = ", ".join(f"{k} ({v})" for k, v in p.choices.items())
            raise LayoutError(f"param {p.name!r} is {value}; it must be one of {allowed}", _override_pos(overrides, p))
        default = value if p.name not in overrides else env.eval(p.value)
        params[p.name] = Param(p.name, value, default, p.description, p.source, p.choices)
    for check in spec.checks:
        if not env.eval(check.require):
            culprits = [n for n in overrides if n in expr.names(expr.parse(check.require.text))]
            where = _set_arg(culprits[0], overrides[culprits[0]]) if culprits else check.pos
            raise LayoutError(check.message, where)
    paging = spec.paging
    if spec.paging_param is not None:
        if spec.paging_param not in params:
            raise LayoutError(f"paging names the param {spec.paging_param!r}, which the layout does not have",
                              spec.origin)
        choice = params[spec.paging_param].value
        if choice not in spec.paging_choices:
            allowed = ", ".join(f"{k} ({v})" for k, v in spec.paging_choices.items())
            raise LayoutError(f"param {spec.paging_param!r} is {choice}; paging needs one of {allowed}",
                              _override_pos(overrides, next(p for p in spec.params if p.name == spec.paging_param)))
        paging = spec.paging_choices[choice]
    physical_bits = spec.physical_bits
    if spec.physical_bits_value is not None:
        physical_bits = env.eval(spec.physical_bits_value)
        if not 1 <= physical_bits <= 64:
            raise LayoutError(f"physical bits must be 1..64, got {physical_bits}", spec.physical_bits_value.pos)

    def build(r: RegionSpec, lo: int, hi: int, parent: str) -> Region | None:
        if r.present is not None and not env.eval(r.present):
            return None
        start, end = env.bounds(r)
        if kind(r.kind).closable and start == end:
            return None
        if start >= end:
            raise LayoutError(f"{r.name!r}: start {_signed(start, bits)} is not below end {_signed(end, bits)}",
                              r.pos)
        if start < lo or end > hi:
            if parent:
                raise LayoutError(
                    f"{r.name!r} [{_signed(start, bits)}, {_signed(end, bits)}) lies outside its parent "
                    f"{parent!r} [{fmt(lo, bits)}, {fmt(hi, bits)})", r.pos)
            raise LayoutError(
                f"{r.name!r} [{_signed(start, bits)}, {_signed(end, bits)}) does not fit in "
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
                first_pfn=env.eval(rs.first_pfn) if rs.first_pfn else 0,
            )
            if rule.phys < 0:
                raise LayoutError(f"{r.name!r}: maps_to phys is negative ({rule.phys})", rs.pos)
            if rule.limit is not None and rule.limit < 0:
                raise LayoutError(f"{r.name!r}: maps_to limit is negative ({rule.limit})", rs.pos)
            if rule.first_pfn < 0:
                raise LayoutError(f"{r.name!r}: first_pfn is negative ({rule.first_pfn})", rs.pos)
            if rule.struct_size <= 0:
                raise LayoutError(f"{r.name!r}: struct_size must be positive, got {rule.struct_size}", rs.pos)
        return Region(r.name, r.kind, start, end, r.id, r.description, r.source, rule, kids)

    # the root always has children, so every address has a non-empty path (all holes may have closed)
    children = _siblings([(r, build(r, 0, top, "")) for r in spec.regions], 0, top, bits) or (gap(0, top),)
    root = Region(spec.id, "root", 0, top, None, spec.title, "", None, children)

    derived = {d.name: Derived(d.name, env.lookup(d.name), d.description, d.source) for d in spec.derived}
    kasan = None
    if spec.kasan_offset is not None:
        offset = env.eval(spec.kasan_offset)
        shift = env.eval(spec.kasan_scale_shift) if spec.kasan_scale_shift else 3
        if not 0 <= offset < top:
            raise LayoutError(f"kasan offset {fmt_bound(offset, bits)} does not fit in {bits}-bit addresses",
                              spec.kasan_offset.pos)
        if not 0 <= shift <= 8:
            where = spec.kasan_scale_shift.pos if spec.kasan_scale_shift else spec.kasan_offset.pos
            raise LayoutError(f"kasan scale_shift must be 0..8, got {shift}", where)
        kasan = Kasan(offset, shift)
    return Layout(
        id=spec.id,
        title=spec.title,
        arch=spec.arch,
        address_bits=bits,
        paging=MODES[paging],
        root=root,
        summary=spec.summary,
        origin=spec.origin,
        params=params,
        derived=derived,
        sources=tuple(Source(s.file, s.repo, s.commit, s.note) for s in spec.sources),
        physical_bits=physical_bits,
        physical=_physical(env, spec.physical, physical_bits),
        zones=_physical(env, spec.zones, physical_bits, "zone"),
        kasan=kasan,
        roles={r.name: env.eval(r.value) for r in spec.roles if not ROLES[r.name].region},
        region_roles=_region_roles(env, spec),
    )


def _region_roles(env: _Env, spec: LayoutSpec) -> dict[str, str]:
    """Region roles: the ids they name, each checked against the file's regions."""
    out = {}
    for r in spec.roles:
        if ROLES[r.name].region:
            rid = r.value.text.strip()
            if rid not in env.regions:
                hint = close_matches(rid, env.regions)
                tip = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise LayoutError(f"role {r.name!r} names no region id {rid!r}{tip}", r.value.pos)
            out[r.name] = rid
    return out


def _override_pos(overrides: Mapping[str, str | int] | None, p: NamedSpec) -> Pos | str | None:
    if overrides and p.name in overrides:
        return _set_arg(p.name, overrides[p.name])
    return p.pos


def _physical(env: _Env, items: tuple[RegionSpec, ...], bits: int | None,
              what: str = "physical range") -> tuple[PhysRange, ...]:
    """Physical ranges (or zones): evaluated, empty ones dropped, sorted, never overlapping."""
    out: list[tuple[PhysRange, RegionSpec]] = []
    limit = 1 << (bits or 64)
    for r in items:
        start, end = env.bounds(r)
        if start == end:
            continue
        if not 0 <= start < end <= limit:
            raise LayoutError(
                f"{what} {r.name!r} [{fmt_bound(start, bits or 64)}, {fmt_bound(end, bits or 64)}) is reversed "
                "or beyond "
                f"{bits or 64}-bit physical addresses", r.pos)
        out.append((PhysRange(r.name, r.kind, start, end, r.description, r.source), r))
    out.sort(key=lambda p: p[0].start)
    for (a, _), (b, bspec) in zip(out, out[1:], strict=False):
        if b.start < a.end:
            raise LayoutError(
                f"{what} {b.name!r} [{b.start:#x}, {b.end:#x}) overlaps {a.name!r} [{a.start:#x}, {a.end:#x})",
                bspec.pos)
    return tuple(p for p, _ in out)
