"""JSON output: the hex twins of addresses, the C-encoded indent, batches streamed."""

from __future__ import annotations

import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from vaslayout import jsonout

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(1 << 70), 1 << 70) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES, st.sampled_from([None, 0, 1, 2, 4]))
def test_encode_is_json_dumps(value: object, indent: int | None) -> None:
    expected = json.dumps(value, separators=(",", ":")) if indent is None else json.dumps(value, indent=indent)
    assert jsonout.encode(value, indent) == expected


def test_every_address_and_size_gets_a_hex_twin_right_after_it() -> None:
    data = {"name": "x", "start": 0xFFFFFFFF81234567, "end": 1 << 64, "size": 0, "phys": None,
            "ram_ranges": [[0, 0x9F000]], "params": {"ram": 1 << 31}, "indices": {"offset": 5},
            "children": [{"address": 16, "kind": "hole"}], "text": "not a number"}
    out = jsonout.with_hex(data)
    assert list(out)[:6] == ["name", "start", "start_hex", "end", "end_hex", "size"]
    assert out["start_hex"] == "0xffffffff81234567" and out["end_hex"] == "0x10000000000000000"
    assert out["size_hex"] == "0x0" and out["phys_hex"] is None
    assert out["ram_ranges_hex"] == [["0x0", "0x9f000"]] and out["params_hex"] == {"ram": "0x80000000"}
    assert out["children"][0]["address_hex"] == "0x10"
    assert "offset_hex" not in out["indices"]  # table indices are small and not addresses
    assert "text_hex" not in out  # a string under an address key is left alone


def test_hex_survives_a_reader_that_rounds_numbers() -> None:
    """What jq 1.6 and JavaScript do to 0xffffffff81234567: a double keeps 53 bits."""
    text = jsonout.encode(jsonout.with_hex({"address": 0xFFFFFFFF81234567}))
    rounded = json.loads(text, parse_int=float)
    assert int(rounded["address"]) != 0xFFFFFFFF81234567
    assert int(rounded["address_hex"], 16) == 0xFFFFFFFF81234567


def test_batches_make_one_array_and_are_flushed_one_by_one() -> None:
    class Recorder(io.StringIO):
        flushes: list[str] = []

        def flush(self) -> None:
            self.flushes.append(self.getvalue())

    out = Recorder()
    jsonout.dump_batches(iter([[{"start": 1}], [], [2, 3]]), out)
    assert json.loads(out.getvalue()) == [{"start": 1, "start_hex": "0x1"}, 2, 3]
    assert out.getvalue().splitlines() == ["[", "{\"start\":1,\"start_hex\":\"0x1\"},", "2,", "3", "]"]
    assert out.flushes[0].endswith('"0x1"}')  # the first batch was out before the second was made
    empty = io.StringIO()
    jsonout.dump_batches(iter([]), empty, 2)
    assert empty.getvalue() == "[]\n"


def test_indented_batches_are_json_dumps_indent() -> None:
    items = [{"a": [1, {"b": None}]}, "x", []]
    out = io.StringIO()
    jsonout.dump_batches(iter([items[:1], items[1:]]), out, 2)
    assert out.getvalue() == json.dumps(items, indent=2) + "\n"
