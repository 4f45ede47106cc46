"""Addresses in, answers out: parse_address, translate, paging modes, KASAN decoding, phys_lookup."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaslayout.core.engine import resolve
from vaslayout.core.kasan import decode
from vaslayout.core.loader import load_file, load_text
from vaslayout.core.model import Kasan, Layout
from vaslayout.core.paging import MODES
from vaslayout.core.translate import (
    AddressError,
    Translation,
    layout_names,
    parse_address,
    phys_lookup,
    translate,
    translations,
)

DATA = Path(__file__).parent / "data"


def tiny(**overrides: str) -> Layout:
    return resolve(load_file(DATA / "tiny.yaml"), overrides)


@pytest.fixture(scope="module")
def tiny2g() -> Layout:
    return tiny(ram="2G")


@pytest.fixture(scope="module")
def k64() -> Layout:
    return resolve(load_file(DATA / "kasan64.yaml"))


# -- parse_address ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("c0001000", 0xC000_1000),
        ("C0001000", 0xC000_1000),
        ("0xc0001000", 0xC000_1000),
        ("0XC0001000", 0xC000_1000),
        ("c000_1000", 0xC000_1000),
        ("0xc000_1000", 0xC000_1000),
        ("  1000  ", 0x1000),
        ("10", 0x10),  # hex by default
        ("0", 0),
        ("ffffffff", 0xFFFF_FFFF),
        ("1G", 1 << 30),  # a suffix makes it decimal
        ("896M", 896 << 20),
        ("3_072M", 3 << 30),
        ("0x1000 + 4K", 0x2000),
        ("PAGE_OFFSET + 4K", 0xC000_1000),
        ("lowmem.end - 1", 0xF7FF_FFFF),
        ("lowmem.start", 0xC000_0000),
        ("kernel.last", 0xFFFF_FFFF),
        ("min(ram, 4G - 1)", 2 << 30),
        ("lowmem_size", 896 << 20),
    ],
)
def test_parse_address(tiny2g: Layout, text: str, value: int) -> None:
    assert parse_address(text, 32, names=layout_names(tiny2g)) == value


def test_parse_address_decimal() -> None:
    assert parse_address("4096", 32, decimal=True) == 4096
    assert parse_address("4_096", 32, decimal=True) == 4096
    assert parse_address("0x1000", 32, decimal=True) == 0x1000  # 0x still means hex
    assert parse_address("4K", 32, decimal=True) == 4096
    assert parse_address("4096", 32) == 0x4096


def test_parse_address_64_bit() -> None:
    assert parse_address("ffff888000001000", 64) == 0xFFFF_8880_0000_1000
    assert parse_address("0xffff_8880_0000_1000", 64) == 0xFFFF_8880_0000_1000
    assert parse_address("ffffffffffffffff", 64) == (1 << 64) - 1
    assert parse_address("16E - 1", 64) == (1 << 64) - 1


@given(st.one_of(st.from_regex(r"0[xX][0-9a-fA-F_]{0,20}", fullmatch=True),
                 st.text(alphabet="0123456789abcdefABCDEFxX_+- \u0663\u00b2", max_size=16).map("0x".__add__)))
def test_a_hex_literal_int_reads_is_what_the_address_syntax_reads(text: str) -> None:
    """parse_address reads a `0x` literal with int() first; where int() takes it, the pattern's way
    (underscores anywhere) must give the same number, or the quick way would change answers."""
    from vaslayout.core.translate import _literal

    def outcome(read):
        try:
            return read()
        except (AddressError, ValueError) as exc:
            return type(exc)
    slow = outcome(lambda: _literal(text, False, None))
    quick = outcome(lambda: int(text, 16))
    if quick is not ValueError and text.isascii():
        assert quick == slow
    assert outcome(lambda: parse_address(text, 64)) in (slow, AddressError)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1_0000_0000", "'1_0000_0000' is wider than 32 bits (largest: 0xffffffff)"),
        ("0x100000000", "'0x100000000' is wider than 32 bits (largest: 0xffffffff)"),
        ("4G", "'4G' is wider than 32 bits (largest: 0xffffffff)"),
        ("-1", "'-1' is negative"),
        ("0 - 0x10", "'0 - 0x10' is negative"),
        ("", "empty address"),
        ("   ", "empty address"),
        ("zz!", "'zz!': unexpected character '!'"),
        ("hello", "'hello': unknown name 'hello'"),
        ("0x", "'0x': not a number: '0x'"),
        ("0xfg", "'0xfg': unexpected 'g'"),
        ("1 / 0", "'1 / 0': division by zero"),
        ("(1", "'(1': expected ')', found the end"),
        ("_", "'_': unknown name '_'"),
    ],
)
def test_parse_address_errors(text: str, message: str) -> None:
    with pytest.raises(AddressError) as info:
        parse_address(text, 32)
    assert str(info.value) == message


def test_parse_address_errors_exact() -> None:
    with pytest.raises(AddressError) as info:
        parse_address("1_0000_0000", 32)
    assert str(info.value) == "'1_0000_0000' is wider than 32 bits (largest: 0xffffffff)"
    with pytest.raises(AddressError) as info:
        parse_address("1" + "0" * 16, 64)
    assert str(info.value) == "'10000000000000000' is wider than 64 bits (largest: 0xffffffffffffffff)"
    with pytest.raises(AddressError) as info:
        parse_address("lowmem.ned", 32, names={"lowmem.end": 5})
    assert str(info.value) == "'lowmem.ned': unknown name 'lowmem.ned'"
    assert issubclass(AddressError, ValueError)
    with pytest.raises(AddressError) as info:
        parse_address("f" * 1_000_000, 64)
    assert str(info.value) == f"'{'f' * 37}...' is 1000000 characters long; an address may be at most 1000"
    with pytest.raises(AddressError) as info:
        parse_address("1" * 999, 64, decimal=True)
    assert str(info.value) == f"'{'1' * 37}...' is wider than 64 bits (largest: 0xffffffffffffffff)"


def test_layout_names(tiny2g: Layout) -> None:
    names = layout_names(tiny2g)
    assert names["ram"] == 2 << 30
    assert names["lowmem_size"] == 896 << 20
    assert (names["lowmem.start"], names["lowmem.end"], names["lowmem.last"], names["lowmem.size"]) == (
        0xC000_0000, 0xF800_0000, 0xF7FF_FFFF, 896 << 20)
    assert names["user.end"] == 0xC000_0000


# -- translate on tiny.yaml ------------------------------------------------------------------


def test_translate_lowmem(tiny2g: Layout) -> None:
    t = translate(tiny2g, 0xC000_1234)
    assert isinstance(t, Translation)
    assert t.address == 0xC000_1234
    assert t.canonical is True
    assert t.region is not None and t.region.name == "lowmem"
    assert [r.name for r in t.path] == ["kernel space", "lowmem"]
    assert t.offset == 0x1234
    assert t.indices == {"pgd": 0x300, "pte": 1, "offset": 0x234}
    assert t.phys == 0x1234
    assert t.explanation == ("kernel space > lowmem: a linear map, phys = address - 0xc0000000 + 0x00000000 "
                             "= 0x00001234.")


def test_translate_to_json(tiny2g: Layout) -> None:
    data = translate(tiny2g, 0xC000_1000).to_json()
    assert set(data) == {"address", "canonical", "half", "region", "path", "offset", "indices", "phys",
                         "phys_source", "ram_covered", "assumption", "kasan", "tag", "explanation"}
    assert (data["half"], data["phys_source"], data["ram_covered"], data["kasan"]) == ("kernel", "rule", None, None)
    assert data["region"] == {"name": "lowmem", "id": "lowmem", "kind": "direct-map",
                              "start": 0xC000_0000, "end": 0xF800_0000}
    assert data["path"] == ["kernel space", "lowmem"]
    assert (data["address"], data["offset"], data["phys"]) == (0xC000_1000, 0x1000, 0x1000)
    assert data["indices"] == {"pgd": 768, "pte": 1, "offset": 0}


def test_translate_other_regions(tiny2g: Layout) -> None:
    t = translate(tiny2g, 0x0804_8000)
    assert t.region is not None and t.region.name == "user space" and t.phys is None
    assert "user memory" in t.explanation
    t = translate(tiny2g, 0xFF80_2000)
    assert t.region is not None and t.region.kind == "pkmap" and t.phys is None
    assert "only the page tables know" in t.explanation
    t = translate(tiny2g, 0xFFFF_FFFF)
    assert t.region is not None and t.region.name == "unused" and t.region.synthetic
    assert [r.name for r in t.path] == ["kernel space", "unused"]
    assert "nothing is mapped here" in t.explanation
    assert t.indices == {"pgd": 1023, "pte": 1023, "offset": 4095}


def test_translate_out_of_range(tiny2g: Layout) -> None:
    for bad in (-1, 1 << 32):
        with pytest.raises(AddressError, match="wider than 32 bits"):
            translate(tiny2g, bad)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, (1 << 32) - 1))
def test_every_32_bit_address_is_canonical_and_indexed(addr: int) -> None:
    layout = TINY
    t = translate(layout, addr)
    assert t.canonical
    assert (t.indices["pgd"] << 22) | (t.indices["pte"] << 12) | t.indices["offset"] == addr
    assert t.region is not None and t.region.start <= addr < t.region.end
    assert t.offset == addr - t.region.start
    if 0xC000_0000 <= addr < 0xF800_0000:
        assert t.phys == addr - 0xC000_0000
    else:
        assert t.phys is None


TINY = tiny(ram="2G")


# -- paging modes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "addr", "canonical"),
    [
        ("x86-64-4level", 0, True),
        ("x86-64-4level", 0x0000_7FFF_FFFF_FFFF, True),
        ("x86-64-4level", 0x0000_8000_0000_0000, False),
        ("x86-64-4level", 0xFFFF_7FFF_FFFF_FFFF, False),
        ("x86-64-4level", 0xFFFF_8000_0000_0000, True),
        ("x86-64-4level", 0xFFFF_FFFF_FFFF_FFFF, True),
        ("x86-64-4level", 0xDFFF_FC00_0000_0014, False),
        ("x86-64-4level", 0x00FF_FFFF_FFFF_FFFF, False),
        ("x86-64-5level", 0x0000_8000_0000_0000, True),
        ("x86-64-5level", 0xFFFF_7FFF_FFFF_FFFF, True),
        ("x86-64-5level", 0x00FF_FFFF_FFFF_FFFF, True),
        ("x86-64-5level", 0x0100_0000_0000_0000, False),
        ("x86-64-5level", 0xFEFF_FFFF_FFFF_FFFF, False),
        ("x86-64-5level", 0xFF00_0000_0000_0000, True),
        ("x86-64-5level", 0xDFFF_FC00_0000_0014, False),
        ("x86-32", 0xFFFF_FFFF, True),
        ("x86-32-pae", 0x8000_0000, True),
    ],
)
def test_canonical(mode: str, addr: int, canonical: bool) -> None:
    assert MODES[mode].canonical(addr) is canonical


def ix(pgd: int, p4d: int, pud: int, pmd: int, pte: int, offset: int) -> dict[str, int]:
    return {"pgd": pgd, "p4d": p4d, "pud": pud, "pmd": pmd, "pte": pte, "offset": offset}


@pytest.mark.parametrize(
    ("mode", "addr", "indices"),
    [
        ("x86-64-4level", 0x0000_7FFF_FFFF_FFFF, ix(255, 0, 511, 511, 511, 4095)),
        ("x86-64-4level", 0x0000_8000_0000_0000, ix(256, 0, 0, 0, 0, 0)),
        ("x86-64-4level", 0xFFFF_7FFF_FFFF_FFFF, ix(255, 0, 511, 511, 511, 4095)),
        ("x86-64-4level", 0xFFFF_8000_0000_0000, ix(256, 0, 0, 0, 0, 0)),
        ("x86-64-4level", 0xFFFF_8880_0000_1000, ix(273, 0, 0, 0, 1, 0)),
        ("x86-64-4level", 0xFFFF_FFFF_8100_0000, ix(511, 0, 510, 8, 0, 0)),
        ("x86-64-5level", 0x00FF_FFFF_FFFF_FFFF, ix(255, 511, 511, 511, 511, 4095)),
        ("x86-64-5level", 0x0100_0000_0000_0000, ix(256, 0, 0, 0, 0, 0)),
        ("x86-64-5level", 0xFF00_0000_0000_0000, ix(256, 0, 0, 0, 0, 0)),
        ("x86-64-5level", 0xFF11_0000_0000_0000, ix(273, 0, 0, 0, 0, 0)),
        ("x86-32", 0xC000_1234, {"pgd": 768, "pte": 1, "offset": 0x234}),
        ("x86-32-pae", 0xC000_1234, {"pgd": 3, "pmd": 0, "pte": 1, "offset": 0x234}),
        ("x86-32-pae", 0xFFFF_FFFF, {"pgd": 3, "pmd": 511, "pte": 511, "offset": 4095}),
    ],
)
def test_indices(mode: str, addr: int, indices: dict[str, int]) -> None:
    assert MODES[mode].indices(addr) == indices


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(MODES)), st.integers(0, (1 << 64) - 1))
def test_indices_rebuild_the_address(name: str, addr: int) -> None:
    mode = MODES[name]
    addr &= (1 << mode.address_bits) - 1
    idx = mode.indices(addr)
    rebuilt = idx["offset"]
    for level in mode.levels:
        assert 0 <= idx[level.name] < level.entries
        rebuilt |= idx[level.name] << level.lo if not level.folded else 0
    assert rebuilt == addr & ((1 << mode.va_bits) - 1)
    top = addr >> mode.upper_lo  # x86-64 and RISC-V: va_bits - 1; arm64: va_bits (TTBR0/TTBR1)
    assert mode.canonical(addr) == (not mode.sign_extended or top in (0, (1 << (64 - mode.upper_lo)) - 1))


def test_arm64_needs_the_top_bits_all_zero_or_all_one() -> None:
    four_k, sixty_four_k = MODES["arm64-4k-48"], MODES["arm64-64k-52"]
    assert four_k.canonical(0x0000_FFFF_FFFF_FFFF) and not four_k.canonical(0x0001_0000_0000_0000)
    assert four_k.canonical(0xFFFF_0000_0000_0000) and not four_k.canonical(0xFFFE_FFFF_FFFF_FFFF)
    assert sixty_four_k.canonical(0x000F_FFFF_FFFF_FFFF) and not sixty_four_k.canonical(0x0010_0000_0000_0000)
    assert sixty_four_k.indices(0xFFF0_0000_0001_2345) == {"pgd": 0, "pmd": 0, "pte": 1, "offset": 0x2345}


def test_modes_as_data() -> None:
    four, five = MODES["x86-64-4level"], MODES["x86-64-5level"]
    assert (four.va_bits, five.va_bits, four.page_shift) == (48, 57, 12)
    assert [lv.bits for lv in four.levels] == [9, 0, 9, 9, 9]
    assert [lv.bits for lv in five.levels] == [9, 9, 9, 9, 9]
    assert [lv.bits for lv in MODES["x86-32"].levels] == [10, 10]
    assert [lv.bits for lv in MODES["x86-32-pae"].levels] == [2, 9, 9]
    assert four.levels[1].folded and four.levels[1].entries == 1
    assert four.fields() == [("sign", 63, 48), ("pgd", 47, 39), ("p4d", 38, 39), ("pud", 38, 30),
                             ("pmd", 29, 21), ("pte", 20, 12), ("offset", 11, 0)]
    assert MODES["x86-32"].fields() == [("pgd", 31, 22), ("pte", 21, 12), ("offset", 11, 0)]


# -- KASAN: kasan_non_canonical_hook ------------------------------------------------------


@pytest.mark.parametrize(
    ("addr", "lo", "bug"),
    [
        (0xDFFF_FC00_0000_0000, 0x0, "null-ptr-deref"),
        (0xDFFF_FC00_0000_0014, 0xA0, "null-ptr-deref"),
        (0xDFFF_FC00_0000_01FF, 0xFF8, "null-ptr-deref"),
        (0xDFFF_FC00_0000_0200, 0x1000, "probably user-memory-access"),
        # TASK_SIZE_MAX = (1 << 47) - 4096: its last user byte is still user memory, the guard page is not
        (0xE000_0BFF_FFFF_FDFF, 0x7FFF_FFFF_EFF8, "probably user-memory-access"),
        (0xE000_0BFF_FFFF_FE00, 0x7FFF_FFFF_F000, "maybe wild-memory-access"),
        (0xE000_0C00_0000_0000, 0x8000_0000_0000, "maybe wild-memory-access"),
        # KASAN_SHADOW_START/END for 4 levels: the shadow of the kernel half
        (0xFFFF_EBFF_FFFF_FFFF, 0xFFFF_7FFF_FFFF_FFF8, "maybe wild-memory-access"),
        (0xFFFF_EC00_0000_0000, 0xFFFF_8000_0000_0000, "probably wild-memory-access"),
        (0xFFFF_FBFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFF8, "probably wild-memory-access"),
        (0xFFFF_FC00_0000_0000, 0x0, "null-ptr-deref"),  # wraps around, as unsigned long arithmetic does
    ],
)
def test_kasan_decode(k64: Layout, addr: int, lo: int, bug: str) -> None:
    s = decode(k64, addr, canonical=False)
    assert s is not None and (s.start, s.last, s.bug) == (lo, lo + 7, bug)
    assert s.line == f"KASAN: {bug} in range [0x{lo:016x}-0x{lo + 7:016x}]"


def test_kasan_decode_below_offset_or_without_kasan(k64: Layout, tiny2g: Layout) -> None:
    assert decode(k64, 0xDFFF_FBFF_FFFF_FFFF, False) is None
    assert decode(k64, 0x1000, True) is None
    assert decode(tiny2g, 0xFFFF_FFFF, True) is None


def test_kasan_decode_5_level() -> None:
    text = (DATA / "kasan64.yaml").read_text().replace("x86-64-4level", "x86-64-5level")
    layout = resolve(load_text(text, "k57.yaml"))

    def bug(addr: int) -> str:
        s = decode(layout, addr, False)
        assert s is not None
        return s.bug

    # KASAN_SHADOW_START = offset + ((-1UL << 56) >> 3) = 0xffdffc0000000000, END = 0xfffffc0000000000
    assert bug(0xFFDF_FC00_0000_0000) == "probably wild-memory-access"
    assert bug(0xFFDF_FBFF_FFFF_FFFF) == "maybe wild-memory-access"
    assert bug(0xFFFF_FBFF_FFFF_FFFF) == "probably wild-memory-access"
    # TASK_SIZE_MAX = (1 << 56) - 4096
    assert bug(0xDFFF_FC00_0000_0000 + ((1 << 56) - 8192 >> 3)) == "probably user-memory-access"
    assert bug(0xDFFF_FC00_0000_0000 + ((1 << 56) - 4096 >> 3)) == "maybe wild-memory-access"


def test_kasan_granule_follows_scale_shift(k64: Layout) -> None:
    layout = Layout(k64.id, k64.title, k64.arch, 64, k64.paging, k64.root, kasan=Kasan(0xDFFF_FC00_0000_0000, 4))
    s = decode(layout, 0xDFFF_FC00_0000_0001, False)
    assert s is not None and s.line == "KASAN: null-ptr-deref in range [0x0000000000000010-0x000000000000001f]"


def test_translate_non_canonical_with_kasan(k64: Layout) -> None:
    t = translate(k64, 0xDFFF_FC00_0000_0014)
    assert t.canonical is False and t.half == "non-canonical"
    assert t.region is not None and t.region.kind == "non-canonical"
    assert t.phys is None
    assert t.explanation.startswith("Non-canonical: bits 63..47 must all be equal")
    assert "#GP" in t.explanation
    assert '"KASAN: null-ptr-deref in range [0x00000000000000a0-0x00000000000000a7]"' in t.explanation


def test_translate_inside_the_shadow_claims_no_kernel_line(k64: Layout) -> None:
    """x86 prints the decode only after a #GP on a non-canonical address; the shadow is canonical."""
    t = translate(k64, 0xFFFF_EC00_0000_0000)
    assert t.canonical and t.region is not None and t.region.kind == "kasan"
    assert t.kasan is not None and t.kasan.printed is False and t.kasan.in_shadow
    assert "the shadow byte of the 8 bytes [0xffff800000000000-0xffff800000000007]" in t.explanation
    assert "KASAN:" not in t.explanation and "wild" not in t.explanation


def test_translate_64_bit_rules(k64: Layout) -> None:
    t = translate(k64, 0xFFFF_8880_0000_1000)
    assert t.phys == 0x1000 and t.canonical
    t = translate(k64, 0xFFFF_8881_0000_0000)  # past ram = 4G: the rule's phys, and the RAM assumed not there
    assert (t.phys, t.phys_source, t.ram_covered) == (0x1_0000_0000, "rule", False)
    assert t.assumption is not None and t.assumption.text == "ram=4G"
    assert "beyond the 4 GiB of RAM the map is backed with" in t.explanation
    t = translate(k64, 0xFFFF_EA00_0000_0040 + 5)
    assert t.phys is None
    assert "byte 5 of the struct page (64 bytes each) that describes pfn 0x1" in t.explanation
    t = translate(k64, 0x0000_7FFF_FFFF_F000)
    assert t.canonical and t.region is not None and t.region.name == "user space"


# -- phys_lookup -------------------------------------------------------------------------


def test_phys_lookup_lowmem_alias(tiny2g: Layout) -> None:
    p = phys_lookup(tiny2g, 0x1000)
    assert p.range is not None and p.range.name == "lowmem"
    assert [(a.address, a.path[-1].name) for a in p.aliases] == [(0xC000_1000, "lowmem")]
    assert p.explanation == "lowmem [0x00000000-0x37ffffff]; virtual alias: 0xc0001000 in lowmem."
    data = p.to_json()
    assert set(data) == {"phys", "range", "zone", "ram_covered", "assumption", "aliases", "rule_aliases",
                         "explanation"}
    assert (data["ram_covered"], data["assumption"], data["rule_aliases"]) == (True, None, [])
    assert data["aliases"][0]["address"] == 0xC000_1000
    assert data["aliases"][0]["path"] == ["kernel space", "lowmem"]


def test_phys_lookup_highmem_message(tiny2g: Layout) -> None:
    p = phys_lookup(tiny2g, 0x4000_0000)
    assert p.range is not None and p.range.name == "highmem" and p.aliases == ()
    assert p.explanation == (
        "highmem [0x38000000-0x7fffffff]; no permanent kernel mapping; the kernel reaches it only through "
        "temporary mappings: kmap() maps the page for a while into a slot of the pkmap window "
        "[0xff800000-0xffbfffff].")


def test_phys_lookup_beyond_ram(tiny2g: Layout) -> None:
    p = phys_lookup(tiny2g, 0x8000_0000)
    assert p.range is None and p.aliases == ()
    assert p.ram_covered is False and p.assumption is not None and p.assumption.text == "ram=2G"
    assert p.explanation == ("beyond the assumed RAM, which ends at 0x80000000: this assumes ram=2G (as set): "
                             "give the real size with --set ram=SIZE, or read a machine's with --capture DIR or "
                             "--pid PID; no permanent kernel mapping.")
    with pytest.raises(AddressError, match="32-bit physical"):
        phys_lookup(tiny2g, 1 << 32)


def test_phys_lookup_respects_limit(k64: Layout) -> None:
    assert [a.address for a in phys_lookup(k64, 0x1000).aliases] == [0xFFFF_8880_0000_1000]
    assert phys_lookup(k64, 4 << 30).aliases == ()


def test_phys_lookup_skips_children_with_their_own_rule() -> None:
    layout = resolve(load_text("""\
id: t
title: t
arch: x86_32
address_bits: 32
paging: x86-32
regions:
  - name: map
    start: 3G
    end: 4G
    kind: direct-map
    maps_to: {rule: linear, phys: 0}
    children:
      - {name: window, start: 3G + 1M, size: 1M, kind: ioremap, maps_to: {rule: linear, phys: 512M}}
      - {name: plain, start: 3G + 2M, size: 1M, kind: direct-map}
""", "t.yaml"))
    assert [a.address for a in phys_lookup(layout, 0x10_0000).aliases] == []  # 3G + 1M belongs to 'window'
    assert [a.address for a in phys_lookup(layout, 0x20_0000).aliases] == [0xC020_0000]  # inherited rule
    assert [(a.address, a.path[-1].name) for a in phys_lookup(layout, 512 << 20).aliases] == [
        (0xC010_0000, "window"), (0xE000_0000, "unused")]
    assert translate(layout, 0xC010_0010).phys == (512 << 20) + 0x10
    assert translate(layout, 0xC020_0010).phys == 0x20_0010


def test_a_batch_answers_each_address_as_it_is_answered_alone() -> None:
    """translations() works out once per leaf what a leaf shares; every answer, every field, is one
    address's own: random addresses in a shuffled order (a leaf met again with another canonical bit,
    another KASAN decode or phys), every leaf's ends, tagged pointers (arm64's KASAN modes)."""
    from vaslayout.catalog import builtin_ids, load

    rng = random.Random(23)
    cases = [(layout_id, {}) for layout_id in builtin_ids()]
    cases += [("arm64-4k-48bit", {"kasan_mode": mode}) for mode in (1, 2)]
    for layout_id, overrides in cases:
        layout = load(layout_id, overrides)
        addresses = [rng.randrange(layout.size) for _ in range(60)]
        addresses += [a for leaf in layout.leaves for a in (leaf.start, leaf.last, leaf.start + leaf.size // 2)]
        addresses += [(a ^ (rng.randrange(256) << 56)) % layout.size for a in addresses[:60]]
        rng.shuffle(addresses)
        batch = list(translations(layout, addresses))
        assert len(batch) == len(addresses)
        for address, t in zip(addresses, batch, strict=True):
            assert t == translate(layout, address), (layout_id, overrides, hex(address))


def test_a_batch_keeps_the_answers_before_an_address_too_wide(tiny2g: Layout) -> None:
    answers: list[Translation] = []
    with pytest.raises(AddressError, match="wider than 32 bits"):
        answers.extend(translations(tiny2g, [0x1000, 0xC000_0000, 1 << 32, 0x2000]))
    assert [t.address for t in answers] == [0x1000, 0xC000_0000]
