"""Random inputs, thousands of them: the core either answers correctly or says one line, never more.

- Random valid layout trees, written as YAML the way people write them
  (block and flow style, literals in every notation, expressions over params
  and other regions' bounds, end/size/last, translation rules), resolve; every
  address lands in exactly one leaf, and lookups agree with the tree.
- The same files, damaged at random (characters inserted, deleted, lines
  dropped, swapped, cut short), give a layout or one LayoutError line whose
  position lies inside the file.
- Random strings to the address parser raise nothing but AddressError.
- Random param overrides (text and integers) on every built-in layout raise
  nothing but LayoutError, on one line.
- Random expression text raises nothing but ExprError, and quickly.
- Random /proc/PID/maps text raises nothing but ProcError, also once the
  mappings are laid into a live layout.

EXAMPLES records how many cases each property ran; test_zz_property_figures
prints the totals (pytest -s).
"""

from __future__ import annotations

import string
from collections import Counter

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from vaslayout import catalog, proc
from vaslayout.core import expr
from vaslayout.core.engine import resolve
from vaslayout.core.loader import LayoutError, Pos, load_text
from vaslayout.core.model import Layout
from vaslayout.core.translate import AddressError, layout_names, parse_address, translate
from vaslayout.core.units import fmt_addr, hex_column
from vaslayout.proc import live

EXAMPLES: Counter[str] = Counter()
SETTINGS = {"deadline": None, "suppress_health_check": list(HealthCheck), "database": None}


# -- random valid layouts --------------------------------------------------------------------


@st.composite
def spans(draw, lo: int, hi: int, depth: int, counter: list[int]):
    """Disjoint [start, end) inside [lo, hi), each with children of its own, sorted."""
    if depth > 3 or hi - lo < 2:
        return []
    n = draw(st.integers(0, 5 if depth == 0 else 3))
    points = sorted(set(draw(st.lists(st.integers(lo, hi), min_size=2 * n, max_size=2 * n))))
    out = []
    for a, b in zip(points[::2], points[1::2], strict=False):
        counter[0] += 1
        out.append({"n": counter[0], "start": a, "end": b, "kind": draw(st.sampled_from(
            ("vmalloc", "hole", "direct-map", "mmap", "mystery-kind", "user-space", "guard"))),
            "rule": draw(st.sampled_from((None, None, "linear"))), "phys": draw(st.integers(0, 1 << 40)),
            "children": draw(spans(a, b, depth + 1, counter))})
    return out


def literal(draw, v: int) -> str:
    """v as a person might write it."""
    forms = [f"{v:#x}", str(v), f"0x{v:_x}"]
    for suffix, shift in (("K", 10), ("M", 20), ("G", 30), ("T", 40)):
        if v and v % (1 << shift) == 0 and v >> shift < 1 << 20:
            forms.append(f"{v >> shift}{suffix}")
    return draw(st.sampled_from(forms))


def expression(draw, v: int, base: int, ids: dict[int, str]) -> str:
    """An expression worth v: literals, the param `base`, other regions' bounds, functions."""
    forms = [literal(draw, v)]
    if v >= base:
        forms.append(f"base + {literal(draw, v - base)}")
    else:
        forms.append(f"base - {literal(draw, base - v)}")
    if v in ids:
        forms.append(ids[v])
    if v % 4096 == 0:
        forms += [f"(({literal(draw, v)}) >> 12) << 12", f"align_down({literal(draw, v)} + 4095, 4K)"]
    forms += [f"max({literal(draw, v)}, 0)", f"cond(base == base, {literal(draw, v)}, 1)",
              f"min({literal(draw, v)}, {literal(draw, v + 1)})"]
    return draw(st.sampled_from(forms))


@st.composite
def layout_text(draw):
    bits = draw(st.sampled_from((32, 64)))
    top = 1 << bits
    scale = draw(st.sampled_from((1, 4096, 1 << 20)))
    tree = draw(spans(0, top // scale, 0, [0]))

    def scaled(nodes):
        for r in nodes:
            r["start"] *= scale
            r["end"] *= scale
            scaled(r["children"])

    scaled(tree)
    base = draw(st.integers(0, top - 1)) // 4096 * 4096
    ids: dict[int, str] = {}  # a value -> a name that is worth it (only earlier regions: no cycles)
    lines = [f"id: rnd\ntitle: 'random: a test'\narch: test\naddress_bits: {bits}",
             f"paging: {'x86-32' if bits == 32 else 'x86-64-4level'}",
             f"params:\n  base: {{value: {literal(draw, base)}, description: a base}}",
             "# a comment\nregions:" if tree else f"regions:\n  - {{name: all, start: 0, end: {top:#x}, kind: hole}}"]

    def emit(nodes, indent: int) -> None:
        pad = " " * indent
        for r in nodes:
            start, end = r["start"], r["end"]
            form = draw(st.sampled_from(("end", "size", "last")))
            bound = {"end": end, "size": end - start, "last": end - 1}[form]
            s_text = expression(draw, start, base, ids)
            b_text = expression(draw, bound, base, {}) if form == "size" else expression(draw, bound, base, ids)
            rid = f"r{r['n']}"
            rule = ""
            if r["rule"]:
                rule = f"{{rule: linear, phys: {r['phys']:#x}}}"
            flow = not r["children"] and draw(st.booleans())
            if flow:
                extra = f", maps_to: {rule}" if rule else ""
                lines.append(f"{pad}- {{name: 'r{r['n']}', id: {rid}, start: '{s_text}', {form}: '{b_text}', "
                             f"kind: {r['kind']}{extra}}}")
            else:
                q = "'" if draw(st.booleans()) else ""
                lines.append(f"{pad}- name: r{r['n']}\n{pad}  id: {rid}\n{pad}  start: {q}{s_text}{q}\n"
                             f"{pad}  {form}: {q}{b_text}{q}\n{pad}  kind: {r['kind']}")
                if rule:
                    lines.append(f"{pad}  maps_to: {rule}")
                if r["children"]:
                    lines.append(f"{pad}  children:")
                    emit(r["children"], indent + 4)
            ids.setdefault(start, f"{rid}.start")
            ids.setdefault(end, f"{rid}.end")
            if end > start:
                ids.setdefault(end - 1, f"{rid}.last")

    emit(tree, 2)
    return "\n".join(lines) + "\n", tree, top


def walk(nodes):
    for r in nodes:
        yield r
        yield from walk(r["children"])


def check_tiling(layout: Layout, samples: list[int]) -> None:
    leaves = layout.leaves
    assert leaves[0].start == 0 and leaves[-1].end == layout.size
    for a, b in zip(leaves, leaves[1:], strict=False):
        assert a.start < a.end == b.start
    edges = {x for leaf in leaves[:200] for x in (leaf.start, leaf.end - 1)}
    for addr in edges | {s % layout.size for s in samples}:
        holders = [leaf for leaf in leaves if leaf.start <= addr < leaf.end]
        assert len(holders) == 1
        path = layout.path_at(addr)
        assert path[-1] is holders[0]
        for outer, inner in zip((layout.root, *path), path, strict=False):
            assert inner in outer.children and outer.start <= addr < outer.end
        t = translate(layout, addr)
        assert t.region is holders[0] and t.offset == addr - holders[0].start
        owner = next((r for r in reversed(path) if r.rule is not None), None)
        if owner is not None:
            assert t.phys == (owner.rule.phys + addr - owner.start) % (1 << 64)  # the kernel's unsigned long
        else:
            assert t.phys is None
        assert parse_address(fmt_addr(addr, layout.address_bits), layout.address_bits) == addr


@settings(max_examples=300, **SETTINGS)
@given(layout_text(), st.lists(st.integers(0, (1 << 64) - 1), max_size=20))
def test_random_layouts_resolve_and_every_address_lands_in_one_leaf(case, samples) -> None:
    EXAMPLES["random valid layouts"] += 1
    text, tree, top = case
    layout = resolve(load_text(text, "rnd.yaml"))
    check_tiling(layout, samples)
    named = {r.name: r for path in layout.paths for r in path[1:] if not r.synthetic}
    for r in walk(tree):
        got = named[f"r{r['n']}"]
        assert (got.start, got.end, got.kind) == (r["start"], r["end"], r["kind"])
        assert got.id == f"r{r['n']}"
    names = layout_names(layout)
    for r in list(walk(tree))[:10]:
        assert parse_address(f"r{r['n']}.start", layout.address_bits, names=names) == r["start"]


@settings(max_examples=100, **SETTINGS)
@given(layout_text(), st.integers(0, (1 << 64) - 1))
def test_random_layouts_follow_their_param(case, new_base) -> None:
    """Moving `base` moves exactly the bounds written relative to it: either the layout still holds, or one line."""
    EXAMPLES["random param moves"] += 1
    text, _, top = case
    spec = load_text(text, "rnd.yaml")
    try:
        layout = resolve(spec, {"base": hex(new_base % top)})
    except LayoutError as exc:
        assert "\n" not in str(exc)
        return
    check_tiling(layout, [new_base])


# -- the same files, damaged -------------------------------------------------------------------

HOSTILE = string.ascii_letters + string.digits + " :{}[],&*!|>'\"%@`#-?\t\n\\\x00\x07é€\ufeff\u2028"


@st.composite
def damaged(draw):
    text, _, _ = draw(layout_text())
    for _ in range(draw(st.integers(1, 4))):
        what = draw(st.sampled_from(("insert", "delete", "drop-line", "swap-lines", "duplicate-line", "cut")))
        lines = text.split("\n")
        if what == "insert":
            i = draw(st.integers(0, len(text)))
            text = text[:i] + draw(st.text(HOSTILE, min_size=1, max_size=3)) + text[i:]
        elif what == "delete" and text:
            i = draw(st.integers(0, len(text) - 1))
            text = text[:i] + text[i + draw(st.integers(1, 5)):]
        elif what == "drop-line":
            del lines[draw(st.integers(0, len(lines) - 1))]
            text = "\n".join(lines)
        elif what == "swap-lines":
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        elif what == "duplicate-line":
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            text = "\n".join(lines)
        else:
            text = text[:draw(st.integers(0, len(text)))]
    return text


@settings(max_examples=700, **SETTINGS)
@given(damaged())
def test_damaged_layouts_give_a_layout_or_one_positioned_line(text: str) -> None:
    EXAMPLES["damaged layout files"] += 1
    try:
        layout = resolve(load_text(text, "bad.yaml"))
    except LayoutError as exc:
        line = str(exc)
        assert "\n" not in line and "\r" not in line
        assert line.startswith("bad.yaml") or line.startswith("--set"), line
        if isinstance(exc.pos, Pos):
            # lines as YAML 1.1 counts them: NEL, LS and PS break lines too (its b-char production)
            breaks = sum(text.count(c) for c in "\n\r\x85\u2028\u2029")
            assert 1 <= exc.pos.line <= breaks + 2, (exc.pos, text)
            assert exc.pos.column >= 1
        return
    check_tiling(layout, [])


# -- addresses, params, expressions, maps ---------------------------------------------------------

ADDRESS_ALPHABET = st.sampled_from(list("0123456789abcdefxABCDEFXKMGTPE_ +-*/%()<>=!&|^~,.") + [
    "\n", "\t", "\x00", "\u0663", "\ufb00", "\u00b2", "\u200b", "ram", "lowmem.end", "0x"])


@settings(max_examples=2500, **SETTINGS)
@given(st.one_of(st.text(max_size=50), st.lists(ADDRESS_ALPHABET, max_size=30).map("".join),
                 st.from_regex(r"(0x)?[0-9a-fA-F_]{0,24}[KMGTPE]?", fullmatch=True),
                 st.integers(-(1 << 70), 1 << 70).map(str), st.text(min_size=990, max_size=1100)),
       st.sampled_from(("x86_64-4level", "x86_32-vmsplit-3g")), st.booleans(), st.booleans())
def test_the_address_parser_raises_only_address_errors(text: str, layout_id: str, dec: bool, names: bool) -> None:
    EXAMPLES["address strings"] += 1
    layout = catalog.load(layout_id)
    bits = layout.address_bits
    try:
        value = parse_address(text, bits, decimal=dec, names=layout_names(layout) if names else None)
    except AddressError as exc:
        assert "\n" not in str(exc)
        assert len(str(exc)) < 600  # the input is shown cut to 40 characters (repr may spell each in 10)
        return
    assert 0 <= value < 1 << bits
    translate(layout, value)


PARAM_VALUES = st.one_of(
    st.integers(), st.integers(-(1 << 140), 1 << 140), st.text(max_size=40),
    st.from_regex(r"[0-9a-fx_ +\-*/%()<>&|^~KMGTPE,]{0,30}", fullmatch=True),
    st.sampled_from(["0", "-1", "4G", "1 << 64", "1 << 129", "ram", "ram * 2", "0x" + "f" * 40, "", " ",
                     "\n", "1\n2", "x" * 5000, "min(", "cond(1,2,3)", "PAGE_OFFSET"]))


@st.composite
def param_overrides(draw):
    layout_id = draw(st.sampled_from(catalog.builtin_ids()))
    spec = catalog.spec_for(layout_id)
    names = [p.name for p in spec.params] + ["no_such_param"]
    return layout_id, draw(st.dictionaries(st.sampled_from(names), PARAM_VALUES, max_size=4))


@settings(max_examples=1500, **SETTINGS)
@given(param_overrides())
def test_random_params_never_crash_the_engine(case) -> None:
    EXAMPLES["param override sets"] += 1
    layout_id, overrides = case
    try:
        layout = catalog.load(layout_id, overrides)
    except LayoutError as exc:
        line = str(exc)
        assert "\n" not in line and len(line) < 400, line
        return
    assert layout.leaves[0].start == 0 and layout.leaves[-1].end == layout.size


EXPR_ALPHABET = st.sampled_from(list("0123456789abcdefxKMGTPE_ +-*/%()<>=!&|^~,.") + [
    "<<", ">>", "**", "//", "min(", "max(", "align_up(", "cond(", "div_round_up(", "a", "b.end", "1 << 128"])


@settings(max_examples=3000, **SETTINGS)
@given(st.one_of(st.lists(EXPR_ALPHABET, max_size=60).map("".join), st.text(max_size=60)))
def test_random_expressions_raise_only_expression_errors(text: str) -> None:
    EXAMPLES["expression strings"] += 1
    try:
        value = expr.evaluate_text(text, {"a": 1 << 64, "b.end": 4096})
    except expr.ExprError as exc:
        assert "\n" not in exc.message or "\n" in text
    else:
        assert value.bit_length() <= expr.MAX_BITS


MAPS_LINE = st.builds(
    lambda a, b, perms, off, dev, inode, path, sep: f"{a:x}{sep}{b:x} {perms} {off:08x} {dev} {inode} {path}",
    st.integers(0, 1 << 66), st.integers(0, 1 << 66), st.sampled_from(["r-xp", "rw-p", "---s", "rwxx", ""]),
    st.integers(0, 1 << 70), st.sampled_from(["00:00", "fd:01", "zz:00", "0:0:0", ""]),
    st.integers(0, 10 ** 30), st.text(max_size=20), st.sampled_from(["-", "--", "", " "]))
_BASE: dict[str, Layout] = {}


@settings(max_examples=1500, **SETTINGS)
@given(st.one_of(st.lists(MAPS_LINE, max_size=8).map("\n".join), st.text(max_size=300),
                 st.lists(st.sampled_from(["0-1000 r-xp 0 00:00 0", "1000-2000 rw-p 0 00:00 0 [heap]", "\n", " ",
                                           "7fff-8000 r--p 0 0:0 0 /lib/x.so (deleted)", "-", "\r"]),
                          max_size=12).map("".join)))
def test_random_maps_text_raises_only_proc_errors(text: str) -> None:
    EXAMPLES["maps texts"] += 1
    base = _BASE.setdefault("base", catalog.load("x86_64-4level"))
    try:
        maps = proc.parse_maps(text, "/proc/1/maps")
    except proc.ProcError as exc:
        assert "\n" not in str(exc)
        return
    assume(maps)
    try:
        layout = live.with_mappings(base, sorted(maps, key=lambda m: m.start), 1, "random")
    except proc.ProcError as exc:
        assert "\n" not in str(exc)
        return
    for m in maps:
        assert layout.path_at(m.start)[-1].start <= m.start


@settings(max_examples=500, **SETTINGS)
@given(st.lists(st.one_of(st.integers(0, (1 << 32) - 1), st.integers(0, (1 << 64) - 1), st.integers(-5, 1 << 70),
                          st.sampled_from([0, 1, (1 << 32) - 1, 1 << 32, (1 << 64) - 1, 1 << 64])), max_size=40),
       st.sampled_from([8, 12, 16]))
def test_hex_columns_say_what_a_format_per_number_says(values: list[int], digits: int) -> None:
    EXAMPLES["hex columns"] += 1
    assert hex_column(values, digits) == [f"{v:0{digits}x}" for v in values]


@st.composite
def region_trees(draw, lo: int = 0, hi: int = 1 << 16, depth: int = 0):
    """A Region tiling [lo, hi): children (some with ids, some leaves without) cut at random points."""
    from vaslayout.core.model import Region

    n = draw(st.integers(0, min(6 if depth < 3 else 0, hi - lo - 1)))
    cuts = sorted(draw(st.sets(st.integers(lo + 1, hi - 1), min_size=n, max_size=n))) if n else []
    edges = [lo, *cuts, hi] if cuts else []
    kids = tuple(draw(region_trees(a, b, depth + 1)) for a, b in zip(edges, edges[1:], strict=False))
    rid = draw(st.sampled_from([None, None, "a", "b", f"r{lo}"]))
    return Region(f"r{lo}-{hi}", "mmap", lo, hi, id=rid, children=kids)


def naive_leaf_paths(region, above=()):
    if not region.children:
        yield above + (region,)
    for kid in region.children:
        yield from naive_leaf_paths(kid, above + (region,))


def walk_regions(region):
    yield region
    for kid in region.children:
        yield from walk_regions(kid)


@settings(max_examples=300, **SETTINGS)
@given(region_trees())
def test_a_layouts_leaves_paths_and_ids_are_the_trees_own(root) -> None:
    """Layout's walk (runs of id-less leaves taken in bulk) says what a walk of the tree says."""
    from vaslayout.core.model import Layout
    from vaslayout.core.paging import MODES

    EXAMPLES["region trees"] += 1
    layout = Layout("t", "t", "x86_64", 64, MODES["x86-64-4level"], root)
    paths = list(naive_leaf_paths(root))
    assert layout.leaves == tuple(path[-1] for path in paths)
    assert list(layout.paths) == paths and [layout.paths[i] for i in range(len(paths))] == paths
    assert [layout.paths.below_root(i) for i in range(len(paths))] == [p[1:] if len(p) > 1 else () for p in paths]
    assert layout.paths[-1] == paths[-1]
    assert layout.paths.below_root(-1) == (paths[-1][1:] if len(paths[-1]) > 1 else ())
    assert tuple(layout.starts) == tuple(path[-1].start for path in paths)
    first_ids: dict[str, object] = {}
    for region in walk_regions(root):
        if region.id is not None:
            first_ids.setdefault(region.id, region)
    assert dict(layout.by_id) == first_ids


def test_zz_property_figures(capsys: pytest.CaptureFixture[str]) -> None:
    """Prints how many random cases the properties above ran (pytest -s shows it)."""
    if not EXAMPLES:
        pytest.skip("the properties did not run in this pytest run")
    with capsys.disabled():
        print("\nrandom cases: " + ", ".join(f"{n} {what}" for what, n in EXAMPLES.items())
              + f"; {sum(EXAMPLES.values())} in all")
