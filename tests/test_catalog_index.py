"""`list` reads an index that must stay true to the files; resolved built-ins come back from a cache."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vaslayout import catalog, layout_cache

ROOT = Path(__file__).resolve().parent.parent


def test_the_index_matches_the_layout_files() -> None:
    """Fails when a layout is added, renamed or retitled: run scripts/layout_index.py."""
    with open(os.path.join(catalog.builtin_dir(), catalog.INDEX), encoding="utf-8") as f:
        assert json.load(f) == catalog.index_entries()


def test_listing_is_the_specs() -> None:
    assert [(e["id"], e["title"], e["arch"]) for e in catalog.listing()] == [
        (s.id, s.title, s.arch) for s in map(catalog.spec_for, catalog.builtin_ids())]


def test_a_stale_index_entry_is_read_from_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "layouts"
    shutil.copytree(catalog.builtin_dir(), folder)
    entries = json.loads((folder / catalog.INDEX).read_text())
    entries[0]["title"] = "a title the file does not have"  # same size: believed, as the index is trusted
    entries[1]["bytes"] += 1  # a size that no longer matches: read from the file
    del entries[2]  # a file the index does not know
    (folder / catalog.INDEX).write_text(json.dumps(entries))
    monkeypatch.setattr(catalog, "builtin_dir", lambda: str(folder))
    got = {e["id"]: e["title"] for e in catalog.listing()}
    ids = catalog.builtin_ids()
    assert got[ids[0]] == "a title the file does not have"
    assert got[ids[1]] == catalog.spec_for(ids[1]).title
    assert got[ids[2]] == catalog.spec_for(ids[2]).title
    (folder / catalog.INDEX).write_text("not json")
    assert [e["id"] for e in catalog.listing()] == ids


def test_param_names_come_from_the_index_while_it_fits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "layouts"
    shutil.copytree(catalog.builtin_dir(), folder)
    monkeypatch.setattr(catalog, "builtin_dir", lambda: str(folder))
    ids = catalog.builtin_ids()
    assert catalog.param_names(ids[0]) == {p.name for p in catalog.spec_for(ids[0]).params}
    entries = json.loads((folder / catalog.INDEX).read_text())
    entries[0]["params"] = ["a_param_the_file_lacks"]  # believed while every file has the size the index says
    (folder / catalog.INDEX).write_text(json.dumps(entries))
    assert catalog.param_names(ids[0]) == {"a_param_the_file_lacks"}
    other = folder / f"{ids[1]}.yaml"  # any file changing (a base may) sends every layout to its spec
    other.write_text(other.read_text() + "\n")
    assert catalog.param_names(ids[0]) == {p.name for p in catalog.spec_for(ids[0]).params}


def test_list_imports_no_yaml() -> None:
    p = subprocess.run([sys.executable, "-c", "import sys\nfrom vaslayout.cli import main\nmain(['list'])\n"
                        "print('yaml' in sys.modules, file=sys.stderr)"], capture_output=True, text=True, cwd=ROOT,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stderr.strip() == "False"
    assert "x86_64-4level" in p.stdout


def test_a_cached_layout_is_the_resolved_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VASLAYOUT_CACHE_DIR", str(tmp_path))
    fresh = catalog.load("x86_64-4level", {"ram": "4G"})
    assert list((tmp_path / "layouts").glob("*.pickle"))
    again = catalog.load("x86_64-4level", {"ram": "4G"})
    assert again is not fresh  # Layout compares by identity: compare what it holds
    assert all(getattr(again, f.name) == getattr(fresh, f.name) for f in dataclasses.fields(fresh) if f.compare)
    other = catalog.load("x86_64-4level", {"ram": "8G"})
    assert other.params["ram"].value == 8 << 30


def test_the_cache_misses_when_a_file_changes_and_survives_damage(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VASLAYOUT_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "layouts"
    shutil.copytree(catalog.builtin_dir(), folder)
    monkeypatch.setattr(catalog, "builtin_dir", lambda: str(folder))
    before = catalog.load("x86_64-4level")
    path = folder / "x86_64-4level.yaml"
    path.write_text(path.read_text().replace("title: ", "title: Edited ", 1))
    assert catalog.load("x86_64-4level").title == "Edited " + before.title
    for entry in (tmp_path / "cache" / "layouts").glob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    assert catalog.load("x86_64-4level").title == "Edited " + before.title  # a damaged entry is a miss


def test_another_python_misses_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pickle of slotted dataclasses from another Python unpickled into garbage (a root whose
    children were a string): the interpreter is part of the key, so each has its own entries."""
    import sys

    from vaslayout import layout_cache

    monkeypatch.setenv("VASLAYOUT_CACHE_DIR", str(tmp_path))
    catalog.load("x86_64-4level")
    mine = layout_cache.key("x86_64-4level", None, catalog.builtin_dir())
    monkeypatch.setattr(sys.implementation, "cache_tag", "cpython-310")
    theirs = layout_cache.key("x86_64-4level", None, catalog.builtin_dir())
    assert theirs is not None and theirs != mine
    assert layout_cache.get(theirs) is None and layout_cache.get(mine) is not None


def test_the_cache_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VASLAYOUT_CACHE_DIR", "off")
    assert layout_cache.cache_dir() is None
    assert catalog.load("x86_64-4level").id == "x86_64-4level"


def test_cached_lookup_and_show_pid_import_neither_yaml_nor_rich(tmp_path: Path) -> None:
    env = dict(os.environ, VASLAYOUT_CACHE_DIR=str(tmp_path))
    code = ("import sys\nfrom vaslayout.cli import main\nmain(['lookup', 'x86_64-4level', '0x1000'])\n"
            "main(['show', '--pid', 'self'])\n"
            "print('yaml' in sys.modules, file=sys.stderr)\nassert 'rich' not in sys.modules")
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert first.stderr.strip() == "True" and second.stderr.strip() == "False", second.stderr
    assert first.stdout.split(" (pid ")[0] == second.stdout.split(" (pid ")[0]  # the lookup's answer
