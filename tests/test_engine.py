"""LayoutSpec + params -> Layout: the checks, the holes, references, and random layouts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaslayout.core.engine import resolve
from vaslayout.core.loader import LayoutError, Pos, load_file, load_text
from vaslayout.core.model import Layout, Region
from vaslayout.core.translate import translate

DATA = Path(__file__).parent / "data"

HEAD = """\
id: t
title: a test layout
arch: x86_32
address_bits: 32
paging: x86-32
"""  # 5 lines


def build(text: str, overrides: dict[str, str] | None = None, head: str = HEAD) -> Layout:
    return resolve(load_text(head + text, "t.yaml"), overrides)


def error(text: str, overrides: dict[str, str] | None = None, head: str = HEAD) -> LayoutError:
    with pytest.raises(LayoutError) as info:
        build(text, overrides, head)
    return info.value


def at(e: LayoutError) -> tuple[int, int]:
    assert isinstance(e.pos, Pos), str(e)
    assert e.pos.file == "t.yaml"
    return e.pos.line, e.pos.column


def tiling(layout: Layout) -> None:
    """Leaves are sorted, non-empty, and cover [0, 2^bits) with no gap and no overlap."""
    leaves = layout.leaves
    assert leaves[0].start == 0
    assert leaves[-1].end == layout.size
    for a, b in zip(leaves, leaves[1:], strict=False):
        assert a.start < a.end
        assert a.end == b.start
    assert list(layout.starts) == [r.start for r in leaves]


# -- tiny.yaml -------------------------------------------------------------------


def test_tiny_resolves() -> None:
    layout = resolve(load_file(DATA / "tiny.yaml"))
    assert layout.id == "tiny" and layout.address_bits == 32 and layout.paging.name == "x86-32"
    assert layout.params["ram"].value == 1 << 30
    assert layout.params["PAGE_OFFSET"].value == 0xC000_0000
    assert layout.derived["lowmem_size"].value == 896 << 20
    assert [(r.name, r.start, r.end) for r in layout.leaves] == [
        ("user space", 0, 0xC000_0000),
        ("lowmem", 0xC000_0000, 0xF800_0000),
        ("unused", 0xF800_0000, 0xFF80_0000),
        ("pkmap", 0xFF80_0000, 0xFFC0_0000),
        ("unused", 0xFFC0_0000, 1 << 32),
    ]
    assert [(p.name, p.start, p.end) for p in layout.physical] == [
        ("lowmem", 0, 896 << 20), ("highmem", 896 << 20, 1 << 30)]
    tiling(layout)


def test_tiny_with_2g_of_ram() -> None:
    layout = resolve(load_file(DATA / "tiny.yaml"), {"ram": "2G"})
    assert layout.params["ram"].value == 2 << 30
    assert layout.params["ram"].default == 1 << 30
    assert layout.derived["lowmem_size"].value == 896 << 20
    assert [(r.name, r.kind, r.start, r.end, r.synthetic) for r in layout.leaves] == [
        ("user space", "user-space", 0, 0xC000_0000, False),
        ("lowmem", "direct-map", 0xC000_0000, 0xF800_0000, False),
        ("unused", "hole", 0xF800_0000, 0xFF80_0000, True),
        ("pkmap", "pkmap", 0xFF80_0000, 0xFFC0_0000, False),
        ("unused", "hole", 0xFFC0_0000, 0x1_0000_0000, True),
    ]
    assert [(p.name, p.start, p.end) for p in layout.physical] == [
        ("lowmem", 0, 896 << 20), ("highmem", 896 << 20, 2 << 30)]
    lowmem = layout.find("lowmem")
    assert lowmem is not None and lowmem.rule is not None
    assert (lowmem.rule.name, lowmem.rule.phys, lowmem.rule.limit) == ("linear", 0, None)
    assert layout.find("kernel") is layout.root.children[1]
    assert layout.find("nope") is None
    tiling(layout)


def test_tiny_highmem_dropped_when_ram_fits() -> None:
    layout = resolve(load_file(DATA / "tiny.yaml"), {"ram": "512M"})
    assert [p.name for p in layout.physical] == ["lowmem"]
    lowmem = layout.find("lowmem")
    assert lowmem is not None and lowmem.size == 512 << 20


def test_root_and_paths() -> None:
    layout = resolve(load_file(DATA / "tiny.yaml"), {"ram": "2G"})
    assert layout.root.kind == "root" and (layout.root.start, layout.root.end) == (0, 1 << 32)
    for leaf, path in zip(layout.leaves, layout.paths, strict=True):
        assert path[0] is layout.root and path[-1] is leaf
    assert [r.name for r in layout.path_at(0xC000_1000)] == ["kernel space", "lowmem"]
    assert [r.name for r in layout.path_at(0xFFFF_FFFF)] == ["kernel space", "unused"]


# -- the engine's checks ------------------------------------------------------------


def test_overlapping_siblings() -> None:
    e = error("""\
regions:
  - {name: a, start: 0, end: 2G, kind: hole}
  - {name: b, start: 1G, end: 3G, kind: hole}
""")
    assert str(e) == ("t.yaml:8:5: 'b' [0x40000000, 0xc0000000) overlaps 'a' [0x00000000, 0x80000000)")


def test_overlap_found_whatever_the_order() -> None:
    e = error("""\
regions:
  - {name: b, start: 1G, end: 3G, kind: hole}
  - {name: a, start: 0, end: 2G, kind: hole}
""")
    assert at(e) == (7, 5) and "'b'" in e.message and "overlaps 'a'" in e.message


def test_siblings_may_touch() -> None:
    layout = build("""\
regions:
  - {name: a, start: 0, end: 2G, kind: hole}
  - {name: b, start: 2G, end: 4G, kind: hole}
""")
    assert [r.name for r in layout.leaves] == ["a", "b"]


def test_child_outside_parent() -> None:
    e = error("""\
regions:
  - name: parent
    start: 1G
    end: 2G
    kind: kernel-space
    children:
      - {name: child, start: 0x7000_0000, end: 0x8000_1000, kind: vmalloc}
""")
    assert str(e) == ("t.yaml:12:9: 'child' [0x70000000, 0x80001000) lies outside its parent 'parent' "
                      "[0x40000000, 0x80000000)")


def test_child_below_parent() -> None:
    e = error("""\
regions:
  - name: parent
    start: 1G
    end: 2G
    kind: kernel-space
    children:
      - {name: child, start: 0x3fff_f000, size: 8K, kind: vmalloc}
""")
    assert at(e) == (12, 9) and "lies outside its parent" in e.message


@pytest.mark.parametrize(
    ("region", "words"),
    [
        ("{name: r, start: 2G, end: 1G, kind: vmalloc}", "'r': start 0x80000000 is not below end 0x40000000"),
        ("{name: r, start: 2G, end: 2G, kind: vmalloc}", "'r': start 0x80000000 is not below end 0x80000000"),
        ("{name: r, start: 2G, size: 0, kind: vmalloc}", "is not below end"),
        ("{name: r, start: 2G, size: -4K, kind: vmalloc}", "is not below end"),
        ("{name: r, start: 2G, end: 1G, kind: hole}", "is not below end"),  # a reversed hole is still an error
    ],
)
def test_start_not_below_end(region: str, words: str) -> None:
    e = error(f"regions:\n  - {region}\n")
    assert at(e) == (7, 5)
    assert words in e.message


@pytest.mark.parametrize(
    "region",
    [
        "{name: r, start: 3G, end: 5G, kind: vmalloc}",
        "{name: r, start: 3G, last: 0x1_0000_0000, kind: vmalloc}",
        "{name: r, start: -4K, end: 4K, kind: vmalloc}",
        "{name: r, start: 4G, size: 4K, kind: vmalloc}",
    ],
)
def test_address_beyond_address_bits(region: str) -> None:
    e = error(f"regions:\n  - {region}\n")
    assert at(e) == (7, 5)
    assert "does not fit in 32-bit addresses" in e.message


def test_whole_64_bit_space() -> None:
    head = HEAD.replace("address_bits: 32", "address_bits: 64").replace("x86-32", "x86-64-4level")
    layout = build("regions:\n  - {name: all, start: 0, last: 0xffff_ffff_ffff_ffff, kind: hole}\n", head=head)
    assert layout.leaves[0].end == 1 << 64
    e = error("regions:\n  - {name: all, start: 0, end: 16E + 1, kind: hole}\n", head=head)
    assert "does not fit in 64-bit addresses" in e.message


def test_unknown_name_with_column_and_suggestion() -> None:
    e = error("params:\n  PAGE_OFFSET: 3G\nregions:\n  - {name: r, start: 0, end: PAGE_OFSET + 0, kind: hole}\n")
    assert str(e) == "t.yaml:9:30: unknown name 'PAGE_OFSET' (did you mean 'PAGE_OFFSET'?)"


def test_unknown_name_column_inside_quotes() -> None:
    e = error("regions:\n  - name: r\n    start: 0\n    end: \"1G + nothere\"\n    kind: hole\n")
    assert str(e) == "t.yaml:9:16: unknown name 'nothere'"


def test_unknown_region_attribute_suggests_one() -> None:
    e = error("""\
regions:
  - {name: a, id: a, start: 0, end: 1G, kind: hole}
  - {name: b, start: a.ned, end: 2G, kind: hole}
""")
    assert at(e) == (8, 22)
    assert e.message == "unknown name 'a.ned' (did you mean 'a.end'?)"


def test_expression_errors_are_positioned() -> None:
    e = error("regions:\n  - {name: r, start: 0, end: 1G / (2 - 2), kind: hole}\n")
    assert str(e) == "t.yaml:7:33: division by zero"


def test_multi_line_expression_error_points_at_the_value() -> None:
    e = error("regions:\n  - name: r\n    start: 0\n    end: 1G +\n      nothere\n    kind: hole\n")
    assert at(e) == (9, 10)


def test_cyclic_params_name_the_chain() -> None:
    e = error("""\
params:
  a: b + 1
  b: c * 2
  c: a
regions:
  - {name: r, start: 0, end: a, kind: hole}
""")
    assert "cyclic reference: a -> b -> c -> a" in e.message
    assert at(e) == (9, 6)  # the 'a' in c's value, where the loop closes


def test_self_reference_is_a_cycle() -> None:
    e = error("derived:\n  x: x + 1\nregions:\n  - {name: r, start: 0, end: x, kind: hole}\n")
    assert e.message == "cyclic reference: x -> x"
    assert at(e) == (7, 6)


def test_cyclic_regions_name_the_chain() -> None:
    e = error("""\
regions:
  - {name: a, id: a, start: b.end, size: 1G, kind: hole}
  - {name: b, id: b, start: 0, end: a.start, kind: hole}
""")
    assert "cyclic reference: a.start -> b.end -> a.start" in e.message


def test_region_may_refer_to_its_own_other_bound() -> None:
    layout = build("""\
regions:
  - {name: a, id: a, start: 16, end: a.start + 16, kind: vmalloc}
  - {name: b, id: b, start: b.end - 1G, end: 4G, kind: vmalloc}
  - {name: c, id: c, start: 2G, size: c.start / 4, kind: vmalloc}
""")
    a, b, c = (layout.find(x) for x in "abc")
    assert a is not None and (a.start, a.end) == (16, 32)
    assert b is not None and (b.start, b.end) == (3 << 30, 4 << 30)
    assert c is not None and (c.start, c.end) == (2 << 30, (2 << 30) + (512 << 20))


def test_forward_references_between_regions() -> None:
    layout = build("""\
derived:
  gap: second.start - first.end
regions:
  - {name: first, id: first, start: 0, end: second.start - 1G, kind: user-space}
  - {name: second, id: second, start: third.start - 1G, size: 512M, kind: hole}
  - {name: third, id: third, start: 3G, last: third.start + 1G - 1, kind: kernel-space}
""")
    assert [(r.name, r.start, r.end) for r in layout.leaves] == [
        ("first", 0, 1 << 30),
        ("unused", 1 << 30, 2 << 30),
        ("second", 2 << 30, (2 << 30) + (512 << 20)),
        ("unused", (2 << 30) + (512 << 20), 3 << 30),
        ("third", 3 << 30, 4 << 30),
    ]
    assert layout.derived["gap"].value == 1 << 30


def test_region_attributes_in_expressions() -> None:
    layout = build("""\
derived:
  s: r.start
  e: r.end
  l: r.last
  z: r.size
regions:
  - {name: r, id: r, start: 1G, last: 0x7fff_ffff, kind: hole}
""")
    assert {k: d.value for k, d in layout.derived.items()} == {
        "s": 1 << 30, "e": 2 << 30, "l": (2 << 30) - 1, "z": 1 << 30}


def test_long_chain_of_names_is_an_error_not_a_crash() -> None:
    chain = "".join(f"  d{i}: d{i + 1} + 1\n" for i in range(400)) + "  d400: 0\n"
    e = error("derived:\n" + chain + "regions:\n  - {name: r, start: 0, end: d0 + 1, kind: hole}\n")
    assert "deep" in e.message
    assert isinstance(e.pos, Pos)


def test_long_backward_chain_of_regions_resolves() -> None:
    # each region starts where the one before it ends: evaluated in file order, no deep recursion
    rows = ["  - {name: r0, id: r0, start: 0, size: 4K, kind: mmap}"]
    rows += [f"  - {{name: r{i}, id: r{i}, start: r{i - 1}.end, size: 4K, kind: mmap}}" for i in range(1, 2000)]
    layout = build("regions:\n" + "\n".join(rows) + "\n")
    assert len(layout.leaves) == 2001
    assert layout.leaves[1999].start == 1999 * 4096
    tiling(layout)


def test_names_clash() -> None:
    e = error("params:\n  x: 1\nderived:\n  x: 2\nregions:\n  - {name: r, start: 0, end: 1G, kind: hole}\n")
    assert "derived value 'x' is already defined as a param" in e.message
    assert at(e) == (9, 6)
    e = error("regions:\n  - {name: a, id: r, start: 0, end: 1G, kind: hole}\n"
              "  - {name: b, id: r, start: 1G, end: 2G, kind: hole}\n")
    assert "region id 'r' is already defined as a region id" in e.message
    assert at(e) == (8, 5)


# -- params and --set -------------------------------------------------------------


def tiny(overrides: dict[str, str]) -> LayoutError:
    with pytest.raises(LayoutError) as info:
        resolve(load_file(DATA / "tiny.yaml", display="tiny.yaml"), overrides)
    return info.value


def test_unknown_set_param_with_suggestion() -> None:
    e = tiny({"rma": "2G"})
    assert str(e) == "--set rma=2G: tiny has no param 'rma' (did you mean 'ram'?)"
    e = tiny({"zzz": "1"})
    assert str(e) == "--set zzz=1: tiny has no param 'zzz' (known: ram, PAGE_OFFSET)"
    e = tiny({"lowmem_size": "1"})  # a derived value is not a param
    assert "tiny has no param 'lowmem_size'" in str(e)


def test_bad_set_value() -> None:
    assert str(tiny({"ram": "4X"})) == "--set ram=4X: not a number: '4X'"
    assert str(tiny({"ram": "2G +"})) == "--set ram=2G +: expected a number, name or '(', found the end"
    assert str(tiny({"ram": "ram"})) == "--set ram=ram: cyclic reference: ram -> ram"


def test_set_may_use_expressions_and_names() -> None:
    layout = resolve(load_file(DATA / "tiny.yaml"), {"ram": "PAGE_OFFSET / 2", "PAGE_OFFSET": "2G"})
    assert layout.params["ram"].value == 1 << 30
    assert layout.params["PAGE_OFFSET"].value == 2 << 30
    user = layout.find("user")
    assert user is not None and user.end == 2 << 30


def test_set_that_breaks_the_layout_is_reported() -> None:
    e = tiny({"PAGE_OFFSET": "0xff80_0000"})  # lowmem_size turns negative
    assert str(e) == "tiny.yaml:32:9: 'lowmem': start 0xff800000 is not below end 0xf8000000"
    e = tiny({"PAGE_OFFSET": "5G"})
    assert str(e) == "tiny.yaml:21:5: 'user space' [0x00000000, 2^32 + 0x40000000) does not fit in 32-bit addresses"


CHOICES = """\
params:
  model:
    value: 0
    choices: {0: classic, 1: modern}
regions:
  - {name: r, start: 0, end: "cond(model == 1, 1G, 2G) * (1 / (model < 2))", kind: hole}
"""


def test_param_choices() -> None:
    layout = build(CHOICES)
    assert layout.params["model"].choice == "classic"
    assert layout.leaves[0].end == 2 << 30
    layout = build(CHOICES, {"model": "1"})
    assert layout.params["model"].choice == "modern"
    assert layout.leaves[0].end == 1 << 30


def test_param_choices_refuse_other_values_before_anything_else() -> None:
    e = error(CHOICES, {"model": "2"})  # 2 would also divide by zero: the choice is the error to report
    assert str(e) == "--set model=2: param 'model' is 2; it must be one of 0 (classic), 1 (modern)"


def test_param_default_outside_its_choices() -> None:
    e = error(CHOICES.replace("value: 0", "value: 7"))
    assert at(e) == (8, 5)
    assert "param 'model' is 7" in e.message


# -- holes -------------------------------------------------------------------------


def test_gaps_are_filled_with_unused_holes() -> None:
    layout = build("""\
regions:
  - name: k
    start: 2G
    end: 3G
    kind: kernel-space
    children:
      - {name: c, start: 0x9000_0000, size: 4K, kind: vmalloc}
""")
    got = [(r.name, r.kind, r.start, r.end, r.synthetic) for r in layout.leaves]
    assert got == [
        ("unused", "hole", 0, 0x8000_0000, True),
        ("unused", "hole", 0x8000_0000, 0x9000_0000, True),
        ("c", "vmalloc", 0x9000_0000, 0x9000_1000, False),
        ("unused", "hole", 0x9000_1000, 0xC000_0000, True),
        ("unused", "hole", 0xC000_0000, 1 << 32, True),
    ]
    assert all(r.description for r in layout.leaves if r.synthetic)
    assert [len(p) for p in layout.paths] == [2, 3, 3, 3, 2]
    tiling(layout)


def test_region_without_children_left_is_a_leaf() -> None:
    layout = build("""\
regions:
  - name: k
    start: 0
    end: 4G
    kind: kernel-space
    children:
      - {name: closed, start: 1G, end: 1G, kind: hole}
""")
    assert [(r.name, r.start, r.end) for r in layout.leaves] == [("k", 0, 1 << 32)]
    assert layout.root.children[0].children == ()


def test_empty_hole_regions_are_dropped() -> None:
    layout = build("""\
params:
  pad: 0
regions:
  - {name: low, start: 0, end: 1G, kind: user-space}
  - {name: pad hole, start: 1G, size: pad, kind: hole}
  - {name: high, start: 1G + pad, end: 4G, kind: kernel-space}
""")
    assert [r.name for r in layout.leaves] == ["low", "high"]
    layout = build("""\
params:
  pad: 0
regions:
  - {name: low, start: 0, end: 1G, kind: user-space}
  - {name: pad hole, start: 1G, size: pad, kind: hole}
  - {name: high, start: 1G + pad, end: 4G, kind: kernel-space}
""", {"pad": "4K"})
    assert [(r.name, r.size) for r in layout.leaves] == [
        ("low", 1 << 30), ("pad hole", 4096), ("high", (3 << 30) - 4096)]


def test_empty_region_of_another_kind_is_an_error() -> None:
    e = error("regions:\n  - {name: low, start: 1G, size: 0, kind: user-space}\n")
    assert "is not below end" in e.message


# -- physical ranges, rules, kasan ------------------------------------------------------


def test_physical_ranges() -> None:
    e = error("physical:\n  bits: 32\n  ranges:\n    - {name: a, start: 0, end: 2G, kind: direct-map}\n"
              "    - {name: b, start: 1G, end: 3G, kind: highmem}\n"
              "regions:\n  - {name: r, start: 0, end: 4G, kind: hole}\n")
    assert at(e) == (10, 7) and "physical range 'b'" in e.message and "overlaps 'a'" in e.message
    e = error("physical:\n  bits: 32\n  ranges:\n    - {name: a, start: 0, end: 8G, kind: direct-map}\n"
              "regions:\n  - {name: r, start: 0, end: 4G, kind: hole}\n")
    assert at(e) == (9, 7) and "32-bit physical" in e.message
    e = error("physical:\n  bits: 32\n  ranges:\n    - {name: a, start: 2G, end: 1G, kind: direct-map}\n"
              "regions:\n  - {name: r, start: 0, end: 4G, kind: hole}\n")
    assert at(e) == (9, 7) and "reversed" in e.message


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("{rule: linear, phys: -1}", "phys is negative"),
        ("{rule: linear, phys: 0, limit: -1}", "limit is negative"),
        ("{rule: struct-page, struct_size: 0}", "struct_size must be positive"),
    ],
)
def test_bad_rules(rule: str, words: str) -> None:
    e = error(f"regions:\n  - name: r\n    start: 0\n    end: 4G\n    kind: hole\n    maps_to: {rule}\n")
    assert words in e.message
    assert at(e) == (11, 14)


def test_rules_are_resolved() -> None:
    layout = build("regions:\n  - {name: r, start: 0, end: 4G, kind: vmemmap, maps_to: {rule: struct-page}}\n")
    rule = layout.leaves[0].rule
    assert rule is not None and (rule.name, rule.struct_size) == ("struct-page", 64)
    layout = build("regions:\n  - {name: r, start: 0, end: 4G, kind: direct-map, "
                   "maps_to: {rule: linear, phys: 1M, limit: 16M}}\n")
    rule = layout.leaves[0].rule
    assert rule is not None and (rule.phys, rule.limit) == (1 << 20, 16 << 20)


def test_kasan_settings() -> None:
    layout = build("kasan: {offset: 0xd000_0000}\nregions:\n  - {name: r, start: 0, end: 4G, kind: hole}\n")
    assert layout.kasan is not None and (layout.kasan.offset, layout.kasan.scale_shift) == (0xD000_0000, 3)
    e = error("kasan: {offset: 0xd000_0000, scale_shift: 40}\nregions:\n  - {name: r, start: 0, end: 4G, kind: hole}\n")
    assert at(e) == (6, 43) and "scale_shift" in e.message


# -- random valid layouts -------------------------------------------------------------


@st.composite
def region_tree(draw, lo: int, hi: int, depth: int, counter: list[int]):
    """Sorted, non-overlapping children of [lo, hi), nested up to 3 deep, as (start, end, kind, children)."""
    if depth >= 3 or hi - lo < 2:
        return []
    n = draw(st.integers(0, 4))
    points = sorted(set(draw(st.lists(st.integers(lo, hi), min_size=2 * n, max_size=2 * n))))
    out = []
    for a, b in zip(points[::2], points[1::2], strict=False):
        counter[0] += 1
        n = counter[0]
        kind = draw(st.sampled_from(("vmalloc", "hole", "direct-map", "mmap")))
        kids = draw(region_tree(a, b, depth + 1, counter))
        out.append((a, b, kind, kids, n))
    if draw(st.booleans()) and hi > lo:  # an empty hole somewhere: it must vanish
        p = draw(st.integers(lo, hi))
        if all(not (s < p < e) for s, e, *_ in out):
            counter[0] += 1
            out.append((p, p, "hole", [], counter[0]))
    return draw(st.permutations(out))  # the engine sorts; the file need not


def to_yaml(regions, indent: int, draw) -> str:
    pad = " " * indent
    lines = []
    for start, end, kind, kids, n in regions:
        form = draw(st.sampled_from(("end", "size", "last"))) if end > start else "end"
        bound = {"end": f"end: {end:#x}", "size": f"size: {end - start:#x}", "last": f"last: {end - 1:#x}"}[form]
        lines.append(f"{pad}- name: r{n}\n{pad}  start: {start:#x}\n{pad}  {bound}\n{pad}  kind: {kind}")
        if kids:
            lines.append(f"{pad}  children:\n" + to_yaml(kids, indent + 4, draw))
    return "\n".join(lines)


def flatten(regions):
    for start, end, kind, kids, n in regions:
        yield start, end, kind, n, bool(kids)
        yield from flatten(kids)


@st.composite
def random_layout(draw):
    bits = draw(st.sampled_from((32, 64)))
    top = 1 << bits
    scale = draw(st.sampled_from((1, 4096, 1 << 30)))
    regions = draw(region_tree(0, top // scale, 0, [0]))
    regions = [(s * scale, e * scale, k, _scale(c, scale), n) for s, e, k, c, n in regions]
    if not regions:
        regions = [(0, top, "hole", [], 0)]
    paging = "x86-32" if bits == 32 else "x86-64-4level"
    text = (f"id: rnd\ntitle: random\narch: test\naddress_bits: {bits}\npaging: {paging}\nregions:\n"
            + to_yaml(regions, 2, draw) + "\n")
    return text, regions, top


def _scale(regions, scale):
    return [(s * scale, e * scale, k, _scale(c, scale), n) for s, e, k, c, n in regions]


@settings(max_examples=60, deadline=None)
@given(random_layout(), st.lists(st.integers(0, (1 << 64) - 1), max_size=30))
def test_random_layouts_tile_the_space(case, samples) -> None:
    text, regions, top = case
    layout = resolve(load_text(text, "rnd.yaml"))
    tiling(layout)

    # every region of the file is there, with its bounds; empty holes are gone
    by_name = {}
    for path in layout.paths:
        for r in path[1:]:
            if not r.synthetic:
                by_name[r.name] = r
    for start, end, _kind, n, _has_kids in flatten(regions):
        if start == end:
            assert f"r{n}" not in by_name
        else:
            r = by_name[f"r{n}"]
            assert (r.start, r.end) == (start, end)

    # every leaf edge and some random addresses land in exactly one leaf, which holds them
    edges = {a for leaf in layout.leaves for a in (leaf.start, leaf.end - 1)}
    for addr in edges | {s % top for s in samples}:
        holders = [leaf for leaf in layout.leaves if leaf.contains(addr)]
        assert len(holders) == 1
        i = layout.leaf_index(addr)
        assert layout.leaves[i] is holders[0]
        path = layout.path_at(addr)
        assert path[-1] is holders[0]
        for outer, inner in zip((layout.root, *path), path, strict=False):
            assert inner in outer.children
            assert outer.contains(addr) and inner.contains(addr)
        t = translate(layout, addr)
        assert t.region is holders[0] and t.offset == addr - holders[0].start


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 1 << 20), st.integers(1, 1 << 20), st.integers(0, 1 << 20), st.integers(1, 1 << 20))
def test_random_sibling_pairs_overlap_exactly_when_they_should(a: int, alen: int, b: int, blen: int) -> None:
    text = (f"regions:\n  - {{name: a, start: {a}, size: {alen}, kind: mmap}}\n"
            f"  - {{name: b, start: {b}, size: {blen}, kind: mmap}}\n")
    overlap = a < b + blen and b < a + alen
    if overlap:
        e = error(text)
        assert "overlaps" in e.message
    else:
        tiling(build(text))


def test_regions_built_by_hand_match() -> None:
    layout = build("regions:\n  - {name: a, start: 0, end: 4G, kind: hole}\n")
    leaf = layout.leaves[0]
    assert leaf == Region("a", "hole", 0, 1 << 32, None, "", "", None, ())
