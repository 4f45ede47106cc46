"""The CLI on outputs that fail: a directory, a missing folder, a full disk, a closed pipe; no terminal.

Each is one line on stderr and exit 2 (a closed pipe: quiet, 141, as a
pipe writer killed by SIGPIPE), through the real entry point.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.robustness.conftest import ROOT, cli, one_user_error


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), e.get("PYTHONPATH")]))
    e.pop("TEXTUAL_DRIVER", None)
    return e


@pytest.mark.parametrize("args", [
    ["screenshot", "x86_64-4level", "-o", "{tmp}"],
    ["export", "x86_64-4level", "--format", "svg", "-o", "{tmp}"],
    ["export", "x86_64-4level", "--format", "json", "-o", "{tmp}"],
], ids=["screenshot-dir", "export-svg-dir", "export-json-dir"])
def test_output_to_a_directory(args: list[str], tmp_path: Path) -> None:
    line = one_user_error(cli(*(a.format(tmp=tmp_path) for a in args), cwd=tmp_path))
    assert str(tmp_path) in line


@pytest.mark.parametrize("target", ["/proc/nope/x.svg", "{tmp}/missing/deeper/x.svg"])
def test_output_in_a_missing_folder_creates_none(target: str, tmp_path: Path) -> None:
    out = Path(target.format(tmp=tmp_path))
    line = one_user_error(cli("screenshot", "x86_64-4level", "-o", str(out), cwd=tmp_path))
    assert str(out.parent) in line
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("args", [
    ["show", "x86_64-4level"], ["list"], ["validate", str(ROOT / "layouts" / "x86_64-4level.yaml")],
    ["export", "x86_64-4level", "--format", "json"], ["lookup", "x86_64-4level", "0xffff888000000000", "--json"],
], ids=["show", "list", "validate", "export", "lookup-json"])
def test_stdout_on_a_full_disk(args: list[str], tmp_path: Path) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        p = subprocess.run([sys.executable, "-m", "vaslayout", *args], stdout=full, stderr=subprocess.PIPE,
                           text=True, env=env(), cwd=tmp_path, timeout=60)
    assert p.returncode == 2, p
    assert p.stderr.splitlines() == ["vaslayout: cannot write the output: No space left on device"], p.stderr


@pytest.mark.parametrize("args", [["show", "x86_64-4level"], ["list"], ["show", "x86_64-5level", "--depth", "9"]])
def test_a_closed_pipe_ends_quietly(args: list[str], tmp_path: Path) -> None:
    p = subprocess.Popen([sys.executable, "-m", "vaslayout", *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env(), cwd=tmp_path)
    assert p.stdout is not None and p.stderr is not None
    p.stdout.read(1)
    p.stdout.close()
    err = p.stderr.read().decode()
    status = p.wait(60)
    assert err == ""
    assert status in (0, 141)  # 0 when everything fitted in the pipe before it closed


@pytest.mark.parametrize("args", [
    [], ["open"], ["open", "x86_32-vmsplit-3g"], ["tour", "vmsplit-lowmem"], ["quiz", "x86_64-4level"],
    ["compare", "x86_64-4level", "x86_64-5level"],
], ids=["bare", "open", "open-layout", "tour", "quiz", "compare"])
def test_no_terminal_refuses_at_once(args: list[str], tmp_path: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "vaslayout", *args], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, env=env(), cwd=tmp_path, timeout=60)
    assert p.returncode == 2, p
    assert len(p.stderr.splitlines()) == 1 and "needs a terminal" in p.stderr and "'vaslayout " in p.stderr  # a hint
    assert p.stdout == ""


def test_tour_list_needs_no_terminal(tmp_path: Path) -> None:
    run = cli("tour", "--list", cwd=tmp_path)
    assert run.returncode == 0 and "vmsplit-lowmem" in run.stdout


def test_a_tour_step_pointing_at_a_file_that_is_not_yaml_does_not_quote_it(tmp_path: Path) -> None:
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$secret-hash:20228:0:99999:7:::\n")
    tour = tmp_path / "t.yaml"
    tour.write_text(f"id: t\ntitle: T\nsteps:\n  - title: s\n    layout: {secret}\n    caption: hi\n")
    line = one_user_error(cli("validate", str(tour), cwd=tmp_path))
    assert "secret-hash" not in line and "root:" not in line
    assert f"{tour}:5:" in line and "not a layout file" in line


def test_an_unexpected_error_leaves_a_crash_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str], state_dir: Path) -> None:
    from vaslayout import cli as cli_package
    from vaslayout.cli import layouts

    def boom(args) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr(layouts, "cmd_list", boom)
    parser = cli_package.build_parser()
    monkeypatch.setattr(cli_package, "build_parser", lambda *_: _with_func(parser, "list", boom))
    assert cli_package.main(["list"]) == 70
    err = capsys.readouterr().err.splitlines()
    logs = list(state_dir.glob("crash-*.log"))
    assert len(err) == 1 and len(logs) == 1 and str(logs[0]) in err[0]
    assert "RuntimeError: a bug" in logs[0].read_text()


def _with_func(parser, command: str, func):
    for action in parser._subparsers._group_actions:  # the sub-command table argparse keeps
        action.choices[command].set_defaults(func=func)
    return parser
