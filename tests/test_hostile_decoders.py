"""The byte decoders every reader stands on, attacked directly: the JSON pre-scan and the
pickle walker. Each is held to an independent truth (Python's own JSON parser and
unpickler, the latter with every import answered by a stand-in), and to work that
does not grow faster than its input."""

from __future__ import annotations

import io
import json
import pickle
import pickletools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kerascope.decoders import pickles
from kerascope.decoders.json_text import check_structure, load_json
from kerascope.decoders.pickled_values import NotArrays, read_pickled
from kerascope.decoders.pickles import looks_like_pickle, pickle_imports, walk_pickle
from kerascope.limits import LimitExceeded, Limits, time_limit

from support.bounded import fastest
from support.pickles import imports_by_pickle, protocol_of, system_pickle

EXAMPLES = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- JSON ---------------------------------------------------------------------------------
# Text that strains a scanner of strings: quotes, backslashes, brackets and commas inside
# strings, control characters and non-ASCII.
AWKWARD = st.text(alphabet=st.sampled_from(list('ab"\\[]{},: \n\t\u00e9\u202e\x00\x1b')), max_size=10)
DOCUMENTS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | AWKWARD,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(AWKWARD, inner, max_size=4),
    max_leaves=25,
)


def values_and_depth(value, depth=0):
    """From the parsed document: what the pre-scan counts (a comma between two values,
    plus one per list or object) and how deep lists and objects nest."""
    if isinstance(value, dict):
        value = list(value.values())
    if not isinstance(value, list):
        return 0, depth
    counted, deepest = 1 + max(len(value) - 1, 0), depth + 1
    for item in value:
        inner, inner_depth = values_and_depth(item, depth + 1)
        counted, deepest = counted + inner, max(deepest, inner_depth)
    return counted, deepest


@EXAMPLES
@given(DOCUMENTS, st.booleans())
def test_the_json_prescan_counts_what_the_parser_builds(document, ascii_only):
    text = json.dumps(document, ensure_ascii=ascii_only)
    counted, depth = values_and_depth(json.loads(text))
    check_structure(text, "doc", Limits(max_json_items=counted, max_json_depth=max(depth, 1)))
    if counted:
        with pytest.raises(LimitExceeded, match="JSON item limit"):
            check_structure(text, "doc", Limits(max_json_items=counted - 1))
    if depth > 1:
        with pytest.raises(LimitExceeded, match="JSON depth limit"):
            check_structure(text, "doc", Limits(max_json_depth=depth - 1))


@pytest.mark.parametrize(
    "hidden",
    [
        'NaN, [[[[[["x"]]]]]]',
        'Infinity, [[[[[["x"]]]]]]',
        '-Infinity, [[[[[["x"]]]]]]',
        '"\\\\", [[[[[[1]]]]]]',
    ],
)
def test_what_the_parser_accepts_does_not_hide_nesting_from_the_prescan(hidden):
    with pytest.raises(LimitExceeded, match="JSON depth limit"):
        load_json(f"[{hidden}]", "doc", Limits(max_json_depth=5))


def test_the_json_prescan_is_linear_on_the_worst_case_for_a_backtracking_scanner():
    """2 MB of an unterminated run of `\\"` (the old expression's quadratic case: 46 KiB
    took it 10 s) takes the pre-scan no longer than 2 MB of an ordinary config, measured
    in the same run."""
    size = 2 << 20
    worst = '{"name": "' + '\\"' * (size // 2)
    layer = json.dumps({"class_name": "Dense", "config": {"name": "d", "units": 3, "use_bias": True}})
    ordinary = ("[" + ", ".join([layer] * (size // len(layer))) + "]")[:size]
    limits = Limits(max_json_items=1 << 40)
    worst_time = fastest(lambda: check_structure(worst, "worst", limits), repeat=5)
    ordinary_time = fastest(lambda: check_structure(ordinary, "ordinary", limits), repeat=5)
    # Linear: about as fast (2 MB of a quadratic case takes a backtracking scanner
    # thousands of times longer); the margin is for a machine busy with other work.
    assert worst_time <= 5 * ordinary_time, (worst_time, ordinary_time)


@pytest.mark.parametrize(
    ("inner", "limits", "message"),
    [
        ("[" * 300 + "]" * 300, Limits(max_json_depth=200), "JSON depth limit"),
        ("[" + "[]," * 60 + "[]]", Limits(max_json_items=50), "JSON item limit"),
    ],
    ids=["deep", "many"],
)
def test_json_inside_a_json_string_is_held_to_the_same_limits(inner, limits, message):
    wrapped = json.dumps(inner)
    assert load_json(wrapped, "doc", limits) == inner  # one string: one value
    with pytest.raises(LimitExceeded, match=message) as raised:
        load_json(wrapped, "doc", limits, unwrap_string=True)
    assert "JSON inside a JSON string" in str(raised.value)


# -- pickles ------------------------------------------------------------------------------
def test_the_walker_knows_every_opcode_of_every_protocol():
    known = {ord(opcode.code) for opcode in pickletools.opcodes}
    assert set(pickles._OPCODES) | {pickles._STOP} == known


@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 4, 5])
def test_a_hand_made_system_call_is_found_at_every_protocol(protocol):
    data = system_pickle(protocol, "touch /nonexistent/ran")
    assert protocol_of(data) == protocol
    walked = walk_pickle(io.BytesIO(data), len(data))
    assert walked.complete and walked.imports == ["posix.system"] == imports_by_pickle(data)
    assert looks_like_pickle(data[:16])


@pytest.mark.parametrize("protocol", [0, 1, 2, 4, 5])
@pytest.mark.parametrize(
    "tail", [b"\xff", b"0000", b"t", b"h\x63"], ids=["opcode", "underflow", "mark", "memo"]
)
def test_a_call_before_the_damage_is_reported(protocol, tail):
    """`pickle.load` imports and calls everything before the damage: so does the
    walk's report, though the pickle never ends well."""
    data = system_pickle(protocol, "touch /nonexistent/ran")[:-1] + tail
    assert imports_by_pickle(data) == ["posix.system"]
    found = pickle_imports(data)
    assert found == (["posix.system"], False)
    with pytest.raises(NotArrays):
        read_pickled(io.BytesIO(data), len(data))


@pytest.mark.parametrize(
    "body", [b"(V" + b"x" * 100, b"(V" + b"x" * 70_000, b"I12"], ids=["text", "long-text", "int"]
)
def test_bytes_that_end_before_the_declared_length_end_the_walk(body):
    """A stream shorter than the length it is said to hold (a zip member whose header
    claims more than the archive has): a protocol-0 argument without its newline ends
    the walk as cut short, instead of waiting for bytes that never come."""
    with time_limit(5):
        walked = walk_pickle(io.BytesIO(body), 1 << 20)
    assert walked.cut_short and not walked.complete


def real_objects():
    """Values whose pickles use most opcodes: containers of every kind, shared and
    nested values, long and short text and bytes, big and small numbers, reductions."""
    import collections
    import datetime
    import fractions

    shared = [1, 2]
    return [
        {"0": shared, "1": shared, "t": (1, 2, 3), "s": {1, 2}, "f": frozenset({3})},
        ["x" * 70_000, b"y" * 300, bytearray(b"z"), 10**40, -(2**63), 2.5, None, True, False],
        collections.OrderedDict(a=1, b=[{}]),
        [datetime.date(2020, 1, 2), fractions.Fraction(1, 3), (), (1,), (1, 2)],
    ]


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_real_pickles_walk_to_their_end_with_what_python_imports(protocol):
    for value in real_objects():
        data = pickle.dumps(value, protocol=protocol)
        walked = walk_pickle(io.BytesIO(data), len(data))
        assert walked.complete, walked.problem
        assert walked.imports == imports_by_pickle(data)
        assert looks_like_pickle(data[:64])


ALL_PICKLES = [
    pickle.dumps(value, protocol=protocol) for value in real_objects() for protocol in range(6)
] + [system_pickle(protocol, "touch /nonexistent/ran") for protocol in range(6)]


def _pickle_at(index: int) -> bytes:
    return ALL_PICKLES[index]


PICKLES = st.integers(0, len(ALL_PICKLES) - 1).map(_pickle_at)


@EXAMPLES
@given(PICKLES, st.data())
def test_a_damaged_pickle_still_reports_everything_python_would_import(data, draw):
    """Bytes flipped and cut anywhere: the walk never raises, and every name Python's
    own unpickler imports before it stops is in the walk's report, in the same order."""
    damaged = bytearray(data)
    for _ in range(draw.draw(st.integers(0, 4))):
        damaged[draw.draw(st.integers(0, len(damaged) - 1))] = draw.draw(st.integers(0, 255))
    damaged = bytes(damaged[: draw.draw(st.integers(1, len(damaged)))])
    walked = walk_pickle(io.BytesIO(damaged), len(damaged))
    python = imports_by_pickle(damaged)
    assert walked.imports[: len(python)] == python


@pytest.mark.parametrize(
    "hostile",
    [
        b"\x80\x04" + b"(" * 200_000 + b".",  # nested beyond any container
        b"\x80\x04" + b"\x8e" + (1 << 60).to_bytes(8, "little") + b".",  # 2^60 bytes declared
        b"\x80\x04" + b"]\x94" * 150_000 + b".",  # a memo of 150,000 values
        b"\x80\x04" + b"".join(b"\x8c\x01a\x8c\x05%05d\x930" % i for i in range(20_000)) + b"N.",
        b"\x80\x04" + b"N\x85" * 400_000 + b".",  # a tuple nested 400,000 deep
        b"(" + b"V" + b"x" * (1 << 20) + b"\nt.",  # a text line of 1 MiB
    ],
    ids=["deep-stack", "huge-bytes", "huge-memo", "many-imports", "deep-tuple", "long-line"],
)
def test_a_hostile_pickle_is_walked_within_bounds(hostile):
    walked = walk_pickle(io.BytesIO(hostile), len(hostile))
    assert walked.opcodes <= pickles.MAX_OPCODES
    assert len(walked.imports) <= pickles.MAX_IMPORTS
