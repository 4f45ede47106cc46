"""Broken layout files through the real CLI: one line each, exit 2, fast, and nothing runs.

`corpus/` holds the small hostile files, each with the error it must give in
CORPUS below ("LINE:COLUMN: the start of the message"). The big ones (a
50 MB file, a megabyte-long expression, YAML nested 10,000 deep, ...) are
written into a temporary folder by GENERATED, so the repository stays small.

Every file is run as `python -m vaslayout validate FILE` in its own process
from a scratch folder: stderr must be exactly one line naming the file (and
line:column where there is a line), exit code 2, nothing on stdout, no
traceback. The same files go through cli.main() in this process too. How
long each takes is measured by benchmarks/limits.py, not asserted here: a
busy machine must not fail a test. Several files carry payloads
(YAML python tags, Python code in expressions) that would create a `pwned-*`
file in the current folder if anything executed them; none may appear.
"""

from __future__ import annotations

import gc
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.robustness.conftest import ROOT, Run, cli, one_user_error
from vaslayout import cli as vcli

CORPUS_DIR = Path(__file__).parent / "corpus"

# file -> "LINE:COLUMN: start of the message" (the line is "PATH:" + this)
CORPUS = {
    # YAML syntax
    "yaml-unclosed-flow.yaml": "7:1: YAML: did not find expected ',' or ']' (while parsing a flow sequence that "
                               "starts at line 6, column 10)",
    "yaml-bad-indent.yaml": "9:4: YAML: did not find expected '-' indicator",
    "yaml-unclosed-quote.yaml": "11:1: YAML: found unexpected end of stream (while scanning a quoted scalar that "
                                "starts at line 7, column 11)",
    "yaml-unclosed-in-children.yaml": "18:1: YAML: found unexpected end of stream (while scanning a quoted "
                                      "scalar that starts at line 17, column 15)",
    "yaml-tab-indent.yaml": "7:1: YAML: found character that cannot start any token (a tab: YAML indents with "
                            "spaces only)",
    "yaml-second-document.yaml": "8:1: a layout file holds one YAML document; found a second one",
    "yaml-duplicate-key.yaml": "7:54: duplicate key 'kind' in a region",
    "yaml-nul-byte.yaml": "3:1: YAML: character U+0000 is not allowed",
    "yaml-escape-sequence.yaml": "2:10: YAML: character U+001B is not allowed",
    "yaml-flow-comma-in-expression.yaml": "7:39: unknown key '32)' in a region",
    # the wrong thing at the top
    "top-level-list.yaml": "1:1: the layout must be a mapping",
    "top-level-scalar.yaml": "1:1: the layout must be a mapping",
    "top-level-number.yaml": "1:1: the layout must be a mapping",
    "top-level-null.yaml": "1:1: the layout must be a mapping",
    "empty.yaml": "1:1: empty layout file",
    "only-comments.yaml": "1:1: empty layout file",
    "only-bom.yaml": "1:1: empty layout file",
    # wrong value types
    "type-address-bits-text.yaml": "4:15: address_bits must be an integer",
    "type-address-bits-48.yaml": "4:15: address_bits must be 32 or 64, got 48",
    "type-address-bits-huge.yaml": "4:15: address_bits must be an integer",
    "type-regions-mapping.yaml": "7:3: regions must be a list",
    "type-region-is-text.yaml": "7:5: a region must be a mapping",
    "type-name-is-list.yaml": "7:12: name must be text",
    "type-start-is-bool.yaml": "7:24: 'all' start must be a number or an expression",
    "type-start-is-float.yaml": "7:24: not a number: '1e400'",
    "type-start-is-null.yaml": "7:24: 'all' start must be a number or an expression",
    "type-start-is-mapping.yaml": "7:24: 'all' start must be a number or an expression",
    "type-end-is-timestamp.yaml": "7:32: tag 'tag:yaml.org,2002:timestamp' is not allowed in layout files",
    "type-kind-has-spaces.yaml": "7:42: kind must be letters, digits, '_', '-' or '.', got 'user space'",
    "type-id-not-identifier.yaml": "7:21: id 'all-of-it' must be a plain identifier",
    "type-key-is-list.yaml": "7:54: keys in a region must be plain words",
    "type-params-list.yaml": "6:9: params must be a mapping",
    "type-param-name-bad.yaml": "7:3: param name 'ram size' must be a plain identifier",
    "type-choices-not-int.yaml": "7:30: param 'mode' choices must be keyed by integers, got 'zero'",
    "type-sources-mapping.yaml": "6:10: sources must be a list",
    # unknown keys and names
    "unknown-top-key.yaml": "6:1: unknown key 'regoins' in the layout (did you mean 'regions'?)",
    "unknown-region-key.yaml": "7:27: unknown key 'ned' in a region (did you mean 'end'?)",
    "unknown-kind-is-fine-but-rule-is-not.yaml": "7:67: unknown rule 'lineal' (did you mean 'linear'?)",
    "unknown-paging.yaml": "5:9: unknown paging mode 'x86-33' (did you mean 'x86-32'?)",
    "unknown-function.yaml": "9:10: unknown function 'pow'",
    "unknown-name.yaml": "9:33: unknown name 'PAGE_OFSET' (did you mean 'PAGE_OFFSET'?)",
    "unknown-region-attr.yaml": "8:27: unknown name 'user.stop' (did you mean 'user.last'?)",
    # missing fields
    "missing-id.yaml": "1:1: the layout is missing 'id'",
    "missing-regions.yaml": "1:1: the layout is missing 'regions'",
    "missing-start.yaml": "7:5: a region is missing 'start'",
    "missing-end.yaml": "7:5: 'all' needs one of 'end', 'size' or 'last'",
    "missing-kind.yaml": "7:5: a region is missing 'kind'",
    "missing-both-end-and-size.yaml": "7:5: 'all' has both 'end' and 'size'; give exactly one",
    "missing-empty-regions.yaml": "6:10: regions is empty; a layout needs at least one region",
    "missing-linear-phys.yaml": "7:63: rule 'linear' needs 'phys'",
    # the layout itself is wrong
    "overlap.yaml": "8:5: 'high' [0x80000000, 2^32) overlaps 'low' [0x00000000, 0xc0000000)",
    "overlap-children.yaml": "13:9: 'b' [0x00080000, 0x00180000) overlaps 'a' [0x00000000, 0x00100000)",
    "child-outside-parent.yaml": "12:9: 'lowmem' [0x80000000, 0xb8000000) lies outside its parent 'kernel'",
    "child-past-parent-end.yaml": "12:9: 'stack' [0xbffff000, 0xc0001000) lies outside its parent 'user'",
    "empty-range.yaml": "7:5: 'nothing': start 0x40000000 is not below end 0x40000000",
    "empty-size-zero.yaml": "7:5: 'nothing': start 0x40000000 is not below end 0x40000000",
    "reversed-range.yaml": "7:5: 'backwards': start 0xc0000000 is not below end 0x40000000",
    "negative-size.yaml": "7:5: 'backwards': start 0xc0000000 is not below end 0x80000000",
    "negative-start.yaml": "7:5: 'below zero' [-0x00001000, 0x40000000) does not fit in 32-bit addresses",
    "wider-than-layout.yaml": "7:5: 'too far' [0x00000000, 2^32 + 0x00001000) does not fit in 32-bit addresses",
    "wider-last.yaml": "7:5: 'too far' [0x00000000, 1 TiB (past 2^32)) does not fit in 32-bit addresses",
    "wider-64bit.yaml": "7:5: 'all' [0x0000000000000000, 32 EiB (past 2^64)) does not fit in 64-bit addresses",
    "paging-wrong-width.yaml": "5:9: paging 'x86-64-4level' is for 64-bit addresses",
    "cyclic-params.yaml": "9:6: cyclic reference: a -> b -> c -> a",
    "cyclic-self.yaml": "7:8: cyclic reference: ram -> ram",
    "cyclic-regions.yaml": "8:39: cyclic reference: user.end -> kernel.start -> user.end",
    "duplicate-names.yaml": "9:5: region id 'lowmem' is already defined as a param",
    "division-by-zero.yaml": "9:35: division by zero",
    "bad-choice.yaml": "7:9: param 'mode' is 2; it must be one of 0 (small), 1 (big)",
    "kasan-shift.yaml": "6:33: kasan scale_shift must be 0..8, got 100",
    "physical-bits-zero.yaml": "6:18: physical bits must be 1..64, got 0",
    "physical-overlap.yaml": "10:7: physical range 'b' [0x40000000, 0xc0000000) overlaps 'a'",
    "negative-phys.yaml": "7:63: 'all': maps_to phys is negative (-1)",
    # expressions built to explode, or to run code
    "expr-power.yaml": "7:34: there is no exponent operator; write powers of two as 1 << n",
    "expr-huge-shift.yaml": "7:34: shift by 100000000000: shifts must be 0..128",
    "expr-negative-shift.yaml": "7:35: shift by -1: shifts must be 0..128",
    "expr-growing-product.yaml": "8:8: value exceeds 2^130",
    "expr-doubling-chain.yaml": "15:10: value exceeds 2^130",
    "expr-huge-literal.yaml": "7:32: value exceeds 2^130",
    "expr-python-code.yaml": "7:44: unexpected character \"'\"",
    "expr-lambda.yaml": "7:40: unexpected character ':'",
    "expr-attribute.yaml": "7:33: unknown name 'ram.__class__'",
    "expr-multiline-broken.yaml": "9:10: expected a number, name or '(', found the end",
    # YAML features that build or run things
    "yaml-alias-bomb.yaml": "1:4: anchors and aliases are not allowed in layout files",
    "yaml-alias-in-region.yaml": "7:5: anchors and aliases are not allowed in layout files",
    "yaml-merge-key.yaml": "6:7: anchors and aliases are not allowed in layout files",
    "tag-python-os-system.yaml": "7:11: tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
    "tag-python-top.yaml": "1:1: tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
    "tag-python-name.yaml": "7:12: tag 'tag:yaml.org,2002:python/name:os.system' is not allowed",
    "tag-python-new.yaml": "7:24: tag 'tag:yaml.org,2002:python/object/new:subprocess.Popen' is not allowed",
    "tag-directive.yaml": "9:12: tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
    "tag-custom.yaml": "7:12: tag '!include' is not allowed in layout files",
    "tag-binary.yaml": "7:12: tag 'tag:yaml.org,2002:binary' is not allowed in layout files",
    "tag-set.yaml": "6:10: tag 'tag:yaml.org,2002:set' is not allowed in layout files",
    # bytes that are not UTF-8
    "non-utf8-latin1.yaml": "2:11: not UTF-8 (byte 0xe9)",
    "non-utf8-bytes.yaml": "7:13: not UTF-8 (byte 0xff)",
    "utf16-le.yaml": "1:1: not UTF-8 (byte 0xff)",
}

HEAD = "id: t\ntitle: a test layout\narch: x86_32\naddress_bits: 32\npaging: x86-32\n"
ALL = "regions:\n  - {name: all, start: 0, end: 4G, kind: user-space}\n"


def _big_50mb(path: Path) -> None:
    line = b"  - {name: all, start: 0, end: 4G, kind: user-space}\n"
    with open(path, "wb") as f:
        f.write(HEAD.encode() + b"regions:\n")
        chunk = line * 20_000
        for _ in range(50_000_000 // len(chunk) + 1):
            f.write(chunk)


def _text(body: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(body, encoding="utf-8")


def _bytes(body: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(body)


def _region_end(expression: str) -> str:
    return HEAD + f"regions:\n  - {{name: all, start: 0, end: '{expression}', kind: user-space}}\n"


# file -> (how to write it, the start of the message; "L:C: ..." or ": ..." where there is no line)
GENERATED: dict[str, tuple[Callable[[Path], None], str]] = {
    "big-50mb.yaml": (_big_50mb, ": larger than 1 MiB, the most a layout file may be"),
    "expr-1mb-long.yaml": (_text(_region_end("1+" * 500_000 + "1")), "7:1033: expression longer than 1000 characters"),
    "expr-10000-deep.yaml": (_text(_region_end("(" * 10_000 + "1" + ")" * 10_000)),
                             "7:1033: expression longer than 1000 characters"),
    "expr-900-unary.yaml": (_text(_region_end("-" * 900 + "1")), "7:97: expression nested deeper than 64 levels"),
    "expr-60-calls-deep.yaml": (_text(_region_end("max(" * 70 + "1" + ")" * 70)),
                                "7:289: expression nested deeper than 64 levels"),
    "yaml-10000-deep.yaml": (_text(HEAD + "regions: " + "[" * 10_000 + "]" * 10_000 + "\n"),
                             "6:109: YAML nested deeper than 100 levels"),
    "yaml-200000-deep.yaml": (_text("{a: " * 200_000 + "1" + "}" * 200_000 + "\n"),
                              "1:401: YAML nested deeper than 100 levels"),
    "yaml-alias-bomb-20.yaml": (_text("a0: &a0 [lol, lol]\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 20))),
        "1:5: anchors and aliases are not allowed in layout files"),
    "yaml-60000-values.yaml": (_text(HEAD + "sources: [" + "a, " * 60_000 + "a]\n" + ALL),
                               "6:149972: more than 50,000 YAML values; a layout file needs far fewer"),
    "regions-5001.yaml": (_text(HEAD + "regions:\n" + "".join(
        f"  - {{name: r{i}, start: {i * 4096}, size: 4K, kind: heap}}\n" for i in range(5001))),
        "5007:5: more than 5000 regions"),
    "param-chain-10000.yaml": (_text(HEAD + "params:\n" + "".join(f"  p{i}: p{i + 1} + 1\n" for i in range(10_000))
                                     + "  p10000: 0\n" + _region_end("4G - p0").split("\n", 5)[5]),
                               "106:8: names refer to each other more than 100 deep (at p100)"),
    "random-bytes.yaml": (_bytes(random.Random(5).randbytes(100_000)), "1:4: not UTF-8 (byte 0x9f)"),
    "newline\nin-name.yaml": (_text("id: [\n"), "2:1: YAML: did not find expected node content"),
    "a-directory.yaml": (lambda path: path.mkdir(), ": cannot read: Is a directory"),
    "missing.yaml": (lambda path: None, ": cannot read: No such file or directory"),
}

# Files at the edge of the limits that must load, and quickly.
GOOD: dict[str, Callable[[Path], None]] = {
    "regions-5000.yaml": _text(HEAD + "regions:\n" + "".join(
        f"  - {{name: r{i}, start: {i * 4096}, size: 4K, kind: heap}}\n" for i in range(5000))),
    "expr-999-long.yaml": _text(_region_end("+".join(["8M"] * 333))),
    "expr-64-deep.yaml": _text(_region_end("(" * 63 + "4G" + ")" * 63)),
    "param-chain-100.yaml": _text(HEAD + "params:\n" + "".join(f"  p{i}: p{i + 1} + 1\n" for i in range(99))
                                  + "  p99: 0\n" + _region_end("4G - p0").split("\n", 5)[5]),
    "crlf.yaml": _text((HEAD + ALL).replace("\n", "\r\n")),
    "bom.yaml": _text("\ufeff" + HEAD + ALL),
    "unicode-names.yaml": _text(HEAD.replace("a test layout", "caf\u00e9 \u202eRTL\u202c \u200b") + "regions:\n"
                                "  - {name: '\u30d2\u30fc\u30d7\u0301', start: 0, end: 4G, kind: user-space}\n"),
    "exactly-1mib.yaml": lambda path: path.write_text(HEAD + ALL + "#" * ((1 << 20) - len(HEAD + ALL) - 1) + "\n"),
}


def _marker_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("pwned*"))


@dataclass
class Results:
    runs: dict[str, Run]  # file name -> the CLI run
    paths: dict[str, str]  # file name -> the path given on the command line
    markers: list[Path]  # payload files that appeared in the runs' current folder


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    """Every file through `python -m vaslayout validate`, two processes at a time."""
    files = tmp_path_factory.mktemp("files")
    work = tmp_path_factory.mktemp("work")  # the current folder of every run: payloads would land here
    jobs: dict[str, Path] = {}
    for name in CORPUS:
        jobs[name] = CORPUS_DIR / name
    for name, (write, _) in GENERATED.items():
        path = files / name
        write(path)
        jobs[name] = path
    for name, write in GOOD.items():
        write(files / name)
        jobs[name] = files / name
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(cli, "validate", str(path), cwd=work) for name, path in jobs.items()}
        runs = {name: f.result() for name, f in futures.items()}
    return Results(runs, {name: str(path) for name, path in jobs.items()}, _marker_files(work))


def test_the_corpus_table_names_every_file() -> None:
    on_disk = {p.name for p in CORPUS_DIR.iterdir()}
    assert on_disk == set(CORPUS), (on_disk ^ set(CORPUS))


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus_file(results: Results, name: str) -> None:
    run = results.runs[name]
    line = one_user_error(run)
    assert line.startswith(f"{results.paths[name]}:{CORPUS[name]}"), line


@pytest.mark.parametrize("name", sorted(GENERATED), ids=lambda n: n.replace("\n", "-"))
def test_generated_file(results: Results, name: str) -> None:
    run = results.runs[name]
    line = one_user_error(run)
    shown = results.paths[name].replace("\n", "\\n")  # a control character in a name is escaped
    expected = GENERATED[name][1]
    assert line.startswith(shown + ("" if expected.startswith(":") else ":") + expected), line


@pytest.mark.parametrize("name", sorted(GOOD))
def test_files_at_the_limits_load(results: Results, name: str) -> None:
    run = results.runs[name]
    assert run.returncode == 0, run
    assert run.stderr == ""
    assert run.stdout.startswith(f"{results.paths[name]}: ok: t, "), run.stdout


def test_nothing_in_any_file_was_executed(results: Results) -> None:
    assert len(results.runs) == len(CORPUS) + len(GENERATED) + len(GOOD)
    assert results.markers == []


def test_the_payloads_are_real(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same tag, given to PyYAML's unsafe loader, does run: so the test above means something."""
    monkeypatch.chdir(tmp_path)
    text = (CORPUS_DIR / "tag-python-os-system.yaml").read_text()
    yaml.unsafe_load(text)
    assert [p.name for p in _marker_files(tmp_path)] == ["pwned-by-tag"]


def _in_process(path: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    enabled = gc.isenabled()  # cli.main() turns the collector off for the rest of a short run
    try:
        code = vcli.main(["validate", path])
    finally:
        if enabled:
            gc.enable()
    return code, capsys.readouterr().err


def test_every_file_is_judged_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """cli.main() in this process gives each file the same one line (benchmarks/limits.py times it)."""
    jobs = [str(CORPUS_DIR / name) for name in sorted(CORPUS)]
    for name, (write, _) in GENERATED.items():
        if "\n" in name:
            continue
        write(tmp_path / name)
        jobs.append(str(tmp_path / name))
    for name, write in GOOD.items():
        write(tmp_path / name)
        jobs.append(str(tmp_path / name))
    for path in jobs:
        code, err = _in_process(path, capsys)
        assert code in (0, 2), path
        assert len(err.splitlines()) == (code == 2), (path, err)


def test_a_process_with_many_files_reports_each_on_its_own_line(tmp_path: Path) -> None:
    names = sorted(CORPUS)[:20]
    for name in names:
        shutil.copy(CORPUS_DIR / name, tmp_path / name)
    good = tmp_path / "good.yaml"
    good.write_text(HEAD + ALL)
    run = cli("validate", *names, "good.yaml", cwd=tmp_path)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    assert [line.split(":")[0] for line in lines] == names
    assert run.stdout == "good.yaml: ok: t, 1 leaf regions\n"


# -- a FIFO nobody writes to ------------------------------------------------------------------------

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")


@needs_fifo
def test_a_fifo_nobody_writes_to_is_an_empty_file(tmp_path: Path) -> None:
    """Opening a FIFO for reading waits for a writer; the loader must not."""
    from vaslayout.core.loader import LayoutError, load_file

    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    with pytest.raises(LayoutError) as exc:
        load_file(fifo, display="fifo.yaml")
    assert str(exc.value) == "fifo.yaml:1:1: empty layout file"


@needs_fifo
def test_validate_on_a_fifo_nobody_writes_to(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    p = subprocess.run([sys.executable, "-m", "vaslayout", "validate", str(fifo)], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=5)
    assert p.returncode == 2
    assert p.stderr == f"{fifo}:1:1: empty layout file\n"
