"""The real `vaslayout` entry point, run as a separate process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TINY = "tests/data/tiny.yaml"
LAYOUTS = ROOT / "layouts"
JSON_KEYS = {"address", "address_hex", "canonical", "half", "region", "path", "offset", "offset_hex", "indices",
             "phys", "phys_hex", "phys_source", "ram_covered", "assumption", "kasan", "tag", "explanation"}


def run(*args: str, cwd: Path = ROOT, exe: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if exe is None:  # the checkout; an installed command runs from its own installation
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [*(exe or [sys.executable, "-m", "vaslayout"]), *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
    )


def user_error(p: subprocess.CompletedProcess[str]) -> str:
    """Exit 2, nothing on stdout, exactly one line on stderr, no traceback."""
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert "Traceback" not in p.stderr
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    return lines[0]


def builtin_ids() -> list[str]:
    return sorted(p.stem for p in LAYOUTS.glob("*.yaml"))


# -- list / show ------------------------------------------------------------------


def test_list() -> None:
    p = run("list")
    assert p.returncode == 0, p.stderr
    for layout_id in builtin_ids():
        assert layout_id in p.stdout


def test_list_json() -> None:
    p = run("list", "--json")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert sorted(d["id"] for d in data) == builtin_ids()
    assert all(set(d) == {"id", "title", "arch"} for d in data)


def test_show() -> None:
    p = run("show", TINY, "--set", "ram=2G")
    assert p.returncode == 0, p.stderr
    for word in ("A tiny 32-bit layout", "user space", "lowmem", "pkmap", "0xf7ffffff", "896 MiB", "unused"):
        assert word in p.stdout
    assert p.stderr == ""


def test_show_json() -> None:
    p = run("show", TINY, "--json", "--set", "ram=2G")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert (data["id"], data["address_bits"], data["paging"]) == ("tiny", 32, "x86-32")
    assert data["params"]["ram"] == 2 << 30
    assert data["derived"]["lowmem_size"] == 896 << 20
    assert [r["name"] for r in data["regions"]] == ["user space", "kernel space"]
    kernel = data["regions"][1]
    assert [(c["name"], c["start"], c["end"]) for c in kernel["children"]] == [
        ("lowmem", 0xC000_0000, 0xF800_0000),
        ("unused", 0xF800_0000, 0xFF80_0000),
        ("pkmap", 0xFF80_0000, 0xFFC0_0000),
        ("unused", 0xFFC0_0000, 1 << 32),
    ]


# -- lookup ---------------------------------------------------------------------


def test_lookup_json() -> None:
    p = run("lookup", TINY, "c0001000", "lowmem.end - 1", "--json")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert len(data) == 2
    first, second = data
    assert set(first) == JSON_KEYS and set(second) == JSON_KEYS
    assert first["address"] == 0xC000_1000
    assert first["canonical"] is True
    assert first["region"]["name"] == "lowmem"
    assert first["path"] == ["kernel space", "lowmem"]
    assert (first["offset"], first["phys"]) == (0x1000, 0x1000)
    assert first["indices"] == {"pgd": 768, "pte": 1, "offset": 0}
    assert "linear map" in first["explanation"]
    assert second["address"] == 0xF7FF_FFFF and second["phys"] == (896 << 20) - 1


def test_lookup_dec() -> None:
    data = json.loads(run("lookup", TINY, "4096", "--dec", "--json").stdout)
    assert data[0]["address"] == 4096
    assert data[0]["region"]["name"] == "user space"


def test_lookup_options_before_addresses() -> None:
    p = run("lookup", TINY, "--set", "ram=2G", "c0001000", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)[0]["phys"] == 0x1000


def test_lookup_text() -> None:
    p = run("lookup", TINY, "0xc0001000")
    assert p.returncode == 0, p.stderr
    assert "lowmem" in p.stdout and "0x00001000" in p.stdout


def test_lookup_phys() -> None:
    p = run("lookup", TINY, "--set", "ram=2G", "--phys", "0x1000", "0x40000000", "--json")
    assert p.returncode == 0, p.stderr
    low, high = json.loads(p.stdout)
    assert set(low) == {"phys", "phys_hex", "range", "zone", "ram_covered", "assumption", "aliases", "rule_aliases",
                        "explanation"}
    assert low["phys"] == 0x1000 and low["range"]["name"] == "lowmem"
    assert [a["address"] for a in low["aliases"]] == [0xC000_1000]
    assert high["range"]["name"] == "highmem" and high["aliases"] == []
    assert "kmap()" in high["explanation"]
    p = run("lookup", TINY, "--set", "ram=2G", "--phys", "0x40000000")
    assert p.returncode == 0 and "highmem" in p.stdout


def test_lookup_needs_an_address() -> None:
    assert "at least one address" in user_error(run("lookup", TINY))


@pytest.mark.skipif(not (LAYOUTS / "x86_64-4level.yaml").exists(), reason="needs layouts/x86_64-4level.yaml")
def test_lookup_x86_64_direct_map_and_kasan() -> None:
    p = run("lookup", "x86_64-4level", "0xffff888000001000", "0xdffffc0000000014", "--json")
    assert p.returncode == 0, p.stderr
    direct, wild = json.loads(p.stdout)
    assert set(direct) == JSON_KEYS and set(wild) == JSON_KEYS
    assert direct["canonical"] is True and direct["phys"] == 0x1000
    assert direct["region"]["kind"] == "direct-map"
    assert wild["canonical"] is False and wild["phys"] is None
    assert "#GP" in wild["explanation"]
    assert '"KASAN: null-ptr-deref in range [0x00000000000000a0-0x00000000000000a7]"' in wild["explanation"]
    assert wild["kasan"]["line"] == "KASAN: null-ptr-deref in range [0x00000000000000a0-0x00000000000000a7]"


# -- validate ---------------------------------------------------------------------


def test_validate_ok() -> None:
    p = run("validate", TINY)
    assert p.returncode == 0, p.stderr
    assert p.stdout == f"{TINY}: ok: tiny, 5 leaf regions\n"


def test_validate_builtin_layouts() -> None:
    files = [f"layouts/{i}.yaml" for i in builtin_ids()]
    p = run("validate", *files)
    assert p.returncode == 0, p.stderr
    assert p.stdout.count(": ok: ") == len(files)


def test_validate_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((ROOT / TINY).read_text().replace("size: 4M", "size: 4M + nothing"))
    line = user_error(run("validate", str(bad)))
    assert line == f"{bad}:40:20: unknown name 'nothing'"


def test_validate_yaml_error_in_a_relative_file(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("id: x\nregions:\n\t- a\n")
    line = user_error(run("validate", "broken.yaml", cwd=tmp_path))
    assert line.startswith("broken.yaml:3:1: YAML: ")


def test_validate_mixed_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- not a mapping\n")
    p = run("validate", TINY, str(bad))
    assert p.returncode == 2
    assert p.stdout == f"{TINY}: ok: tiny, 5 leaf regions\n"
    assert p.stderr == f"{bad}:1:1: the layout must be a mapping\n"


# -- user errors: exit 2, one line ------------------------------------------------------


def test_unknown_layout_suggests() -> None:
    ids = builtin_ids()
    if not ids:
        pytest.skip("no built-in layouts yet")
    typo = ids[0][:-1] + ("x" if ids[0][-1] != "x" else "y")
    line = user_error(run("show", typo))
    assert line == f"vaslayout: unknown layout {typo!r} (did you mean {ids[0]!r}?)"


def test_unknown_layout_without_suggestion() -> None:
    line = user_error(run("show", "zzzzzz"))
    assert line == "vaslayout: unknown layout 'zzzzzz' (see 'vaslayout list')"


def test_missing_file() -> None:
    line = user_error(run("show", "no/such/file.yaml"))
    assert line == "vaslayout: no/such/file.yaml: cannot read: No such file or directory"


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("1_0000_0000", "vaslayout: '1_0000_0000' is wider than 32 bits (largest: 0xffffffff)"),
        ("-1", "vaslayout: '-1' is negative"),
        ("xyz!", "vaslayout: 'xyz!': unexpected character '!'"),
        ("lowmem.ned", "vaslayout: 'lowmem.ned': unknown name 'lowmem.ned'"),
    ],
)
def test_bad_address(address: str, message: str) -> None:
    assert user_error(run("lookup", TINY, address)) == message


def test_bad_set() -> None:
    assert user_error(run("show", TINY, "--set", "rma=2G")) == (
        "vaslayout: --set rma=2G: tiny has no param 'rma' (did you mean 'ram'?)")
    assert user_error(run("show", TINY, "--set", "ram=4X")) == "vaslayout: --set ram=4X: not a number: '4X'"
    assert user_error(run("show", TINY, "--set", "ram")) == (
        "vaslayout: --set 'ram': expected NAME=VALUE, e.g. --set ram=4G")
    assert user_error(run("lookup", TINY, "0", "--set", "PAGE_OFFSET=5G")) == (
        f"vaslayout: {TINY}:21:5: 'user space' [0x00000000, 2^32 + 0x40000000) does not fit in 32-bit addresses")


def test_bad_layout_file_through_show(tmp_path: Path) -> None:
    bad = tmp_path / "evil.yaml"
    bad.write_text("a: !!python/object/apply:os.system ['echo pwned']\n")
    p = run("show", str(bad))
    assert user_error(p) == (f"vaslayout: {bad}:1:4: tag 'tag:yaml.org,2002:python/object/apply:os.system' "
                             "is not allowed in layout files")
    assert "pwned" not in p.stdout


# -- the installed command ------------------------------------------------------------------


def test_installed_console_script(tmp_path: Path) -> None:
    exe = shutil.which("vaslayout")
    if exe is None:
        pytest.skip("vaslayout is not installed on PATH")
    p = run("list", "--json", cwd=tmp_path, exe=[exe])
    assert p.returncode == 0, p.stderr
    assert sorted(d["id"] for d in json.loads(p.stdout)) == builtin_ids()
    p = run("lookup", str(ROOT / TINY), "c0001000", "--json", cwd=tmp_path, exe=[exe])
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)[0]["phys"] == 0x1000
