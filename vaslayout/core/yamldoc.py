"""YAML text -> one node tree, bounded and positioned; the file reading every YAML of ours shares.

Nodes are built from the safe parser's events with an explicit stack instead
of calling compose(): no recursion to crash on deep nesting, aliases, anchors
and foreign tags refused where they are written, and every node keeps its
line and column for the one-line errors (file:line:column: message).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterable

import yaml

from vaslayout.core.positions import LayoutError, Pos  # noqa: F401  (re-exported)

MAX_FILE_BYTES = 1 << 20
MAX_YAML_NODES = 50_000
MAX_YAML_DEPTH = 100  # lists and mappings inside each other; regions need 2 per level

STD_TAGS = {
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq")
}


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
            if tag not in STD_TAGS:
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


