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
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import yaml

from vaslayout.core import collector
from vaslayout.core.paging import MODES
from vaslayout.errors import UserError

MAX_FILE_BYTES = 1 << 20
# Bounds on the work one file can cause: the built-in layouts hold about 40
# regions and 500 YAML nodes; at these limits a file still loads in well
# under a second (tests/robustness measures it).
MAX_REGIONS = 5_000
MAX_YAML_NODES = 50_000
MAX_NESTING = 32
MAX_YAML_DEPTH = 100  # lists and mappings inside each other; regions need 2 per level

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


@dataclass(frozen=True)
class CheckSpec:
    """`checks: [{require: EXPR, message: TEXT}]`: a combination the kernel refuses."""

    require: Value
    message: str
    pos: Pos


KINDS = (
    "user-space",
    "kernel-space",
    "user-text",
    "user-data",
    "heap",
    "mmap",
    "stack",
    "direct-map",
    "highmem",
    "vmalloc",
    "ioremap",
    "vmemmap",
    "pkmap",
    "fixmap",
    "kernel-text",
    "modules",
    "kasan",
    "cpu-entry",
    "ldt",
    "espfix",
    "efi",
    "vsyscall",
    "guard",
    "hole",
    "non-canonical",
)
RULES = ("linear", "struct-page", "kasan-shadow")


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

    def named(self, node: yaml.Node, what: str) -> tuple[NamedSpec, ...]:
        out: list[NamedSpec] = []
        for name, vnode in self.mapping(node, f"{what}s", ()).items():
            if not _IDENT.fullmatch(name):
                raise self.err(self.keys.get(id(vnode), node),
                               f"{what} name {name!r} must be a plain identifier (letters, digits, '_')")
            where = f"{what} {name!r}"
            if isinstance(vnode, yaml.MappingNode):
                m = self.mapping(vnode, where, ("value", "description", "source", "choices"), ("value",))
                choices: dict[int, str] = {}
                if "choices" in m:
                    for k, v in self.mapping(m["choices"], f"{where} choices", ()).items():
                        try:
                            number = int(k, 0)
                        except ValueError:
                            raise self.err(self.keys.get(id(v), m["choices"]),
                                           f"{where} choices must be keyed by integers, got {k!r}") from None
                        choices[number] = self.text(v, f"{where} choice {k}")
                out.append(NamedSpec(name, self.value(m["value"], where),
                                     self.text(m.get("description"), "description"),
                                     self.text(m.get("source"), "source"), choices, _pos(vnode, self.origin)))
            else:
                out.append(NamedSpec(name, self.value(vnode, where), pos=_pos(vnode, self.origin)))
        return tuple(out)

    def rule(self, node: yaml.Node) -> RuleSpec:
        m = self.mapping(node, "maps_to", ("rule", "phys", "limit", "struct_size", "first_pfn"), ("rule",))
        name = self.text(m["rule"], "rule")
        if name not in RULES:
            hint = close_matches(name, RULES)
            tip = f"did you mean {hint[0]!r}?" if hint else "known: " + ", ".join(RULES)
            raise self.err(m["rule"], f"unknown rule {name!r} ({tip})")
        allowed = {"linear": {"phys", "limit"}, "struct-page": {"struct_size", "first_pfn"},
                   "kasan-shadow": set()}[name]
        for key, vnode in m.items():
            if key != "rule" and key not in allowed:
                raise self.err(self.keys.get(id(vnode), vnode), f"rule {name!r} takes no {key!r}")
        if name == "linear" and "phys" not in m:
            raise self.err(node, "rule 'linear' needs 'phys'")
        opt = {k: self.value(v, f"maps_to {k}") for k, v in m.items() if k != "rule"}
        return RuleSpec(name, _pos(node, self.origin), opt.get("phys"), opt.get("limit"), opt.get("struct_size"),
                        opt.get("first_pfn"))

    def region(self, node: yaml.Node, depth: int, physical: bool = False) -> RegionSpec:
        self.regions += 1
        if self.regions > MAX_REGIONS:
            raise self.err(node, f"more than {MAX_REGIONS} regions")
        if depth > MAX_NESTING:
            raise self.err(node, f"regions nested deeper than {MAX_NESTING} levels")
        keys = ("name", "start", "end", "size", "last", "kind", "description", "source")
        if not physical:
            keys += ("id", "maps_to", "children")
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
        )

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

    def layout(self, root: yaml.Node) -> LayoutSpec:
        top = ("id", "title", "summary", "arch", "address_bits", "paging", "sources",
               "params", "derived", "checks", "kasan", "physical", "regions")
        m = self.mapping(root, "the layout", top, ("id", "title", "arch", "address_bits", "paging", "regions"))
        bits = self.integer(m["address_bits"], "address_bits")
        if bits not in (32, 64):
            raise self.err(m["address_bits"], f"address_bits must be 32 or 64, got {bits}")
        paging_param, paging_choices = None, {}
        if isinstance(m["paging"], yaml.MappingNode):
            pm = self.mapping(m["paging"], "paging", ("param", "choices"), ("param", "choices"))
            paging_param = self.text(pm["param"], "paging param")
            for key, vnode in self.mapping(pm["choices"], "paging choices", ()).items():
                try:
                    paging_choices[int(key, 0)] = self.mode(vnode, bits)
                except ValueError:
                    raise self.err(pm["choices"], "paging choices must be keyed by integers") from None
            paging = paging_choices[min(paging_choices)] if paging_choices else ""
            if not paging:
                raise self.err(pm["choices"], "paging choices is empty")
        else:
            paging = self.mode(m["paging"], bits)
        checks = ()
        if "checks" in m:
            items = []
            for item in self.sequence(m["checks"], "checks"):
                c = self.mapping(item, "a check", ("require", "message"), ("require", "message"))
                items.append(CheckSpec(self.value(c["require"], "require"), self.text(c["message"], "message"),
                                       _pos(item, self.origin)))
            checks = tuple(items)
        kasan_offset = kasan_shift = None
        if "kasan" in m:
            k = self.mapping(m["kasan"], "kasan", ("offset", "scale_shift"), ("offset",))
            kasan_offset = self.value(k["offset"], "kasan offset")
            kasan_shift = self.value(k["scale_shift"], "kasan scale_shift") if "scale_shift" in k else None
        pbits, pranges, pbits_value, pzones = None, (), None, ()
        if "physical" in m:
            p = self.mapping(m["physical"], "physical", ("bits", "ranges", "zones"), ("bits",))
            if p["bits"].tag == "tag:yaml.org,2002:int":
                pbits = self.integer(p["bits"], "physical bits")
                if not 1 <= pbits <= 64:
                    raise self.err(p["bits"], f"physical bits must be 1..64, got {pbits}")
            else:
                pbits_value = self.value(p["bits"], "physical bits")
            if "ranges" in p:
                pranges = tuple(self.region(r, 0, physical=True) for r in self.sequence(p["ranges"], "ranges"))
            if "zones" in p:
                pzones = tuple(self.region(r, 0, physical=True) for r in self.sequence(p["zones"], "zones"))
        regions = tuple(self.region(r, 0) for r in self.sequence(m["regions"], "regions"))
        if not regions:
            raise self.err(m["regions"], "regions is empty; a layout needs at least one region")
        return LayoutSpec(
            id=self.word(m["id"], "id"),
            title=self.text(m["title"], "title"),
            arch=self.text(m["arch"], "arch"),
            address_bits=bits,
            paging=paging,
            regions=regions,
            origin=self.origin,
            summary=self.text(m.get("summary"), "summary"),
            sources=self.sources(m["sources"]) if "sources" in m else (),
            params=self.named(m["params"], "param") if "params" in m else (),
            derived=self.named(m["derived"], "derived value") if "derived" in m else (),
            kasan_offset=kasan_offset,
            kasan_scale_shift=kasan_shift,
            physical_bits=pbits,
            physical=pranges,
            zones=pzones,
            paging_param=paging_param,
            paging_choices=paging_choices,
            physical_bits_value=pbits_value,
            checks=checks,
        )


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


def load_text(text: str, origin: str = "<layout>") -> LayoutSpec:
    origin = printable(origin)
    if len(text) > MAX_FILE_BYTES:
        raise LayoutError(f"{len(text)} characters: larger than 1 MiB, the most a layout file may be", origin)
    with collector.paused():  # tens of thousands of new, acyclic nodes: the collector would only rescan them
        return _load_text(text, origin)


def _load_text(text: str, origin: str) -> LayoutSpec:
    root = compose_document(text, origin)
    try:
        return _Reader(origin).layout(root)
    except RecursionError:
        raise LayoutError("layout nested too deeply", origin) from None


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


def load_file(path: str | os.PathLike[str], display: str | None = None) -> LayoutSpec:
    return load_text(*read_text_file(path, display))
