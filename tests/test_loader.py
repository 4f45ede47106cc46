"""YAML -> LayoutSpec: the good file, and every broken one named by file:line:column."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from vaslayout.core.loader import MAX_FILE_BYTES, LayoutError, LayoutSpec, Pos, load_file, load_text

DATA = Path(__file__).parent / "data"

HEAD = """\
id: t
title: a test layout
arch: x86_32
address_bits: 32
paging: x86-32
"""  # 5 lines: what follows starts on line 6

REGION = """\
regions:
  - name: all
    start: 0
    end: 4G
    kind: user-space
"""


def write(tmp_path: Path, text: str | bytes, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str | bytes) -> LayoutError:
    path = write(tmp_path, text)
    with pytest.raises(LayoutError) as info:
        load_file(path, display="bad.yaml")
    return info.value


def where(e: LayoutError) -> tuple[int, int]:
    assert isinstance(e.pos, Pos), e
    assert e.pos.file == "bad.yaml"
    return e.pos.line, e.pos.column


# -- the good file -------------------------------------------------------------


def test_tiny_loads() -> None:
    spec = load_file(DATA / "tiny.yaml")
    assert isinstance(spec, LayoutSpec)
    assert (spec.id, spec.arch, spec.address_bits, spec.paging) == ("tiny", "x86_32", 32, "x86-32")
    assert spec.origin == str(DATA / "tiny.yaml")
    assert [p.name for p in spec.params] == ["ram", "PAGE_OFFSET"]
    assert spec.params[0].value.text == "1G"
    assert spec.params[0].description == "RAM"
    assert spec.params[1].value.text == "0xC000_0000"
    assert [d.name for d in spec.derived] == ["lowmem_size"]
    assert [r.name for r in spec.regions] == ["user space", "kernel space"]
    kernel = spec.regions[1]
    assert kernel.id == "kernel" and kernel.last is not None and kernel.last.text == "0xffffffff"
    assert [c.name for c in kernel.children] == ["lowmem", "pkmap"]
    lowmem = kernel.children[0]
    assert lowmem.rule is not None and lowmem.rule.name == "linear" and lowmem.rule.phys.text == "0"
    assert lowmem.size is not None and lowmem.size.text == "lowmem_size"
    assert (lowmem.pos.line, lowmem.pos.column) == (32, 9)
    assert spec.physical_bits == 32
    assert [r.name for r in spec.physical] == ["lowmem", "highmem"]
    assert spec.sources[0].file == "Documentation/arch/x86/x86_64/mm.rst"
    assert spec.sources[0].repo == "torvalds/linux"


def test_display_name_is_used_in_positions() -> None:
    spec = load_file(DATA / "tiny.yaml", display="tiny.yaml")
    assert spec.origin == "tiny.yaml"
    assert str(spec.regions[0].pos) == "tiny.yaml:21:5"


def test_load_text_default_origin() -> None:
    spec = load_text(HEAD + REGION)
    assert spec.origin == "<layout>"
    assert spec.regions[0].end is not None and spec.regions[0].end.text == "4G"


def test_value_positions_and_quotes() -> None:
    spec = load_text(HEAD + "regions:\n  - {name: a, start: 'x + 1', end: \"4G\", kind: hole}\n", "f")
    r = spec.regions[0]
    assert (r.start.pos.line, r.start.pos.column, r.start.quote, r.start.exact) == (7, 22, 1, True)
    assert r.end is not None and (r.end.pos.column, r.end.quote) == (36, 1)


def test_multi_line_values_are_not_exact() -> None:
    spec = load_text(HEAD + "regions:\n  - name: a\n    start: 1 +\n      2\n    end: \"\\x31\"\n    kind: hole\n")
    r = spec.regions[0]
    assert r.start.text == "1 + 2" and not r.start.exact
    assert r.end is not None and r.end.text == "1" and not r.end.exact


def test_optional_sections() -> None:
    text = HEAD + """\
summary: a paragraph
sources:
  - Documentation/x.rst
  - {file: arch/x86/y.h, repo: other/linux, commit: abc123, note: n}
params:
  ram: 2G
  mode: {value: 1, description: d, source: s, choices: {0: off, 1: on}}
derived:
  twice: ram * 2
kasan: {offset: 0xdffffc0000000000, scale_shift: 3}
physical:
  bits: 36
  ranges:
    - {name: RAM, start: 0, end: ram, kind: direct-map}
""" + REGION
    spec = load_text(text)
    assert spec.summary == "a paragraph"
    assert [s.file for s in spec.sources] == ["Documentation/x.rst", "arch/x86/y.h"]
    assert (spec.sources[1].repo, spec.sources[1].commit, spec.sources[1].note) == ("other/linux", "abc123", "n")
    assert spec.params[1].choices == {0: "off", 1: "on"}
    assert spec.derived[0].value.text == "ram * 2"
    assert spec.kasan_offset is not None and spec.kasan_offset.text == "0xdffffc0000000000"
    assert spec.kasan_scale_shift is not None and spec.kasan_scale_shift.text == "3"
    assert spec.physical_bits == 36 and spec.physical[0].name == "RAM"


# -- broken files: each names the right place ---------------------------------------


def test_yaml_syntax_error(tmp_path: Path) -> None:
    e = load_error(tmp_path, HEAD + "regions: [\n  {name: a\n")
    assert str(e).startswith("bad.yaml:8:1: YAML: ")
    assert where(e) == (8, 1)


def test_tab_indentation(tmp_path: Path) -> None:
    e = load_error(tmp_path, HEAD + "regions:\n\t- name: a\n")
    assert where(e) == (7, 1)
    assert "tab" in e.message
    assert str(e).startswith("bad.yaml:7:1: YAML: ")


@pytest.mark.parametrize("text", ["- a\n- b\n", "just words\n", "42\n"])
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str) -> None:
    e = load_error(tmp_path, text)
    assert str(e) == "bad.yaml:1:1: the layout must be a mapping"


@pytest.mark.parametrize(
    ("text", "line", "col", "words"),
    [
        (HEAD.replace("address_bits: 32", 'address_bits: "32"') + REGION, 4, 15, "address_bits must be an integer"),
        (HEAD.replace("address_bits: 32", "address_bits: 48") + REGION, 4, 15, "must be 32 or 64"),
        (HEAD.replace("title: a test layout", "title: [a, b]") + REGION, 2, 8, "title must be text"),
        (HEAD.replace("title: a test layout", "title:") + REGION, 2, 7, "title must be text"),
        (HEAD + "regions: 5\n", 6, 10, "regions must be a list"),
        (HEAD + REGION.replace("start: 0", "start: [0]"), 8, 12, "must be a number or an expression"),
        (HEAD + REGION.replace("start: 0", "start: 1.5"), 8, 12, "must be a number or an expression"),
        (HEAD + REGION.replace("start: 0", "start: true"), 8, 12, "must be a number or an expression"),
        (HEAD + REGION.replace("start: 0", "start: ''"), 8, 12, "must be a number or an expression"),
        (HEAD + REGION.replace("kind: user-space", "kind: user space"), 10, 11, "kind must be letters"),
        (HEAD + REGION.replace("kind: user-space", "kind: user-space\n    id: 9lives"), 11, 9, "plain identifier"),
        (HEAD + REGION.replace("kind: user-space", "kind: user-space\n    children: {a: 1}"), 11, 15,
         "children must be a list"),
        (HEAD.replace("paging: x86-32", "paging: x86-32-pea") + REGION, 5, 9, "did you mean 'x86-32-pae'"),
        (HEAD.replace("paging: x86-32", "paging: x86-64-4level") + REGION, 5, 9, "is for 64-bit addresses"),
        (HEAD + "params: [1]\n" + REGION, 6, 9, "params must be a mapping"),
        (HEAD + "params:\n  my-ram: 1\n" + REGION, 7, 3, "param name 'my-ram' must be a plain identifier"),
        (HEAD + "params:\n  m: {value: 0, choices: {x: off}}\n" + REGION, 7, 27, "keyed by integers"),
        (HEAD + "params:\n  m: {description: no value}\n" + REGION, 7, 6, "is missing 'value'"),
        (HEAD + "physical: {bits: 99}\n" + REGION, 6, 18, "physical bits must be 1..64"),
        (HEAD + REGION.replace("kind: user-space", "kind: user-space\n    maps_to: {rule: linaer, phys: 0}"),
         11, 21, "did you mean 'linear'"),
        (HEAD + REGION.replace("kind: user-space", "kind: user-space\n    maps_to: {rule: linear}"), 11, 14,
         "rule 'linear' needs 'phys'"),
        (HEAD + REGION.replace("kind: user-space", "kind: user-space\n    maps_to: {rule: linear, phys: 0, "
                                                   "struct_size: 1}"), 11, 38, "takes no 'struct_size'"),
        (HEAD + "regions: []\n", 6, 10, "at least one region"),
    ],
)
def test_wrong_value_types(tmp_path: Path, text: str, line: int, col: int, words: str) -> None:
    e = load_error(tmp_path, text)
    assert words in e.message
    assert where(e) == (line, col), str(e)
    assert str(e).startswith(f"bad.yaml:{line}:{col}: ")


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    e = load_error(tmp_path, HEAD + REGION.replace("start: 0", "strat: 0"))
    assert str(e) == "bad.yaml:8:5: unknown key 'strat' in a region (did you mean 'start'?)"
    e = load_error(tmp_path, HEAD + "sumary: x\n" + REGION)
    assert str(e) == "bad.yaml:6:1: unknown key 'sumary' in the layout (did you mean 'summary'?)"


def test_unknown_key_without_a_close_match_lists_the_allowed(tmp_path: Path) -> None:
    e = load_error(tmp_path, HEAD + "zzz: 1\n" + REGION)
    assert where(e) == (6, 1)
    assert "allowed: id, title" in e.message


def test_missing_field(tmp_path: Path) -> None:
    e = load_error(tmp_path, HEAD + REGION.replace("    kind: user-space\n", ""))
    assert str(e) == "bad.yaml:7:5: a region is missing 'kind'"
    e = load_error(tmp_path, HEAD.replace("arch: x86_32\n", "") + REGION)
    assert str(e) == "bad.yaml:1:1: the layout is missing 'arch'"


def test_region_needs_exactly_one_end(tmp_path: Path) -> None:
    e = load_error(tmp_path, HEAD + REGION.replace("end: 4G", "end: 4G\n    size: 4G"))
    assert str(e) == "bad.yaml:7:5: 'all' has both 'end' and 'size'; give exactly one"
    e = load_error(tmp_path, HEAD + REGION.replace("end: 4G", "last: 0xffffffff\n    size: 4G"))
    assert "has both 'size' and 'last'" in e.message
    e = load_error(tmp_path, HEAD + REGION.replace("    end: 4G\n", ""))
    assert str(e) == "bad.yaml:7:5: 'all' needs one of 'end', 'size' or 'last'"


def test_aliases_and_anchors_are_refused(tmp_path: Path) -> None:
    text = HEAD + "params:\n  a: &big 4G\n  b: *big\n" + REGION
    e = load_error(tmp_path, text)
    assert str(e) == "bad.yaml:7:6: anchors and aliases are not allowed in layout files"
    e = load_error(tmp_path, HEAD + "summary: &s lonely anchor\n" + REGION)
    assert where(e) == (6, 10) and "anchors" in e.message


def test_merge_keys_are_refused(tmp_path: Path) -> None:
    text = HEAD + "regions:\n  - &r {name: a, start: 0, end: 1G, kind: hole}\n  - {<<: *r, name: b}\n"
    e = load_error(tmp_path, text)
    assert where(e) == (7, 5) and "anchors and aliases" in e.message


def test_billion_laughs_is_refused_fast(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    t0 = time.perf_counter()
    e = load_error(tmp_path, "\n".join(lines) + "\n")
    assert time.perf_counter() - t0 < 0.5
    assert where(e) == (1, 5)


def test_python_tags_are_refused_and_nothing_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = HEAD + f"summary: !!python/object/apply:os.system ['touch {marker}']\n" + REGION
    e = load_error(tmp_path, text)
    assert str(e) == ("bad.yaml:6:10: tag 'tag:yaml.org,2002:python/object/apply:os.system' "
                      "is not allowed in layout files")
    assert not marker.exists()
    e = load_error(tmp_path, HEAD + REGION.replace("start: 0", "start: !!python/object:builtins.int 0"))
    assert where(e) == (8, 12) and "tag" in e.message
    e = load_error(tmp_path, HEAD + REGION.replace("start: 0", "start: !custom 0"))
    assert where(e) == (8, 12) and "'!custom'" in e.message


def test_other_yaml_types_are_refused_by_tag(tmp_path: Path) -> None:
    e = load_error(tmp_path, HEAD + REGION.replace("start: 0", "start: 2001-12-14"))
    assert where(e) == (8, 12) and "timestamp" in e.message
    e = load_error(tmp_path, HEAD + "summary: !!binary aGVsbG8=\n" + REGION)
    assert where(e) == (6, 10)


def test_non_utf8_bytes(tmp_path: Path) -> None:
    data = (HEAD + REGION).encode().replace(b"name: all", b"name: \xc3\xa9t\xe9")
    e = load_error(tmp_path, data)
    assert str(e) == "bad.yaml:7:13: not UTF-8 (byte 0xe9)"


def test_control_characters(tmp_path: Path) -> None:
    e = load_error(tmp_path, HEAD + REGION.replace("name: all", "name: \u00e9\x07"))
    assert where(e) == (7, 12)
    assert "U+0007" in e.message
    assert "\n" not in str(e)


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    e = load_error(tmp_path, text)
    assert str(e) == "bad.yaml:1:1: empty layout file"


def test_second_document_is_refused(tmp_path: Path) -> None:
    e = load_error(tmp_path, HEAD + REGION + "---\nid: again\n")
    assert where(e) == (11, 1) and "one YAML document" in e.message


def test_file_over_one_mib_is_refused_quickly(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + REGION + "# " + "x" * MAX_FILE_BYTES + "\n")
    t0 = time.perf_counter()
    with pytest.raises(LayoutError) as info:
        load_file(path, display="big.yaml")
    assert time.perf_counter() - t0 < 0.2
    assert str(info.value).startswith("big.yaml: ")
    assert "1 MiB" in str(info.value)
    with pytest.raises(LayoutError, match="1 MiB"):
        load_text("#" * (MAX_FILE_BYTES + 1))


def test_exactly_one_mib_is_allowed(tmp_path: Path) -> None:
    body = HEAD + REGION
    path = write(tmp_path, body + "#" * (MAX_FILE_BYTES - len(body) - 1) + "\n", "ok.yaml")
    assert path.stat().st_size == MAX_FILE_BYTES
    assert load_file(path).id == "t"


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_endless_device_is_refused_quickly() -> None:
    t0 = time.perf_counter()
    with pytest.raises(LayoutError, match="1 MiB"):
        load_file("/dev/zero")
    assert time.perf_counter() - t0 < 0.5


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(LayoutError) as info:
        load_file(tmp_path / "nope.yaml", display="nope.yaml")
    assert str(info.value) == "nope.yaml: cannot read: No such file or directory"
    with pytest.raises(LayoutError, match="cannot read"):
        load_file(tmp_path)


def test_duplicate_keys(tmp_path: Path) -> None:
    e = load_error(tmp_path, HEAD + REGION.replace("end: 4G", "end: 4G\n    end: 3G"))
    assert str(e) == "bad.yaml:10:5: duplicate key 'end' in a region"
    e = load_error(tmp_path, HEAD + "params:\n  ram: 1G\n  ram: 2G\n" + REGION)
    assert str(e) == "bad.yaml:8:3: duplicate key 'ram' in params"
    e = load_error(tmp_path, HEAD + "id: u\n" + REGION)
    assert where(e) == (6, 1) and "duplicate key 'id'" in e.message


@pytest.mark.parametrize(
    "text",
    ["[" * 200_000 + "]" * 200_000, "a: " + "{a: " * 50_000 + "1" + "}" * 50_000, "- " * 5000 + "x"],
    ids=["brackets", "braces", "dashes"],
)
def test_deep_nesting_is_an_error_not_a_crash(tmp_path: Path, text: str) -> None:
    t0 = time.perf_counter()
    e = load_error(tmp_path, text)
    assert time.perf_counter() - t0 < 1.0
    assert where(e)[0] == 1
    assert "nested deeper than" in e.message


def test_regions_nested_too_deep(tmp_path: Path) -> None:
    region = "{name: r, start: 0, end: 1, kind: hole, children: [%s]}"
    inner = "{name: r, start: 0, end: 1, kind: hole}"
    for _ in range(40):
        inner = region % inner
    e = load_error(tmp_path, HEAD + f"regions: [{inner}]\n")
    assert "nested deeper than 32" in e.message
    assert where(e)[0] == 6


def test_errors_are_value_errors_with_one_line() -> None:
    assert issubclass(LayoutError, ValueError)
    e = LayoutError("something is wrong", Pos("f.yaml", 3, 7))
    assert str(e) == "f.yaml:3:7: something is wrong"
    assert str(LayoutError("plain")) == "plain"
    assert str(LayoutError("m", "--set x=1")) == "--set x=1: m"
    assert Pos("f", 1, 2).shifted(3) == Pos("f", 1, 5)
