"""The core never imports the UI libraries; the CLI's quick commands never import Textual."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# every module of the pure rooms, found on disk so a new one is covered without a list to keep
CORE = sorted(
    [f"{room}.{p.stem}" for room in ("core", "proc") for p in (ROOT / "vaslayout" / room).glob("*.py")
     if p.stem != "__init__"] + ["catalog"]
)


def python(code: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)


def second_run(code: str, env: dict[str, str]) -> str:
    """What `code` prints when run a second time: the first run fills the layout cache (and so parses the layout)."""
    for _ in range(2):
        p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=120)
        assert p.returncode == 0, p.stderr
    return p.stdout.strip()


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_no_ui(module: str) -> None:
    p = python(
        "import sys\n"
        f"import vaslayout.{module}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "", f"vaslayout.{module} pulled in {p.stdout.strip()}"


def test_core_works_end_to_end_without_ui() -> None:
    p = python(
        "import sys\n"
        "from vaslayout import catalog\nfrom vaslayout.core import translate\n"
        "layout = catalog.load('tests/data/tiny.yaml', {'ram': '2G'})\n"
        "t = translate.translate(layout, 0xc0001000)\n"
        "assert t.phys == 0x1000, t\n"
        "translate.phys_lookup(layout, 0x40000000)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))\n"
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("argv", "also_no_rich"),
    [
        (["lookup", "tests/data/tiny.yaml", "c0001000"], False),
        (["lookup", "tests/data/tiny.yaml", "c0001000", "--json"], True),
        (["show", "tests/data/tiny.yaml"], False),
        (["show", "tests/data/tiny.yaml", "--json"], True),
        (["validate", "tests/data/tiny.yaml"], True),
        (["list", "--json"], True),
        (["show", "--pid", "self", "--json"], True),
        (["list"], False),
    ],
)
def test_cli_quick_commands_do_not_import_textual(argv: list[str], also_no_rich: bool) -> None:
    p = python(
        "import io, sys, contextlib\n"
        "from vaslayout.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    rc = main({argv!r})\n"
        "assert rc == 0, rc\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in ('textual', 'rich')}))\n"
    )
    assert p.returncode == 0, p.stderr
    loaded = p.stdout.strip()
    assert "textual" not in loaded
    if also_no_rich:
        assert loaded == "[]"


def test_live_commands_with_the_layout_cached_import_neither_yaml_nor_the_engine(tmp_path: Path) -> None:
    """lookup --pid and show --pid --json fill gaps through core/tiling.py: no engine, no loader, no PyYAML."""
    env = dict(os.environ, VASLAYOUT_CACHE_DIR=str(tmp_path))
    code = ("import io, sys, contextlib\nfrom vaslayout.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            "    assert main(['lookup', '--pid', 'self', '0x1000', '0xffff888000000000']) == 0\n"
            "    assert main(['show', '--pid', 'self', '--json']) == 0\n"
            "assert 'direct' in out.getvalue(), out.getvalue()\n"
            "print(sorted(m for m in ('yaml', 'rich', 'textual', 'vaslayout.core.engine', 'vaslayout.core.loader')"
            " if m in sys.modules))")
    assert second_run(code, env) == "[]"


def test_lookup_layout_addr_imports_only_its_own_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`lookup LAYOUT ADDR` builds the lookup parser alone; it needs no KASAN, zone or expression code, nor typing."""
    monkeypatch.setenv("VASLAYOUT_CACHE_DIR", str(tmp_path))  # the first run resolves (engine, expressions)
    for _ in range(2):
        p = python("import io, sys, contextlib\nfrom vaslayout.cli import main\n"
                   "with contextlib.redirect_stdout(io.StringIO()):\n"
                   "    assert main(['lookup', 'x86_64-4level', '0xffff888000000000']) == 0\n"
                   "print(sorted(m for m in sys.modules if m.startswith('vaslayout.cli.') or m in ("
                   "'vaslayout.core.kasan', 'vaslayout.core.physmap', 'vaslayout.core.expr', 'shutil', 'textwrap', "
                   "'typing')))")
        assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "['vaslayout.cli.common', 'vaslayout.cli.lookup', 'vaslayout.cli.output']"


def test_the_map_on_a_cached_layout_imports_neither_yaml_nor_the_loader(tmp_path: Path) -> None:
    """The app's first frame comes from the layout cache: the YAML parser and the loader are for a cache miss."""
    env = dict(os.environ, VASLAYOUT_CACHE_DIR=str(tmp_path))
    code = ("import asyncio, sys\nfrom vaslayout.tui.app import VasLayoutApp\n"
            "async def main():\n"
            "    app = VasLayoutApp()\n"
            "    async with app.run_test(size=(120, 40)) as pilot:\n"
            "        await pilot.pause()\n"
            "        assert app.session.layout.id == 'x86_64-4level', app.session.layout.id\n"
            "asyncio.run(main())\n"
            "print(sorted(m for m in ('yaml', 'vaslayout.core.engine', 'vaslayout.core.loader') if m in sys.modules))")
    assert second_run(code, env) == "[]"


def test_the_proc_package_imports_a_reader_when_its_name_is_first_used() -> None:
    """show --pid starts copying the maps before the kernel readers are imported (cli/live.py)."""
    p = python("import sys\nfrom vaslayout import proc\n"
               "before = sorted(m for m in sys.modules if m.startswith('vaslayout.proc.'))\n"
               "proc.ChildRead\n"
               "after = sorted(m for m in sys.modules if m.startswith('vaslayout.proc.'))\n"
               "every = [getattr(proc, name) for name in proc.__all__]\n"
               "assert set(proc.__all__) <= set(dir(proc))\n"
               "try:\n    proc.no_such_reader\nexcept AttributeError as exc:\n    print(exc)\n"
               "print(before, after)")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["module 'vaslayout.proc' has no attribute 'no_such_reader'",
                                     "[] ['vaslayout.proc.reader']"]
