"""The integer expression evaluator: literals, precedence, functions, limits, and a differential test."""

from __future__ import annotations

import ast
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vaslayout.core import expr
from vaslayout.core.expr import ExprError, evaluate_text


def ev(text: str, **names: int) -> int:
    return evaluate_text(text, names)


def err(text: str, **names: int) -> ExprError:
    with pytest.raises(ExprError) as info:
        evaluate_text(text, names)
    return info.value


# -- literals ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", 0),
        ("4096", 4096),
        ("1_000_000", 1_000_000),
        ("0x1000", 0x1000),
        ("0XFF", 0xFF),
        ("0xC000_0000", 0xC000_0000),
        ("0xffff_8880_0000_0000", 0xFFFF_8880_0000_0000),
        ("0b1010", 10),
        ("0B1_0000", 16),
        ("1K", 1 << 10),
        ("896M", 896 << 20),
        ("4G", 4 << 30),
        ("64T", 64 << 40),
        ("2P", 2 << 50),
        ("8E", 8 << 60),
        ("16E", 1 << 64),
        ("1_024K", 1 << 20),
        ("00", 0),
        ("0_0", 0),
        ("0K", 0),
    ],
)
def test_literals(text: str, value: int) -> None:
    assert ev(text) == value


def test_parse_int_matches_the_evaluator() -> None:
    for text in ("0xC000_0000", "0b101", "896M", "4096"):
        assert expr.parse_int(text) == ev(text)


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("1 + 0x", 4),  # hex prefix with no digits
        ("1 + 12abc", 4),
        ("4g", 0),  # suffixes are upper case
        ("0x10K", 4),  # no suffix on hex: 'K' is a stray name
        ("1 + 0x_", 4),
        ("3 $ 4", 2),
        ("1 + 2)", 5),
        ("(1 + 2", 6),
        ("min(1, 2", 8),
        ("", 0),
        ("   ", 0),
        ("1 +", 3),
        ("2 ** 8", 2),
        ("7 // 2", 2),
        ("1 < 2 < 3", 6),
        ("a.b.c", 3),
        ("1 + 0755", 4),  # octal or decimal? refused, as Python does
        ("08K", 0),
    ],
)
def test_bad_tokens_and_syntax_have_a_column(text: str, column: int) -> None:
    e = err(text, **{"a.b": 1})
    assert e.column == column, e.message


def test_error_messages_say_what_is_wrong() -> None:
    assert err("(1 + 2").message == "expected ')', found the end"
    assert err("1 + 2)").message == "unmatched ')'"
    assert "exponent" in err("2 ** 8").message
    assert "'/'" in err("7 // 2").message
    assert "do not chain" in err("1 < 2 < 3").message
    assert err("0x").message == "not a number: '0x'"


# -- precedence: Python's -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),
        ("64 / 4 / 2", 8),
        ("7 / 2", 3),
        ("-7 / 2", -4),  # floor division, as Python's //
        ("-7 % 3", 2),
        ("1 << 4 + 1", 32),  # + binds tighter than <<
        ("1 | 2 ^ 3 & 4", 1 | 2 ^ 3 & 4),
        ("6 & 3 << 1", 6 & (3 << 1)),
        ("1 + 2 == 3", 1),
        ("1 | 2 == 3", 1),  # | binds tighter than ==
        ("-2 * 3", -6),
        ("~0 & 0xff", 0xFF),
        ("- - 5", 5),
        ("+5", 5),
        ("~5 + 1", -5),
        ("2 * -3", -6),
        ("4G - 0xC000_0000 - 128M", 896 << 20),
        ("1 != 2", 1),
        ("3 >= 3", 1),
        ("3 > 3", 0),
        ("2 <= 1", 0),
        ("2 < 3", 1),
    ],
)
def test_precedence_is_pythons(text: str, value: int) -> None:
    assert ev(text) == value


# -- names and functions ------------------------------------------------------


def test_names_including_region_attributes() -> None:
    assert ev("PAGE_OFFSET + 1G", PAGE_OFFSET=0xC000_0000) == 0x1_0000_0000
    assert ev("lowmem.end - 1", **{"lowmem.end": 0xF800_0000}) == 0xF7FF_FFFF
    assert expr.names(expr.parse("a + min(b, c.d) * cond(e, f, ~g)")) == {"a", "b", "c.d", "e", "f", "g"}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("min(3, 1, 2)", 1),
        ("min(7)", 7),
        ("max(3, 1, 2)", 3),
        ("align_up(4097, 4096)", 8192),
        ("align_up(4096, 4096)", 4096),
        ("align_up(0, 4096)", 0),
        ("align_up(-1, 4096)", 0),
        ("align_down(8191, 4096)", 4096),
        ("align_down(-1, 4096)", -4096),
        ("div_round_up(10, 3)", 4),
        ("div_round_up(9, 3)", 3),
        ("cond(1, 10, 20)", 10),
        ("cond(0, 10, 20)", 20),
        ("cond(2 > 1, 10, 1 / 0)", 10),  # only the chosen branch is evaluated
        ("cond(0, nosuchname, 5)", 5),
        ("min (1, 2)", 1),
        ("max(1, 2) * 2", 4),
    ],
)
def test_functions(text: str, value: int) -> None:
    assert ev(text) == value


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("1 + pow(2, 3)", 4, "unknown function 'pow'"),
        ("min()", 0, "at least 1"),
        ("align_up(1)", 0, "takes 2 argument"),
        ("cond(1, 2)", 0, "takes 3 argument"),
        ("align_up(5, 0)", 0, "positive"),
        ("align_down(5, -4)", 0, "positive"),
        ("1 + div_round_up(5, 0)", 4, "positive"),
    ],
)
def test_function_errors(text: str, column: int, words: str) -> None:
    e = err(text)
    assert e.column == column
    assert words in e.message


# -- errors with a column -----------------------------------------------------


def test_unknown_name_has_its_column() -> None:
    e = err("1 + PAGE_OFSET", PAGE_OFFSET=1)
    assert (e.message, e.column) == ("unknown name 'PAGE_OFSET'", 4)


def test_division_and_modulo_by_zero() -> None:
    e = err("10 / (2 - 2)")
    assert (e.message, e.column) == ("division by zero", 3)
    assert err("1 + 5 % 0").column == 6


def test_shift_limits() -> None:
    assert ev("1 << 128") == 1 << 128
    assert ev("5 >> 128") == 0
    e = err("1 << 129")
    assert e.column == 2 and "shift by 129" in e.message
    assert err("1 >> -1").column == 2
    assert err("1 << (1 << 100)").column == 2


def test_value_limit() -> None:
    assert ev("(1 << 128) * 3") == 3 << 128
    e = err("(1 << 128) * 8")
    assert (e.message, e.column) == ("value exceeds 2^130", 11)
    e = err("1 + 0x" + "f" * 40)  # a literal that is too big is refused at parse time, where it stands
    assert (e.message, e.column) == ("value exceeds 2^130", 4)
    assert err("-(1 << 128) * 4 - (1 << 128) * 4").message == "value exceeds 2^130"
    assert err("align_up((1 << 128) * 3, (1 << 128) * 2)").message == "value exceeds 2^130"


def test_length_limit() -> None:
    ok = "1" + " " * (expr.MAX_LENGTH - 1)
    assert ev(ok) == 1
    e = err(ok + " ")
    assert e.column == expr.MAX_LENGTH and "longer than 1000" in e.message


def test_depth_limit() -> None:
    assert ev("(" * 64 + "1" + ")" * 64) == 1
    e = err("(" * 65 + "1" + ")" * 65)
    assert e.column == 64 and "deeper than 64" in e.message
    assert ev("-" * 64 + "1") == 1
    assert err("~" * 65 + "1").column == 64
    assert err("min(" * 65 + "1" + ")" * 65).column == 256


def test_long_sum_within_the_length_limit() -> None:
    text = "+".join(["1"] * 500)
    assert len(text) < expr.MAX_LENGTH
    assert ev(text) == 500
    assert ev("-".join(["1"] * 500)) == -498


@pytest.mark.parametrize(
    "text",
    [
        "1" * 1_000_000,  # a 1 MB long number
        "x" * 1_000_000,
        "(" * 10_000 + "1" + ")" * 10_000,
        "-" * 10_000 + "1",
        "min(" * 10_000 + "1" + ")" * 10_000,
    ],
    ids=["1MB-digits", "1MB-name", "10k-parens", "10k-minus", "10k-calls"],
)
def test_huge_inputs_fail_fast(text: str) -> None:
    t0 = time.perf_counter()
    e = err(text)
    assert time.perf_counter() - t0 < 0.1
    assert "longer than" in e.message


def test_expr_error_is_a_value_error() -> None:
    assert issubclass(ExprError, ValueError)


# -- differential test against a reference over random trees ------------------

BINOPS = ("+", "-", "*", "/", "%", "<<", ">>", "&", "|", "^")
CMPOPS = ("==", "!=", "<", "<=", ">", ">=")


class RefError(Exception):
    """The reference refuses: division by zero or a shift outside 0..128."""


def ref_eval(tree) -> int:
    """The meaning of a tree, directly over Python ints (no text, no eval)."""
    kind = tree[0]
    if kind == "num":
        return tree[1]
    if kind == "neg":
        return -ref_eval(tree[1])
    if kind == "inv":
        return ~ref_eval(tree[1])
    op, a, b = tree[1], ref_eval(tree[2]), ref_eval(tree[3])
    if op in ("/", "%") and b == 0:
        raise RefError
    if op in ("<<", ">>") and not 0 <= b <= 128:
        raise RefError
    result = {
        "+": a + b, "-": a - b, "*": a * b, "&": a & b, "|": a | b, "^": a ^ b,
        "==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b,
    }.get(op)
    if result is None:
        result = {"/": lambda: a // b, "%": lambda: a % b, "<<": lambda: a << b, ">>": lambda: a >> b}[op]()
    result = int(result)
    if result.bit_length() > 130:
        raise RefError
    return result


def render(tree) -> str:
    """Fully parenthesised text, so the test does not depend on precedence."""
    kind = tree[0]
    if kind == "num":
        value, style = tree[1], tree[2]
        return {"dec": str(value), "hex": hex(value), "bin": bin(value), "under": f"{value:_}"}[style]
    if kind == "neg":
        return f"-({render(tree[1])})"
    if kind == "inv":
        return f"~({render(tree[1])})"
    return f"({render(tree[2])} {tree[1]} {render(tree[3])})"


def render_bare(tree) -> str:
    """Minimal text relying on precedence: the evaluator must agree with Python's."""
    kind = tree[0]
    if kind == "num":
        return str(tree[1])
    if kind in ("neg", "inv"):
        return ("-" if kind == "neg" else "~") + f"({render_bare(tree[1])})"
    return f"({render_bare(tree[2])}) {tree[1]} ({render_bare(tree[3])})"


numbers = st.one_of(st.integers(0, 300), st.integers(0, 1 << 64)).flatmap(
    lambda n: st.tuples(st.just("num"), st.just(n), st.sampled_from(("dec", "hex", "bin", "under"))))
trees = st.recursive(
    numbers,
    lambda sub: st.one_of(
        st.tuples(st.just("neg"), sub),
        st.tuples(st.just("inv"), sub),
        st.tuples(st.just("bin"), st.sampled_from(BINOPS), sub, sub),
        st.tuples(st.just("bin"), st.sampled_from(CMPOPS), sub, sub),
    ),
    max_leaves=12,
)


def fits(tree) -> bool:
    return len(render(tree)) <= expr.MAX_LENGTH


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(trees.filter(fits))
def test_evaluator_agrees_with_reference(tree) -> None:
    text = render(tree)
    try:
        want = ref_eval(tree)
    except RefError:
        with pytest.raises(ExprError):
            evaluate_text(text)
        return
    assert evaluate_text(text) == want


# Precedence: flat, unparenthesised text. Python's own parser (ast) is the
# oracle for the grouping; ast_eval gives it the evaluator's limits.

_AST_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "/", ast.Mod: "%",
               ast.LShift: "<<", ast.RShift: ">>", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^"}
_AST_CMPOPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


def _limit(value: int) -> int:
    if value.bit_length() > 130:
        raise RefError
    return value


def ast_eval(node: ast.AST) -> int:
    if isinstance(node, ast.Expression):
        return ast_eval(node.body)
    if isinstance(node, ast.Constant):
        return _limit(node.value)
    if isinstance(node, ast.UnaryOp):
        v = ast_eval(node.operand)
        return _limit({ast.USub: -v, ast.Invert: ~v, ast.UAdd: v}[type(node.op)])
    if isinstance(node, ast.BinOp):
        left, right = ("num", ast_eval(node.left)), ("num", ast_eval(node.right))
        return ref_eval(("bin", _AST_BINOPS[type(node.op)], left, right))
    assert isinstance(node, ast.Compare)
    if len(node.ops) > 1:
        raise RefError  # Python chains comparisons; the evaluator refuses to
    return ref_eval(("bin", _AST_CMPOPS[type(node.ops[0])], ("num", ast_eval(node.left)),
                     ("num", ast_eval(node.comparators[0]))))


literal = st.one_of(st.integers(0, 200), st.integers(0, 1 << 70)).flatmap(
    lambda n: st.sampled_from((str(n), hex(n), f"{n:_}", bin(n))))
operand = st.tuples(st.text(alphabet="-~+", max_size=2), literal).map(lambda t: " ".join(t[0]) + " " + t[1])
flat = st.tuples(operand, st.lists(st.tuples(st.sampled_from(BINOPS + CMPOPS), operand), min_size=1, max_size=5))


@settings(max_examples=400, deadline=None)
@given(flat)
def test_precedence_matches_pythons_parser(parts) -> None:
    first, rest = parts
    text = first + "".join(f" {op} {x}" for op, x in rest)
    tree = ast.parse(text.replace("/", "//").strip(), mode="eval")  # text generated here, never user input
    try:
        want = ast_eval(tree)
    except RefError:
        with pytest.raises(ExprError):
            evaluate_text(text)
        return
    assert evaluate_text(text) == want, text
