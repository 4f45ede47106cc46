"""Hostile command-line values: layout names, --set values and addresses that try to break the one-line rule.

Each through the real CLI: exit code 2, exactly one line on stderr, no traceback.
A value is shown escaped and cut short, never spread over lines or pages.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.robustness.conftest import cli, one_user_error
from vaslayout import catalog
from vaslayout.core.loader import LayoutError

CASES = {
    "a name longer than a file name may be": (["show", "a" * 5000], "vaslayout: unknown layout 'aaaa"),
    "a path longer than a file name may be": (["show", "a" * 5000 + ".yaml"], "vaslayout: aaa"),
    "a path with a newline": (["show", "bad\nname.yaml"], "vaslayout: bad\\nname.yaml: cannot read: No such file"),
    "a path with an escape sequence": (["validate", "\x1b[2J.yaml"], "\\x1b[2J.yaml: cannot read: No such file"),
    "--set with a newline": (["show", "x86_64-4level", "--set", "ram=1\n2"],
                             "vaslayout: --set ram=1\\n2: unexpected '2'"),
    "--set a megabyte long": (["show", "x86_64-4level", "--set", "ram=" + "1+" * 50_000 + "1"],
                              "vaslayout: --set ram=1+1+1+1+"),
    "--set a number of 5000 digits": (["show", "x86_64-4level", "--set", "ram=" + "9" * 5000],
                                      "vaslayout: --set ram=999"),
    "--set an unknown param with a newline": (["show", "x86_64-4level", "--set", "r\nam=1"],
                                              "vaslayout: --set r\\nam=1: x86_64-4level has no param 'r\\nam'"),
    "--set a cycle": (["show", "x86_64-4level", "--set", "ram=ram"], "vaslayout: --set ram=ram: cyclic reference"),
    "an address 100,000 characters long": (["lookup", "x86_64-4level", "f" * 100_000], "vaslayout: 'fffff"),
    "an address with a newline": (["lookup", "x86_64-4level", "ffff\n8880"], "vaslayout: 'ffff\\n8880'"),
    "an address of 5000 digits": (["lookup", "x86_64-4level", "--dec", "9" * 5000], "vaslayout: '999"),
    "an address wider than the layout": (["lookup", "x86_32-vmsplit-3g", "1_0000_0000"],
                                         "vaslayout: '1_0000_0000' is wider than 32 bits"),
    "a negative address": (["lookup", "x86_64-4level", "-1"], "vaslayout: '-1' is negative"),
    "a physical address expression that explodes": (["lookup", "x86_64-4level", "--phys", "1 << 1000"],
                                                     "vaslayout: '1 << 1000': shift by 1000"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_command_line_values(tmp_path: Path, case: str) -> None:
    args, start = CASES[case]
    run = cli(*args, cwd=tmp_path)
    line = one_user_error(run)
    assert line.startswith(start), line[:400]
    assert len(line) < 400, line[:400]
    assert run.seconds < 2.0


@pytest.mark.parametrize("name", ["a\x00b", "a\x00b.yaml", "x" * 5000, "y" * 5000 + ".yaml", "/"],
                         ids=["nul", "nul.yaml", "long", "long.yaml", "root"])
def test_layout_names_no_file_system_accepts(name: str) -> None:
    """Names the CLI cannot pass (a NUL) but the TUI or a script might: one LayoutError line."""
    with pytest.raises(LayoutError) as exc:
        catalog.load(name)
    assert "\n" not in str(exc.value) and "\x00" not in str(exc.value)


@pytest.mark.parametrize("value", [10 ** 5000, -(10 ** 5000), 1 << 200, True, None, 3.5],
                         ids=["5000-digits", "minus-5000-digits", "2^200", "True", "None", "float"])
def test_param_values_of_any_type(value: object) -> None:
    with pytest.raises(LayoutError) as exc:
        catalog.load("x86_64-4level", {"ram": value})  # type: ignore[dict-item]
    assert "\n" not in str(exc.value) and len(str(exc.value)) < 400
