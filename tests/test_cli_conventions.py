"""The CLI behaves like the tools people know: --version, one-line usage errors, no terminal no map, stdout as "-".

Every test runs the real entry point (`python -m vaslayout`) in a subprocess.
"""

from __future__ import annotations

import os
import pty
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

import vaslayout

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env: dict[str, str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vaslayout", *args], stdin=stdin, stdout=stdout,
                          stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env, timeout=timeout)


# -- --version ------------------------------------------------------------------------------------


def test_version_is_the_packages_one_version() -> None:
    p = run("--version")
    assert p.returncode == 0 and p.stdout == f"vaslayout {vaslayout.__version__}\n"
    assert version("vaslayout") == vaslayout.__version__  # pyproject reads it from vaslayout/__init__.py
    assert not re.search(r'^version\s*=', (ROOT / "pyproject.toml").read_text(), re.M)


# -- argparse errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "prog", "message"), [
    (["show", "--depth", "x"], "vaslayout show", "argument --depth: invalid int value: 'x'"),
    (["show", "--depth", "0"], "vaslayout show", "--depth must be at least 1"),
    (["show", "x86_64-4level", "--nope"], "vaslayout show", "unrecognized arguments: --nope"),
    (["compare", "x86_64-4level"], "vaslayout compare", "compare takes two or three layouts"),
    (["tour", "--step"], "vaslayout tour", "argument --step: expected one argument"),
    (["export", "x86_64-4level", "--format", "pdf"], "vaslayout export", "argument --format: invalid choice: 'pdf'"),
    (["no-such-command"], "vaslayout", "argument COMMAND: invalid choice: 'no-such-command'"),
])
def test_a_usage_error_is_one_line_with_the_subcommands_usage(args: list[str], prog: str, message: str) -> None:
    p = run(*args)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.count("\n") == 1, p.stderr
    assert p.stderr.startswith(f"{prog}: {message}")
    assert re.search(rf"\(usage: {prog} \[-h\].*\)$", p.stderr.strip()), p.stderr


# -- no terminal, no map ------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "view"), [
    ([], "the map"),
    (["open", "x86_32-vmsplit-3g"], "the map"),
    (["open", "--pid", "self"], "the map"),
    (["compare", "x86_32-vmsplit-3g", "x86_32-vmsplit-1g"], "the compare view"),
    (["tour", "vmsplit-lowmem"], "the tour"),
    (["quiz", "x86_64-4level"], "the quiz"),
])
def test_without_a_terminal_the_map_refuses_in_one_line(args: list[str], view: str) -> None:
    p = run(*args, timeout=60)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.startswith(f"vaslayout: {view} needs a terminal, and standard input is not one; ")
    assert p.stderr.count("\n") == 1


def test_a_terminal_on_stdin_but_a_pipe_on_stdout_is_refused_too() -> None:
    primary, secondary = pty.openpty()
    try:
        p = run("open", "x86_64-4level", stdin=secondary, timeout=60)
    finally:
        os.close(primary)
        os.close(secondary)
    assert p.returncode == 2
    assert p.stderr == ("vaslayout: the map needs a terminal, and standard output is not one; "
                        "for plain text try 'vaslayout show LAYOUT'\n")


@pytest.mark.parametrize("args", [["tour", "--list"], ["quiz", "x86_64-4level", "--print", "--count", "2"],
                                  ["show", "x86_32-vmsplit-3g"]])
def test_what_prints_needs_no_terminal(args: list[str]) -> None:
    p = run(*args)
    assert p.returncode == 0 and p.stdout and p.stderr == ""


# -- "-" is standard output; svg goes there by default ------------------------------------------


def test_export_svg_writes_to_stdout_as_its_help_says(tmp_path: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "vaslayout", "export", "x86_32-vmsplit-3g", "--format", "svg",
                        "--size", "80x24"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("<svg") and p.stdout.rstrip().endswith("</svg>")
    assert list(tmp_path.iterdir()) == []  # no file made unasked


@pytest.mark.parametrize("fmt", ["md", "csv", "json", "svg"])
def test_dash_is_stdout_not_a_file_named_dash(tmp_path: Path, fmt: str) -> None:
    p = subprocess.run([sys.executable, "-m", "vaslayout", "export", "x86_32-vmsplit-3g", "--format", fmt, "-o", "-",
                        "--size", "80x24"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr
    assert not (tmp_path / "-").exists()
    assert "vmalloc" in p.stdout.replace("&#160;", " ")  # the map, in every format


# -- shell completion ------------------------------------------------------------------------------


def complete(line: str, tmp_path: Path) -> list[str]:
    """Ask the entry point for completions the way argcomplete's shell scripts do."""
    out = tmp_path / "completions"
    env = {**os.environ, "_ARGCOMPLETE": "1", "_ARGCOMPLETE_IFS": "\n", "COMP_LINE": line,
           "COMP_POINT": str(len(line)), "_ARGCOMPLETE_STDOUT_FILENAME": str(out)}
    p = subprocess.run([sys.executable, "-m", "vaslayout"], env=env, capture_output=True, text=True, cwd=tmp_path,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    return [c.strip() for c in out.read_text().split("\n")]  # argcomplete adds the space after a whole word


def test_completion_knows_commands_options_and_layouts(tmp_path: Path) -> None:
    assert complete("vaslayout sh", tmp_path) == ["show"]
    assert complete("vaslayout show --dep", tmp_path) == ["--depth"]
    assert complete("vaslayout serve --max", tmp_path) == ["--max-sessions"]
    assert "x86_64-4level" in complete("vaslayout lookup x86_64", tmp_path)
    (tmp_path / "mine.yaml").write_text("id: mine\n")
    assert "mine.yaml" in complete("vaslayout show mi", tmp_path)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_for_each_shell(shell: str) -> None:
    p = run("completion", shell)
    assert p.returncode == 0 and "vaslayout" in p.stdout and "_ARGCOMPLETE" in p.stdout
    exe = shutil.which(shell)
    if exe is None:
        pytest.skip(f"{shell} is not installed: the script was made but not parsed")
    check = subprocess.run([exe, "-n"], input=p.stdout, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr


def test_bash_completes_through_the_sourced_script(tmp_path: Path) -> None:
    """The real round trip: bash sources the script and runs its completion function on a command line."""
    bash = shutil.which("bash")
    vaslayout_exe = shutil.which("vaslayout")
    if bash is None or vaslayout_exe is None:
        pytest.skip("needs bash and the installed vaslayout script")
    script = run("completion", "bash").stdout
    probe = (script + "\nCOMP_LINE='vaslayout tou'; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(vaslayout tou); "
             "COMP_CWORD=1; COMP_TYPE=9; _python_argcomplete vaslayout tou vaslayout; "
             "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    env = {**os.environ, "PATH": f"{Path(vaslayout_exe).parent}{os.pathsep}{os.environ['PATH']}"}
    p = subprocess.run([bash, "--norc", "-c", probe], capture_output=True, text=True, env=env, timeout=60)
    assert p.stdout.split() == ["tour"], p.stderr
