"""Layout files that inherit (`extends:`), rows that a param leaves out (`present:`), and `roles:`."""

from __future__ import annotations

from pathlib import Path

import pytest

from vaslayout.catalog import builtin_dir, builtin_ids, load, spec_for
from vaslayout.core.engine import resolve
from vaslayout.core.kinds import KINDS
from vaslayout.core.loader import LayoutError, load_file, load_text
from vaslayout.core.roles import ROLES
from vaslayout.core.rules import RULES

BASE = """\
id: base
title: a base
arch: x86_32
address_bits: 32
paging: x86-32
params:
  split: {value: 3G, description: where the kernel starts, source: Kconfig}
  ram: 1G
roles: {user: user, kernel: kernel, task_size: split}
regions:
  - {name: user space, id: user, start: 0, end: split, kind: user-space, description: the user part}
  - name: kernel space
    id: kernel
    start: split
    end: 4G
    kind: kernel-space
    children:
      - {name: lowmem, id: lowmem, start: split, size: ram, kind: direct-map, maps_to: {rule: linear, phys: 0}}
      - {name: guard, start: lowmem.end, size: 8M, kind: guard, present: split < 3G}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_variant_changes_only_what_it_says(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    variant = write(tmp_path, "v.yaml", """\
extends: base
id: v
title: a variant
params:
  split: {value: 2G}
  extra: {value: 5, description: new}
regions:
  lowmem: {description: RAM mapped 1:1}
  user space: {name: user half}
checks:
  - {require: ram <= 2G, message: too much RAM}
""")
    spec = load_file(variant)
    assert (spec.id, spec.title, spec.extends, spec.origin) == ("v", "a variant", "base", str(variant))
    split = next(p for p in spec.params if p.name == "split")
    assert (split.value.text, split.description, split.source) == ("2G", "where the kernel starts", "Kconfig")
    assert [p.name for p in spec.params] == ["split", "ram", "extra"]
    layout = resolve(spec)
    assert layout.find("user").name == "user half"
    assert layout.find("lowmem").description == "RAM mapped 1:1"
    assert layout.find("lowmem").start == 2 << 30
    assert layout.role_value("task_size") == 2 << 30
    assert layout.role_region("kernel").start == 2 << 30
    assert any(r.name == "guard" for r in layout.leaves)  # present: split < 3G
    with pytest.raises(LayoutError, match="too much RAM"):
        resolve(spec, {"ram": "3G"})


def test_present_leaves_a_row_out(tmp_path):
    layout = resolve(load_file(write(tmp_path, "base.yaml", BASE)))
    assert not any(r.name == "guard" for r in layout.leaves)
    assert layout.find("lowmem").end == (3 << 30) + (1 << 30)


def test_a_new_end_replaces_the_old_form(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    v = write(tmp_path, "v.yaml", "extends: base\nid: v\nregions:\n  lowmem: {end: split + 256M}\n")
    assert resolve(load_file(v)).find("lowmem").size == 256 << 20


@pytest.mark.parametrize(
    ("body", "message", "line"),
    [
        ("extends: nowhere\nid: v\n", "extends 'nowhere': no such layout", 1),
        ("extends: base\nid: v\nparams:\n  splt: {description: x}\n", "did you mean 'split'", 4),
        ("extends: base\nid: v\nregions:\n  lowmen: {description: x}\n", "did you mean 'lowmem'", 4),
        ("extends: base\nid: v\nregions:\n  lowmem: {end: 1, size: 2}\n", "give exactly one", 4),
        ("extends: base\nid: v\nroles: {usr: user}\n", "unknown role 'usr'", 3),
        ("extends: base\nid: v\nroles: {user: nothing}\n", "role 'user' names no region id 'nothing'", 3),
    ],
    ids=["no-base", "unknown-param", "unknown-region", "two-ends", "unknown-role", "role-without-region"],
)
def test_variant_errors_name_file_and_line(tmp_path, body, message, line):
    write(tmp_path, "base.yaml", BASE)
    path = write(tmp_path, "v.yaml", body)
    with pytest.raises(LayoutError) as err:
        resolve(load_file(path))
    assert message in str(err.value)
    assert str(err.value).startswith(f"{path}:{line}:")


def test_a_circle_of_bases_is_refused(tmp_path):
    write(tmp_path, "a.yaml", "extends: b\nid: a\n")
    write(tmp_path, "b.yaml", "extends: a\nid: b\n")
    with pytest.raises(LayoutError, match="circle: a.yaml -> b.yaml -> a.yaml"):
        load_file(tmp_path / "a.yaml")


def test_extends_without_a_file_is_refused():
    with pytest.raises(LayoutError, match="extends needs a file"):
        load_text("extends: x86_64-4level\nid: v\n", "v.yaml")


def test_a_user_file_extends_a_builtin(tmp_path):
    path = write(tmp_path, "mine.yaml", "extends: x86_64-4level\nid: mine\nparams:\n  ram: {value: 8G}\n")
    layout = load(str(path))
    assert layout.id == "mine"
    assert layout.params["ram"].value == 8 << 30
    assert layout.find("direct_map") is not None


@pytest.mark.parametrize("layout_id", builtin_ids())
def test_every_builtin_declares_its_halves(layout_id):
    layout = load(layout_id)
    assert layout.role_region("user") is not None and layout.role_region("kernel") is not None
    assert layout.role_value("task_size") is not None


def test_the_families_are_small_variants():
    """The ARM and x86 32-bit splits: one full file each, the rest state what differs."""
    for family, base in (("arm-vmsplit-", "arm-vmsplit-3g"), ("x86_32-vmsplit-", "x86_32-vmsplit-3g")):
        for layout_id in builtin_ids():
            if layout_id.startswith(family) and layout_id != base:
                assert spec_for(layout_id).extends == base
                lines = (Path(builtin_dir()) / f"{layout_id}.yaml").read_text().count("\n")
                assert lines < 120, (layout_id, lines)


def test_docs_list_every_kind_rule_and_role():
    text = (Path(__file__).parent.parent / "docs" / "layout-format.md").read_text()
    for name in (*KINDS, *RULES, *ROLES):
        assert f"`{name}`" in text, name
