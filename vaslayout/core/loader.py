"""YAML text -> LayoutSpec, with a file:line:column for every complaint.

We build YAML nodes from the safe parser's events and walk them ourselves
instead of calling safe_load: nodes keep their positions, aliases, anchors
and custom tags are refused before anything is built, nesting is bounded
without recursion, and numbers stay as text for the expression evaluator.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from vaslayout.core import collector
from vaslayout.core.paging import MODES
from vaslayout.core.roles import ROLES
from vaslayout.core.rules import RULES
from vaslayout.errors import UserError

MAX_FILE_BYTES = 1 << 20
# Bounds on the work one file can cause: the built-in layouts hold about 40
# regions and 500 YAML nodes; at these limits a file still loads in well
# under a second (tests/robustness measures it).
MAX_REGIONS = 5_000
MAX_YAML_NODES = 50_000
MAX_NESTING = 32
MAX_YAML_DEPTH = 100  # lists and mappings inside each other; regions need 2 per level

MAX_BASES = 8  # `extends:` of `extends:`; the built-in families need one
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_STD_TAGS = {
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq")
}


@dataclass(frozen=True)
class Pos:
    file: str
    line: int  # 1-based
    column: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def shifted(self, column_offset: int) -> Pos:
        return replace(self, column=self.column + column_offset)


class LayoutError(UserError, ValueError):
    """A user error in a layout file or in params; str() is the one line to print."""

    def __init__(self, message: str, pos: Pos | str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos

    def __str__(self) -> str:
        return f"{self.pos}: {self.message}" if self.pos else self.message


@dataclass(frozen=True)
class Value:
    """An integer expression as written, with where it was written."""

    text: str
    pos: Pos
    quote: int = 0  # columns between pos and the first character of text
    exact: bool = True  # text sits on one line as written, so a column in it maps onto the file


@dataclass(frozen=True)
class NamedSpec:
    name: str
    value: Value
    description: str = ""
    source: str = ""
    choices: dict[int, str] = field(default_factory=dict)
    pos: Pos | None = None


@dataclass(frozen=True)
class RuleSpec:
    name: str
    pos: Pos
    phys: Value | None = None
    limit: Value | None = None
    struct_size: Value | None = None
    first_pfn: Value | None = None


@dataclass(frozen=True)
class RegionSpec:
    name: str
    kind: str
    start: Value
    pos: Pos
    end: Value | None = None
    size: Value | None = None
    last: Value | None = None
    id: str | None = None
    description: str = ""
    source: str = ""
    rule: RuleSpec | None = None
    children: tuple[RegionSpec, ...] = ()
    present: Value | None = None  # `present: EXPR`: the row is left out when it is 0


@dataclass(frozen=True)
class SourceSpec:
    file: str
    repo: str = "torvalds/linux"
    commit: str = ""
    note: str = ""


@dataclass(frozen=True)
class LayoutSpec:
    id: str
    title: str
    arch: str
    address_bits: int
    paging: str
    regions: tuple[RegionSpec, ...]
    origin: str
    summary: str = ""
    sources: tuple[SourceSpec, ...] = ()
    params: tuple[NamedSpec, ...] = ()
    derived: tuple[NamedSpec, ...] = ()
    kasan_offset: Value | None = None
    kasan_scale_shift: Value | None = None
    physical_bits: int | None = None
    physical: tuple[RegionSpec, ...] = ()
    zones: tuple[RegionSpec, ...] = ()
    # `paging: {param: pae, choices: {0: x86-32, 1: x86-32-pae}}`: a param picks the mode
    paging_param: str | None = None
    paging_choices: dict[int, str] = field(default_factory=dict)
    physical_bits_value: Value | None = None  # `bits:` written as an expression
    checks: tuple[CheckSpec, ...] = ()
    roles: tuple[RoleSpec, ...] = ()
    compare: tuple[str, ...] = ()  # layouts to show beside this one
    extends: str = ""  # the base it was built from, if any


@dataclass(frozen=True)
class NamedPatch:
    """A variant's param or derived value: the fields it replaces, or all of a new one."""

    name: str
    pos: Pos
    fields: dict[str, Any]


@dataclass(frozen=True)
class RegionPatch:
    """`regions: {KEY: {...}}` in a variant: KEY is a region id, or a name no other region has."""

    key: str
    pos: Pos
    fields: dict[str, Any]


@dataclass(frozen=True)
class RoleSpec:
    """`roles: {NAME: TEXT}`: a region id (region roles) or an expression (value roles)."""

    name: str
    value: Value
    pos: Pos


@dataclass(frozen=True)
class CheckSpec:
    """`checks: [{require: EXPR, message: TEXT}]`: a combination the kernel refuses."""

    require: Value
    message: str
    pos: Pos




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
        if node.tag not in _STD_TAGS:
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


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NO_ALIAS = "anchors and aliases are not allowed in layout files"


def _compose(text: str, origin: str) -> yaml.Node | None:
    """yaml.compose without its recursion, refusing aliases, anchors, tags and deep nesting.

    libyaml's composer recurses in C: a few hundred thousand '[' crash the
    interpreter. Building the node tree from the parser's events with an
    explicit stack has no such limit, and lets us stop at the first alias
    or foreign tag with its position.
    """
    loader = _LOADER(text)

    def where(mark: yaml.Mark) -> Pos:
        return Pos(origin, mark.line + 1, mark.column + 1)

    try:
        loader.get_event()  # stream start
        if loader.check_event(yaml.StreamEndEvent):
            return None
        loader.get_event()  # document start
        root: yaml.Node | None = None
        stack: list[yaml.Node] = []
        pending: list[yaml.Node | None] = []  # a mapping's key waiting for its value

        def add(node: yaml.Node) -> None:
            nonlocal root
            if not stack:
                root = node
            elif isinstance(stack[-1], yaml.SequenceNode):
                stack[-1].value.append(node)
            elif pending[-1] is None:
                pending[-1] = node
            else:
                stack[-1].value.append((pending[-1], node))
                pending[-1] = None

        nodes = 0
        while True:
            event = loader.get_event()
            if isinstance(event, yaml.DocumentEndEvent):
                break
            if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                stack.pop().end_mark = event.end_mark
                pending.pop()
                continue
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                raise LayoutError(_NO_ALIAS, where(event.start_mark))
            if isinstance(event, yaml.ScalarEvent):
                tag = event.tag
                if tag is None or tag == "!":
                    tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
                node: yaml.Node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark,
                                                  style=event.style)
            else:
                kind = yaml.SequenceNode if isinstance(event, yaml.SequenceStartEvent) else yaml.MappingNode
                tag = event.tag
                if tag is None or tag == "!":
                    tag = loader.resolve(kind, None, event.implicit)
                node = kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
            if tag not in _STD_TAGS:
                raise LayoutError(f"tag {tag!r} is not allowed in layout files", where(event.start_mark))
            nodes += 1
            if nodes > MAX_YAML_NODES:
                raise LayoutError(f"more than {MAX_YAML_NODES:,} YAML values; a layout file needs far fewer",
                                  where(event.start_mark))
            add(node)
            if isinstance(node, yaml.CollectionNode):
                if len(stack) >= MAX_YAML_DEPTH:
                    raise LayoutError(f"YAML nested deeper than {MAX_YAML_DEPTH} levels", where(event.start_mark))
                stack.append(node)
                pending.append(None)
        if not loader.check_event(yaml.StreamEndEvent):
            event = loader.get_event()
            raise LayoutError("a layout file holds one YAML document; found a second one", where(event.start_mark))
        return root
    finally:
        loader.dispose()


def _reader_pos(text: str, origin: str, exc: yaml.reader.ReaderError) -> Pos | str:
    index = exc.position
    if not isinstance(index, int) or not 0 <= index <= len(text):
        return origin
    if exc.encoding not in (None, "?") or (index < len(text) and ord(text[index]) != exc.character):
        # libyaml counts bytes of the UTF-8 text, not characters
        index = len(text.encode("utf-8")[:index].decode("utf-8", "ignore"))
    line = text.count("\n", 0, index) + 1
    return Pos(origin, line, index - (text.rfind("\n", 0, index) + 1) + 1)


def close_matches(word: str, choices: Iterable[str]) -> list[str]:
    """The one closest choice, if any is close: for "did you mean" (difflib loads only when a name is wrong)."""
    import difflib

    return difflib.get_close_matches(word, list(choices), n=1)


def printable(name: str) -> str:
    """A file name as it may appear in a one-line message: control characters escaped, and not pages long."""
    if not name.isprintable():
        name = "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)
    return name if len(name) <= 300 else name[:200] + "..." + name[-80:]


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


LIBYAML_NESTING = "exceeded maximum nesting depth"  # libyaml 0.2.6's own limit (1000), in PyYAML 6.0.4's wheels


def _raise_our_nesting_error(text: str, origin: str, what: str, exc: yaml.MarkedYAMLError) -> None:
    """libyaml's scanner stops at 1000 levels before our composer sees level 101: say it our way.

    The scanner looks ahead of the events, so its limit fires first. The
    text up to where it stopped is less than 1000 deep, so composing just
    that reaches our MAX_YAML_DEPTH check, with the position of the bracket
    that went one level too deep.
    """
    mark = exc.problem_mark
    if mark is not None:
        prefix = text.encode("utf-8")[:mark.index].decode("utf-8", "ignore")  # libyaml counts bytes
        try:
            _compose(prefix, origin)
        except LayoutError as ours:
            if ours.message.startswith("YAML nested deeper"):
                raise LayoutError(ours.message.replace("layout file", what), ours.pos) from None
        except yaml.YAMLError:
            pass
    where = Pos(origin, mark.line + 1, mark.column + 1) if mark else origin
    raise LayoutError(f"YAML nested deeper than {MAX_YAML_DEPTH} levels", where) from None


def compose_document(text: str, origin: str, what: str = "layout file") -> yaml.Node:
    """The one YAML document of a layout (or tour) file, every YAML error as one LayoutError."""
    try:
        root = _compose(text, origin)
    except LayoutError as exc:
        raise LayoutError(exc.message.replace("layout file", what), exc.pos) from None
    except yaml.reader.ReaderError as exc:
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise LayoutError(f"YAML: character {char} is not allowed ({exc.reason})",
                          _reader_pos(text, origin, exc)) from None
    except yaml.MarkedYAMLError as exc:
        if exc.problem == LIBYAML_NESTING:
            _raise_our_nesting_error(text, origin, what, exc)
        mark = exc.problem_mark or exc.context_mark
        where = Pos(origin, mark.line + 1, mark.column + 1) if mark else origin
        problem = exc.problem or exc.context or "malformed YAML"
        if mark and 0 <= mark.index < len(text) and text[mark.index] == "\t":
            problem += " (a tab: YAML indents with spaces only)"
        ctx = exc.context_mark
        if exc.problem and exc.context and ctx is not None and mark is not None and ctx.line != mark.line:
            # an unclosed quote or bracket is noticed far below where it opened: say where
            problem += f" ({exc.context} that starts at line {ctx.line + 1}, column {ctx.column + 1})"
        raise LayoutError(f"YAML: {problem}", where) from None
    except yaml.YAMLError as exc:
        raise LayoutError("YAML: " + " ".join(str(exc).split()), origin) from None
    if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == "tag:yaml.org,2002:null"
                        and not root.value):
        raise LayoutError(f"empty {what}", Pos(origin, 1, 1))
    return root


def _open(path: str | os.PathLike[str]):
    """Open for reading without hanging on a FIFO that nobody writes to.

    O_NONBLOCK makes the open itself return at once; blocking reads are
    restored so a pipe with a writer (/dev/stdin) is read to its end, and
    one without a writer reads as empty.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_text_file(path: str | os.PathLike[str], display: str | None = None,
                   what: str = "layout file") -> tuple[str, str]:
    """(text, origin) of a YAML file of ours: bounded, non-blocking, UTF-8 with a position on bad bytes."""
    origin = printable(display or os.fsdecode(path))
    try:
        with _open(path) as f:  # read at most the limit: st_size lies for /dev/zero and pipes
            too_large = os.fstat(f.fileno()).st_size > MAX_FILE_BYTES
            data = b"" if too_large else f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise LayoutError(f"cannot read: {exc.strerror or exc}", origin) from None
    except ValueError:  # a NUL byte in the name
        raise LayoutError("cannot read: the name holds a NUL byte", origin) from None
    if too_large or len(data) > MAX_FILE_BYTES:
        raise LayoutError(f"larger than 1 MiB, the most a {what} may be", origin)
    try:
        return data.decode("utf-8"), origin
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
        raise LayoutError(f"not UTF-8 (byte 0x{data[exc.start]:02x})", Pos(origin, line, col)) from None


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
