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


def parse_int(text: str, column: int | None = None) -> int:
    """One integer literal: 0xC000_0000, 0b101, 896M, 4096."""
    t = text.strip()
    base, digits, shift = 10, t, 0
    if t[:2] in ("0x", "0X"):
        base, digits = 16, t[2:]
    elif t[:2] in ("0b", "0B"):
        base, digits = 2, t[2:]
    elif t and t[-1] in UNITS:
        digits, shift = t[:-1], UNITS[t[-1]]
    if base == 10 and digits[:1] == "0" and digits.strip("0_"):
        raise ExprError(f"{text!r}: a decimal number may not start with 0 (write 0x for hex)", column)
    try:
        return int(digits, base) << shift
    except ValueError:
        raise ExprError(f"not a number: {text!r}", column) from None


@dataclass(frozen=True)
class Num:
    value: int
    column: int = 0


@dataclass(frozen=True)
class Name:
    name: str
    column: int


@dataclass(frozen=True)
class Unary:
    op: str
    arg: Node
    column: int = 0


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
        if text.startswith("**", pos):
            raise ExprError("there is no exponent operator; write powers of two as 1 << n", pos)
        if text.startswith("//", pos):
            raise ExprError("write integer division as '/'", pos)
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
        if text == ")":
            raise ExprError("unmatched ')'", col)
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
                node = Binary(text, left, self.binary(level + 1), col)
                kind, text, col = self.peek()
                if kind == "op" and text in _LEVELS[0]:
                    raise ExprError(f"comparisons do not chain; put one of them in parentheses before {text!r}", col)
                return node
            left = Binary(text, left, self.binary(level + 1), col)

    def unary(self) -> Node:
        kind, text, col = self.peek()
        if kind == "op" and text in ("-", "+", "~"):
            self.take()
            self._descend(col)
            try:
                return Unary(text, self.unary(), col)
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
            return Num(_check(parse_int(text, col), col), col)
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


_PLAIN_NUMBER = re.compile(r"\s*(0[xX][0-9a-fA-F_]+|[0-9][0-9_]*[KMGTPE]?)\s*")


def parse(text: str) -> Node:
    if len(text) > MAX_LENGTH:
        raise ExprError(f"expression longer than {MAX_LENGTH} characters", MAX_LENGTH)
    if not text.strip():
        raise ExprError("empty expression", 0)
    m = _PLAIN_NUMBER.fullmatch(text)  # most values in a layout are one literal
    if m:
        col = m.start(1)
        return Num(_check(parse_int(m.group(1), col), col), col)
    return _Parser(text).parse()


def names(node: Node) -> set[str]:
    """Every name the expression refers to."""
    out: set[str] = set()
    todo: list[Node] = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, Name):
            out.add(n.name)
        elif isinstance(n, Unary):
            todo.append(n.arg)
        elif isinstance(n, Binary):
            todo += (n.left, n.right)
        elif isinstance(n, Call):
            todo += n.args
    return out


Resolver = Callable[[str, int], int]


def _check(value: int, col: int | None) -> int:
    if value.bit_length() > MAX_BITS:
        raise ExprError(f"value exceeds 2^{MAX_BITS}", col)
    return value


_OPS: dict[str, Callable[[int, int], int]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a // b,
    "%": lambda a, b: a % b,
    "<<": lambda a, b: a << b,
    ">>": lambda a, b: a >> b,
    "&": lambda a, b: a & b,
    "|": lambda a, b: a | b,
    "^": lambda a, b: a ^ b,
    "==": lambda a, b: int(a == b),
    "!=": lambda a, b: int(a != b),
    "<": lambda a, b: int(a < b),
    "<=": lambda a, b: int(a <= b),
    ">": lambda a, b: int(a > b),
    ">=": lambda a, b: int(a >= b),
}


def _apply(op: str, a: int, b: int, col: int) -> int:
    if op in ("/", "%") and b == 0:
        raise ExprError("division by zero", col)
    if op in ("<<", ">>") and not 0 <= b <= MAX_SHIFT:
        raise ExprError(f"shift by {b}: shifts must be 0..{MAX_SHIFT}", col)
    return _check(_OPS[op](a, b), col)


def evaluate(node: Node, resolve: Resolver) -> int:
    # A chain like a + b + c + ... is a left-leaning spine of Binary nodes:
    # walk it with a loop so a long sum costs no recursion.
    spine: list[Binary] = []
    while isinstance(node, Binary):
        spine.append(node)
        node = node.left
    if isinstance(node, Num):
        value = _check(node.value, node.column)
    elif isinstance(node, Name):
        value = resolve(node.name, node.column)
    elif isinstance(node, Unary):
        v = evaluate(node.arg, resolve)
        value = _check(-v if node.op == "-" else ~v if node.op == "~" else v, node.column)
    else:
        value = _call(node, resolve)
    for b in reversed(spine):
        value = _apply(b.op, value, evaluate(b.right, resolve), b.column)
    return value


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
        return _check(-(-x // a) * a, col)
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
