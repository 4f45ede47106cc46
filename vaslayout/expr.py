"""Integer expressions for layout files, evaluated without `eval`.

A hand-written tokenizer and precedence-climbing parser build a small tree
that is evaluated against a name resolver. Cost is bounded three ways: the
text length, the nesting depth, and the size of every intermediate value,
so no file can make vaslayout spin or allocate a googol.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_LENGTH = 1000
MAX_DEPTH = 64
MAX_SHIFT = 128
MAX_BITS = 130

UNITS = {"K": 10, "M": 20, "G": 30, "T": 40, "P": 50, "E": 60}


class ExprError(ValueError):
    """A bad expression; `column` is 0-based into the text, or None."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>0[xX][0-9a-fA-F_]+|0[bB][01_]+|[0-9][0-9_]*[KMGTPE]?(?![A-Za-z0-9_]))
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)
  | (?P<op><<|>>|==|!=|<=|>=|[-+*/%&|^~()<>,])
  | (?P<bad>[0-9][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)


def parse_int(text: str) -> int:
    """One integer literal: 0xC000_0000, 0b101, 896M, 4096."""
    t = text.strip()
    try:
        if t[:2] in ("0x", "0X"):
            return int(t[2:], 16)
        if t[:2] in ("0b", "0B"):
            return int(t[2:], 2)
        if t and t[-1] in UNITS:
            return int(t[:-1], 10) << UNITS[t[-1]]
        return int(t, 10)
    except ValueError:
        raise ExprError(f"not a number: {text!r}") from None


@dataclass(frozen=True)
class Num:
    value: int


@dataclass(frozen=True)
class Name:
    name: str
    column: int


@dataclass(frozen=True)
class Unary:
    op: str
    arg: Node


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node
    column: int


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Node, ...]
    column: int


Node = Num | Name | Unary | Binary | Call

# Python's precedence, lowest first.
_LEVELS: tuple[tuple[str, ...], ...] = (
    ("==", "!=", "<", "<=", ">", ">="),
    ("|",),
    ("^",),
    ("&",),
    ("<<", ">>"),
    ("+", "-"),
    ("*", "/", "%"),
)

_FUNCS: dict[str, tuple[int, int | None]] = {  # name -> (min args, max args)
    "min": (1, None),
    "max": (1, None),
    "align_up": (2, 2),
    "align_down": (2, 2),
    "div_round_up": (2, 2),
    "cond": (3, 3),
}


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ExprError(f"unexpected character {text[pos]!r}", pos)
        kind = m.lastgroup or ""
        if kind == "bad":
            raise ExprError(f"not a number: {m.group()!r}", pos)
        if kind != "ws":
            tokens.append((kind, m.group(), pos))
        pos = m.end()
    tokens.append(("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.i]

    def take(self) -> tuple[str, str, int]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        kind, text, col = self.take()
        if text != value or kind == "end":
            found = "the end" if kind == "end" else repr(text)
            raise ExprError(f"expected {value!r}, found {found}", col)

    def parse(self) -> Node:
        node = self.binary(0)
        kind, text, col = self.peek()
        if kind != "end":
            raise ExprError(f"unexpected {text!r}", col)
        return node

    def binary(self, level: int) -> Node:
        if level == len(_LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while True:
            kind, text, col = self.peek()
            if kind != "op" or text not in _LEVELS[level]:
                return left
            self.take()
            if level == 0:  # comparisons do not chain
                return Binary(text, left, self.binary(level + 1), col)
            left = Binary(text, left, self.binary(level + 1), col)

    def unary(self) -> Node:
        kind, text, col = self.peek()
        if kind == "op" and text in ("-", "+", "~"):
            self.take()
            self._descend(col)
            try:
                return Unary(text, self.unary())
            finally:
                self.depth -= 1
        return self.atom()

    def _descend(self, col: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"expression nested deeper than {MAX_DEPTH} levels", col)

    def atom(self) -> Node:
        kind, text, col = self.take()
        if kind == "num":
            return Num(parse_int(text))
        if kind == "name":
            if self.peek()[1] == "(" and self.peek()[0] == "op":
                return self.call(text, col)
            return Name(text, col)
        if text == "(":
            self._descend(col)
            try:
                node = self.binary(0)
            finally:
                self.depth -= 1
            self.expect(")")
            return node
        found = "the end" if kind == "end" else repr(text)
        raise ExprError(f"expected a number, name or '(', found {found}", col)

    def call(self, func: str, col: int) -> Node:
        if func not in _FUNCS:
            raise ExprError(f"unknown function {func!r} (known: {', '.join(_FUNCS)})", col)
        self.take()  # (
        self._descend(col)
        args: list[Node] = []
        try:
            if self.peek()[1] != ")":
                args.append(self.binary(0))
                while self.peek()[1] == ",":
                    self.take()
                    args.append(self.binary(0))
        finally:
            self.depth -= 1
        self.expect(")")
        lo, hi = _FUNCS[func]
        if len(args) < lo or (hi is not None and len(args) > hi):
            want = str(lo) if lo == hi else f"at least {lo}"
            raise ExprError(f"{func}() takes {want} argument(s), got {len(args)}", col)
        return Call(func, tuple(args), col)


def parse(text: str) -> Node:
    if len(text) > MAX_LENGTH:
        raise ExprError(f"expression longer than {MAX_LENGTH} characters", MAX_LENGTH)
    if not text.strip():
        raise ExprError("empty expression", 0)
    return _Parser(text).parse()


def names(node: Node) -> set[str]:
    """Every name the expression refers to."""
    if isinstance(node, Name):
        return {node.name}
    if isinstance(node, Unary):
        return names(node.arg)
    if isinstance(node, Binary):
        return names(node.left) | names(node.right)
    if isinstance(node, Call):
        return set().union(*(names(a) for a in node.args))
    return set()


Resolver = Callable[[str, int], int]


def _check(value: int, col: int) -> int:
    if value.bit_length() > MAX_BITS:
        raise ExprError(f"value exceeds 2^{MAX_BITS}", col)
    return value


def evaluate(node: Node, resolve: Resolver) -> int:
    if isinstance(node, Num):
        return _check(node.value, 0)
    if isinstance(node, Name):
        return resolve(node.name, node.column)
    if isinstance(node, Unary):
        v = evaluate(node.arg, resolve)
        return -v if node.op == "-" else ~v if node.op == "~" else v
    if isinstance(node, Call):
        return _call(node, resolve)
    a = evaluate(node.left, resolve)
    b = evaluate(node.right, resolve)
    op, col = node.op, node.column
    if op in ("/", "%") and b == 0:
        raise ExprError("division by zero", col)
    if op in ("<<", ">>") and not 0 <= b <= MAX_SHIFT:
        raise ExprError(f"shift by {b}: shifts must be 0..{MAX_SHIFT}", col)
    result = {
        "+": lambda: a + b,
        "-": lambda: a - b,
        "*": lambda: a * b,
        "/": lambda: a // b,
        "%": lambda: a % b,
        "<<": lambda: a << b,
        ">>": lambda: a >> b,
        "&": lambda: a & b,
        "|": lambda: a | b,
        "^": lambda: a ^ b,
        "==": lambda: int(a == b),
        "!=": lambda: int(a != b),
        "<": lambda: int(a < b),
        "<=": lambda: int(a <= b),
        ">": lambda: int(a > b),
        ">=": lambda: int(a >= b),
    }[op]()
    return _check(result, col)


def _call(node: Call, resolve: Resolver) -> int:
    col = node.column
    if node.func == "cond":  # only the chosen branch is evaluated
        c = evaluate(node.args[0], resolve)
        return evaluate(node.args[1] if c else node.args[2], resolve)
    args = [evaluate(a, resolve) for a in node.args]
    if node.func == "min":
        return min(args)
    if node.func == "max":
        return max(args)
    x, a = args
    if a <= 0:
        raise ExprError(f"{node.func}() needs a positive second argument, got {a}", col)
    if node.func == "align_up":
        return -(-x // a) * a
    if node.func == "align_down":
        return x // a * a
    return -(-x // a)  # div_round_up


def evaluate_text(text: str, values: dict[str, int] | None = None) -> int:
    """Parse and evaluate with a plain dict of names (tests, CLI values)."""
    env = values or {}

    def resolve(name: str, col: int) -> int:
        if name not in env:
            raise ExprError(f"unknown name {name!r}", col)
        return env[name]

    return evaluate(parse(text), resolve)
