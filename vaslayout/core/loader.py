"""YAML text -> LayoutSpec, with a file:line:column for every complaint.

We build YAML nodes from the safe parser's events and walk them ourselves
instead of calling safe_load: nodes keep their positions, aliases, anchors
and custom tags are refused before anything is built, nesting is bounded
without recursion, and numbers stay as text for the expression evaluator.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

import yaml

from vaslayout.core import collector
from vaslayout.core.paging import MODES
from vaslayout.core.roles import ROLES
from vaslayout.core.rules import RULES
from vaslayout.core.spec import (  # noqa: F401  (re-exported: the loader is where callers find them)
    CheckSpec,
    LayoutSpec,
    NamedPatch,
    NamedSpec,
    RegionPatch,
    RegionSpec,
    RoleSpec,
    RuleSpec,
    SourceSpec,
    Value,
)
from vaslayout.core.yamldoc import (  # noqa: F401
    MAX_FILE_BYTES,
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
    STD_TAGS,
    LayoutError,
    Pos,
    close_matches,
    compose_document,
    printable,
    read_text_file,
)

# Bounds on the work one file can cause: the built-in layouts hold about 40
# regions and 500 YAML nodes; at these limits a file still loads in well
# under a second (tests/robustness measures it).
MAX_REGIONS = 5_000
MAX_NESTING = 32

MAX_BASES = 8  # `extends:` of `extends:`; the built-in families need one
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_TOP = ("id", "title", "summary", "arch", "address_bits", "paging", "sources", "params", "derived", "checks",
        "kasan", "physical", "regions", "roles", "compare")
_PHYS_KEYS = ("name", "start", "end", "size", "last", "kind", "description", "source")
_REGION_KEYS = _PHYS_KEYS + ("id", "maps_to", "children", "present")
# (name an `extends:` gives, where it is written) -> the base's spec
Bases = Callable[[str, "Pos"], "LayoutSpec"]


def _pos(node: yaml.Node, origin: str) -> Pos:
    return Pos(origin, node.start_mark.line + 1, node.start_mark.column + 1)


class _Reader:
    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.seen: set[int] = set()
        self.regions = 0
        self.keys: dict[int, yaml.Node] = {}  # id(value node) -> its key node

    def err(self, node: yaml.Node, message: str) -> LayoutError:
        return LayoutError(message, _pos(node, self.origin))

    def visit(self, node: yaml.Node) -> None:
        if id(node) in self.seen:
            raise self.err(node, "anchors and aliases are not allowed in layout files")
        self.seen.add(id(node))
        if node.tag not in STD_TAGS:
            raise self.err(node, f"tag {node.tag!r} is not allowed in layout files")

    def mapping(self, node: yaml.Node, what: str, allowed: tuple[str, ...],
                required: tuple[str, ...] = ()) -> dict[str, yaml.Node]:
        self.visit(node)
        if not isinstance(node, yaml.MappingNode):
            raise self.err(node, f"{what} must be a mapping")
        out: dict[str, yaml.Node] = {}
        for knode, vnode in node.value:
            self.visit(knode)
            if not isinstance(knode, yaml.ScalarNode):
                raise self.err(knode, f"keys in {what} must be plain words")
            key = knode.value
            if key in out:
                raise self.err(knode, f"duplicate key {key!r} in {what}")
            if allowed and key not in allowed:
                hint = close_matches(key, allowed)
                tip = f" (did you mean {hint[0]!r}?)" if hint else f" (allowed: {', '.join(allowed)})"
                raise self.err(knode, f"unknown key {key!r} in {what}{tip}")
            out[key] = vnode
            self.keys[id(vnode)] = knode
        for key in required:
            if key not in out:
                raise self.err(node, f"{what} is missing {key!r}")
        return out

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        self.visit(node)
        if not isinstance(node, yaml.SequenceNode):
            raise self.err(node, f"{what} must be a list")
        return list(node.value)

    def text(self, node: yaml.Node | None, what: str, default: str = "") -> str:
        if node is None:
            return default
        self.visit(node)
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            raise self.err(node, f"{what} must be text")
        return str(node.value)

    def word(self, node: yaml.Node | None, what: str) -> str:
        value = self.text(node, what)
        if node is not None and not value.replace("_", "").replace("-", "").replace(".", "").isalnum():
            raise self.err(node, f"{what} must be letters, digits, '_', '-' or '.', got {value!r}")
        return value

    def integer(self, node: yaml.Node, what: str) -> int:
        self.visit(node)
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:int":
            raise self.err(node, f"{what} must be an integer")
        try:
            return int(node.value.replace("_", ""), 0)
        except ValueError:
            raise self.err(node, f"{what} must be an integer") from None

    def value(self, node: yaml.Node, what: str) -> Value:
        self.visit(node)
        ok = isinstance(node, yaml.ScalarNode) and node.tag in (
            "tag:yaml.org,2002:int", "tag:yaml.org,2002:str")
        if not ok or not str(node.value).strip():
            raise self.err(node, f"{what} must be a number or an expression")
        text = str(node.value)
        quote = 1 if getattr(node, "style", None) in ("'", '"') else 0
        start, end = node.start_mark, node.end_mark
        exact = start.line == end.line and end.index - start.index == len(text) + 2 * quote
        return Value(text, _pos(node, self.origin), quote, exact)

    def named_fields(self, node: yaml.Node, what: str, name: str, partial: bool = False) -> dict[str, Any]:
        """The fields of one param or derived value: `value`, `description`, `source`, `choices`."""
        if not _IDENT.fullmatch(name):
            raise self.err(self.keys.get(id(node), node),
                           f"{what} name {name!r} must be a plain identifier (letters, digits, '_')")
        where = f"{what} {name!r}"
        if not isinstance(node, yaml.MappingNode):
            return {"value": self.value(node, where)}
        m = self.mapping(node, where, ("value", "description", "source", "choices"), () if partial else ("value",))
        out: dict[str, Any] = {}
        if "value" in m:
            out["value"] = self.value(m["value"], where)
        for key in ("description", "source"):
            if key in m:
                out[key] = self.text(m[key], key)
        if "choices" in m:
            choices: dict[int, str] = {}
            for k, v in self.mapping(m["choices"], f"{where} choices", ()).items():
                try:
                    number = int(k, 0)
                except ValueError:
                    raise self.err(self.keys.get(id(v), m["choices"]),
                                   f"{where} choices must be keyed by integers, got {k!r}") from None
                choices[number] = self.text(v, f"{where} choice {k}")
            out["choices"] = choices
        return out

    def named(self, node: yaml.Node, what: str) -> tuple[NamedSpec, ...]:
        return tuple(NamedSpec(name, pos=_pos(vnode, self.origin), **self.named_fields(vnode, what, name))
                     for name, vnode in self.mapping(node, f"{what}s", ()).items())

    def patches(self, node: yaml.Node, what: str) -> tuple[NamedPatch, ...]:
        return tuple(NamedPatch(name, _pos(vnode, self.origin), self.named_fields(vnode, what, name, partial=True))
                     for name, vnode in self.mapping(node, f"{what}s", ()).items())

    def rule(self, node: yaml.Node) -> RuleSpec:
        m = self.mapping(node, "maps_to", ("rule", "phys", "limit", "struct_size", "first_pfn"), ("rule",))
        name = self.text(m["rule"], "rule")
        if name not in RULES:
            hint = close_matches(name, RULES)
            tip = f"did you mean {hint[0]!r}?" if hint else "known: " + ", ".join(RULES)
            raise self.err(m["rule"], f"unknown rule {name!r} ({tip})")
        kind = RULES[name]
        for key, vnode in m.items():
            if key != "rule" and key not in kind.keys:
                raise self.err(self.keys.get(id(vnode), vnode), f"rule {name!r} takes no {key!r}")
        for key in kind.required:
            if key not in m:
                raise self.err(node, f"rule {name!r} needs {key!r}")
        opt = {k: self.value(v, f"maps_to {k}") for k, v in m.items() if k != "rule"}
        return RuleSpec(name, _pos(node, self.origin), opt.get("phys"), opt.get("limit"), opt.get("struct_size"),
                        opt.get("first_pfn"))

    def region(self, node: yaml.Node, depth: int, physical: bool = False) -> RegionSpec:
        self.regions += 1
        if self.regions > MAX_REGIONS:
            raise self.err(node, f"more than {MAX_REGIONS} regions")
        if depth > MAX_NESTING:
            raise self.err(node, f"regions nested deeper than {MAX_NESTING} levels")
        keys = _PHYS_KEYS if physical else _REGION_KEYS
        m = self.mapping(node, "a physical range" if physical else "a region", keys, ("name", "start", "kind"))
        name = self.text(m["name"], "name")
        ends = [k for k in ("end", "size", "last") if k in m]
        if len(ends) != 1:
            msg = "needs one of 'end', 'size' or 'last'" if not ends else \
                f"has both {ends[0]!r} and {ends[1]!r}; give exactly one"
            raise self.err(node, f"{name!r} {msg}")
        kids = tuple(self.region(c, depth + 1) for c in self.sequence(m["children"], "children")) \
            if "children" in m else ()
        vals = {k: self.value(m[k], f"{name!r} {k}") for k in ("start", *ends)}
        return RegionSpec(
            name=name,
            kind=self.word(m["kind"], "kind"),
            start=vals["start"],
            pos=_pos(node, self.origin),
            end=vals.get("end"),
            size=vals.get("size"),
            last=vals.get("last"),
            id=self.id(m.get("id")),
            description=self.text(m.get("description"), "description"),
            source=self.text(m.get("source"), "source"),
            rule=self.rule(m["maps_to"]) if "maps_to" in m else None,
            children=kids,
            present=self.value(m["present"], f"{name!r} present") if "present" in m else None,
        )

    def region_patch(self, node: yaml.Node, key: str, depth: int) -> RegionPatch:
        """`regions: {KEY: {...}}` in a variant: only the fields to replace."""
        m = self.mapping(node, f"the change of region {key!r}", _REGION_KEYS)
        ends = [k for k in ("end", "size", "last") if k in m]
        if len(ends) > 1:
            raise self.err(node, f"{key!r} has both {ends[0]!r} and {ends[1]!r}; give exactly one")
        fields: dict[str, Any] = {}
        for k, vnode in m.items():
            if k in ("start", "end", "size", "last", "present"):
                fields[k] = self.value(vnode, f"{key!r} {k}")
            elif k == "kind":
                fields[k] = self.word(vnode, "kind")
            elif k == "id":
                fields[k] = self.id(vnode)
            elif k == "maps_to":
                fields["rule"] = self.rule(vnode)
            elif k == "children":
                fields[k] = tuple(self.region(c, depth + 1) for c in self.sequence(vnode, "children"))
            else:
                fields[k] = self.text(vnode, k)
        return RegionPatch(key, _pos(node, self.origin), fields)

    def roles(self, node: yaml.Node) -> tuple[RoleSpec, ...]:
        out = []
        for name, vnode in self.mapping(node, "roles", ()).items():
            if name not in ROLES:
                hint = close_matches(name, ROLES)
                tip = f"did you mean {hint[0]!r}?" if hint else "known: " + ", ".join(ROLES)
                raise self.err(self.keys.get(id(vnode), node), f"unknown role {name!r} ({tip})")
            value = self.value(vnode, f"role {name!r}")
            if ROLES[name].region and not _IDENT.fullmatch(value.text.strip()):
                raise self.err(vnode, f"role {name!r} names a region: give its id, got {value.text!r}")
            out.append(RoleSpec(name, value, _pos(vnode, self.origin)))
        return tuple(out)

    def id(self, node: yaml.Node | None) -> str | None:
        if node is None:
            return None
        value = self.text(node, "id")
        if not _IDENT.fullmatch(value):
            raise self.err(node, f"id {value!r} must be a plain identifier (letters, digits, '_')")
        return value

    def sources(self, node: yaml.Node) -> tuple[SourceSpec, ...]:
        out = []
        for item in self.sequence(node, "sources"):
            if isinstance(item, yaml.ScalarNode):
                out.append(SourceSpec(self.text(item, "source")))
                continue
            m = self.mapping(item, "a source", ("file", "repo", "commit", "note"), ("file",))
            out.append(SourceSpec(self.text(m["file"], "file"),
                                  self.text(m.get("repo"), "repo", "torvalds/linux"),
                                  self.text(m.get("commit"), "commit"),
                                  self.text(m.get("note"), "note")))
        return tuple(out)

    def mode(self, node: yaml.Node, bits: int) -> str:
        paging = self.text(node, "paging")
        if paging not in MODES:
            hint = close_matches(paging, MODES)
            tip = f"did you mean {hint[0]!r}?" if hint else "known: " + ", ".join(MODES)
            raise self.err(node, f"unknown paging mode {paging!r} ({tip})")
        if MODES[paging].address_bits != bits:
            raise self.err(node, f"paging {paging!r} is for {MODES[paging].address_bits}-bit addresses")
        return paging

    def paging(self, node: yaml.Node, bits: int) -> dict[str, Any]:
        if not isinstance(node, yaml.MappingNode):
            return {"paging": self.mode(node, bits), "paging_param": None, "paging_choices": {}}
        pm = self.mapping(node, "paging", ("param", "choices"), ("param", "choices"))
        choices: dict[int, str] = {}
        for key, vnode in self.mapping(pm["choices"], "paging choices", ()).items():
            try:
                choices[int(key, 0)] = self.mode(vnode, bits)
            except ValueError:
                raise self.err(pm["choices"], "paging choices must be keyed by integers") from None
        if not choices:
            raise self.err(pm["choices"], "paging choices is empty")
        return {"paging": choices[min(choices)], "paging_param": self.text(pm["param"], "paging param"),
                "paging_choices": choices}

    def bits(self, node: yaml.Node) -> int:
        bits = self.integer(node, "address_bits")
        if bits not in (32, 64):
            raise self.err(node, f"address_bits must be 32 or 64, got {bits}")
        return bits

    def checks(self, node: yaml.Node) -> tuple[CheckSpec, ...]:
        items = []
        for item in self.sequence(node, "checks"):
            c = self.mapping(item, "a check", ("require", "message"), ("require", "message"))
            items.append(CheckSpec(self.value(c["require"], "require"), self.text(c["message"], "message"),
                                   _pos(item, self.origin)))
        return tuple(items)

    def kasan(self, node: yaml.Node) -> dict[str, Any]:
        k = self.mapping(node, "kasan", ("offset", "scale_shift"), ("offset",))
        return {"kasan_offset": self.value(k["offset"], "kasan offset"),
                "kasan_scale_shift": self.value(k["scale_shift"], "kasan scale_shift") if "scale_shift" in k else None}

    def physical(self, node: yaml.Node) -> dict[str, Any]:
        p = self.mapping(node, "physical", ("bits", "ranges", "zones"), ("bits",))
        out: dict[str, Any] = {"physical_bits": None, "physical_bits_value": None, "physical": (), "zones": ()}
        if p["bits"].tag == "tag:yaml.org,2002:int":
            pbits = self.integer(p["bits"], "physical bits")
            if not 1 <= pbits <= 64:
                raise self.err(p["bits"], f"physical bits must be 1..64, got {pbits}")
            out["physical_bits"] = pbits
        else:
            out["physical_bits_value"] = self.value(p["bits"], "physical bits")
        for key in ("ranges", "zones"):
            if key in p:
                out["physical" if key == "ranges" else key] = tuple(
                    self.region(r, 0, physical=True) for r in self.sequence(p[key], key))
        return out

    def compare(self, node: yaml.Node) -> tuple[str, ...]:
        return tuple(self.word(item, "a layout to compare with") for item in self.sequence(node, "compare"))

    def layout(self, root: yaml.Node, bases: Bases | None = None) -> LayoutSpec:
        if isinstance(root, yaml.MappingNode) and any(
                isinstance(k, yaml.ScalarNode) and k.value == "extends" for k, _ in root.value):
            return self.variant(root, bases)
        m = self.mapping(root, "the layout", _TOP, ("id", "title", "arch", "address_bits", "paging", "regions"))
        bits = self.bits(m["address_bits"])
        regions = tuple(self.region(r, 0) for r in self.sequence(m["regions"], "regions"))
        if not regions:
            raise self.err(m["regions"], "regions is empty; a layout needs at least one region")
        return LayoutSpec(
            id=self.word(m["id"], "id"),
            title=self.text(m["title"], "title"),
            arch=self.text(m["arch"], "arch"),
            address_bits=bits,
            regions=regions,
            origin=self.origin,
            summary=self.text(m.get("summary"), "summary"),
            sources=self.sources(m["sources"]) if "sources" in m else (),
            params=self.named(m["params"], "param") if "params" in m else (),
            derived=self.named(m["derived"], "derived value") if "derived" in m else (),
            checks=self.checks(m["checks"]) if "checks" in m else (),
            roles=self.roles(m["roles"]) if "roles" in m else (),
            compare=self.compare(m["compare"]) if "compare" in m else (),
            **self.paging(m["paging"], bits),
            **(self.kasan(m["kasan"]) if "kasan" in m else {}),
            **(self.physical(m["physical"]) if "physical" in m else {}),
        )

    def variant(self, root: yaml.Node, bases: Bases | None) -> LayoutSpec:
        """A layout that `extends:` another: read what it changes, then lay it over the base."""
        from vaslayout.core.extends import Variant, merge

        m = self.mapping(root, "the layout", _TOP + ("extends",), ("extends", "id"))
        name = self.text(m["extends"], "extends")
        if bases is None:
            raise self.err(m["extends"], "extends needs a file or a built-in layout to start from; "
                                         "load this layout from a file")
        base = bases(name, _pos(m["extends"], self.origin))
        top: dict[str, Any] = {"id": self.word(m["id"], "id")}
        for key in ("title", "summary", "arch"):
            if key in m:
                top[key] = self.text(m[key], key)
        bits = base.address_bits
        if "address_bits" in m:
            bits = top["address_bits"] = self.bits(m["address_bits"])
        if "paging" in m:
            top.update(self.paging(m["paging"], bits))
        elif bits != base.address_bits:
            raise self.err(m["address_bits"], "a new address width needs its own paging")
        if "kasan" in m:
            top.update(self.kasan(m["kasan"]))
        if "physical" in m:
            top.update(self.physical(m["physical"]))
        if "compare" in m:
            top["compare"] = self.compare(m["compare"])
        regions = ()
        if "regions" in m:
            regions = tuple(self.region_patch(v, k, 0) for k, v in self.mapping(m["regions"], "regions", ()).items())
        variant = Variant(
            name, _pos(m["extends"], self.origin), top,
            params=self.patches(m["params"], "param") if "params" in m else (),
            derived=self.patches(m["derived"], "derived value") if "derived" in m else (),
            checks=self.checks(m["checks"]) if "checks" in m else (),
            sources=self.sources(m["sources"]) if "sources" in m else (),
            regions=regions,
            roles=self.roles(m["roles"]) if "roles" in m else (),
        )
        return merge(base, variant, self.origin)


def load_text(text: str, origin: str = "<layout>", bases: Bases | None = None) -> LayoutSpec:
    """A layout from its text; `bases` loads what an `extends:` names (none: extends is refused)."""
    origin = printable(origin)
    if len(text) > MAX_FILE_BYTES:
        raise LayoutError(f"{len(text)} characters: larger than 1 MiB, the most a layout file may be", origin)
    with collector.paused():  # tens of thousands of new, acyclic nodes: the collector would only rescan them
        return _load_text(text, origin, bases)


def _load_text(text: str, origin: str, bases: Bases | None) -> LayoutSpec:
    root = compose_document(text, origin)
    try:
        return _Reader(origin).layout(root, bases)
    except RecursionError:
        raise LayoutError("layout nested too deeply", origin) from None


def beside(name: str, directory: str) -> str | None:
    """The file an `extends:` names, next to the file that names it (NAME or NAME.yaml)."""
    for candidate in (name, name + ".yaml"):
        path = os.path.join(directory, candidate)
        if candidate.endswith((".yaml", ".yml")) and os.path.isfile(path):
            return path
    return None


def load_file(path: str | os.PathLike[str], display: str | None = None,
              find_base: Callable[[str, str], str | None] = beside, _chain: tuple[str, ...] = ()) -> LayoutSpec:
    """A layout file; an `extends:` in it is looked up with find_base(name, its directory)."""
    text, origin = read_text_file(path, display)
    here = os.path.realpath(path) if not _chain or os.path.exists(path) else os.fspath(path)

    def bases(name: str, pos: Pos) -> LayoutSpec:
        target = find_base(name, os.path.dirname(here))
        if target is None:
            raise LayoutError(f"extends {name!r}: no such layout beside this file or built in", pos)
        chain = (*_chain, here)
        if os.path.realpath(target) in chain:
            names = " -> ".join(os.path.basename(c) for c in (*chain, os.path.realpath(target)))
            raise LayoutError(f"extends goes round in a circle: {names}", pos)
        if len(chain) > MAX_BASES:
            raise LayoutError(f"more than {MAX_BASES} bases of bases", pos)
        return load_file(target, target, find_base, chain)

    return load_text(text, origin, bases)
