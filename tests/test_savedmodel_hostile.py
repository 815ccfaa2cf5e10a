"""SavedModel files made to lie: a variables index whose lengths, counts, handles and
keys lie, and a saved_model.pb whose references, shapes and sizes do. Each is one
KerascopeError line, quickly and in little memory, never another exception."""

from __future__ import annotations

import shutil
import struct
import tracemalloc
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kerascope
from kerascope.decoders.saved_model_proto import saved_model_info
from kerascope.decoders.tensor_bundle import read_bundle_index
from kerascope.errors import KerascopeError
from kerascope.limits import DEFAULT_LIMITS, LimitExceeded, Limits, time_limit

from support.bounded import one_line_error, run_cli
from support.tensor_bundle_files import block, bundle_entries, footer, handle, table, varint

TERA = 10**12


def entry_value(**fields) -> bytes:
    from tensorflow.core.protobuf import tensor_bundle_pb2

    return tensor_bundle_pb2.BundleEntryProto(**fields).SerializeToString()


def two_blocks() -> tuple[list[tuple[bytes, bytes]], bytes]:
    entries = bundle_entries(40)
    return entries, table(
        [block(entries[:20]), block(entries[20:])], separators=[entries[19][0], entries[-1][0]]
    )


def test_the_test_tables_are_what_tensorflow_reads(tmp_path):
    """The hostile tables below differ from a valid one only where they mean to."""
    import tensorflow as tf

    entries, data = two_blocks()
    (tmp_path / "x.index").write_bytes(data)
    (tmp_path / "x.data-00000-of-00001").write_bytes(b"")
    shapes = tf.train.load_checkpoint(str(tmp_path / "x")).get_variable_to_shape_map()
    assert set(shapes) == {key.decode() for key, _ in entries[1:]}
    assert [entry.key for entry in read_bundle_index(data, DEFAULT_LIMITS).entries] == sorted(shapes)


def lying() -> dict[str, tuple[Callable[[], bytes], str]]:
    """Each hostile index (built when asked for), and the words its error must hold."""
    entries = bundle_entries(3)
    header, first = entries[0], entries[1]
    good = block(entries)
    valid = table([good])

    def restarts_lie() -> bytes:
        return table([good[:-4] + struct.pack("<I", 0xFFFFFFFF)])

    def value_lie() -> bytes:
        return table([varint(0) + varint(3) + varint(0xFFFFFFFF) + b"abc" + struct.pack("<II", 0, 1)])

    def shared_lie() -> bytes:
        return table([varint(5) + varint(1) + varint(0) + b"a" + struct.pack("<II", 0, 1)])

    def misplaced_restart() -> bytes:
        return table([block([header, first], restart_interval=1)[:-12] + struct.pack("<III", 0, 1, 2)])

    def restarts_only() -> bytes:
        return table([struct.pack("<I", 0) * 250_000 + struct.pack("<I", 250_000)])

    def one_entry(value: bytes) -> Callable[[], bytes]:
        return lambda: table([block([header, (b"w", value)])])

    def flipped() -> bytes:
        data = bytearray(valid)
        data[3] ^= 0x40
        return bytes(data)

    def one_block_many_times() -> bytes:
        separators = [b"%04d" % i for i in range(1000)]
        return table([good], separators=separators, handles=[handle(0, len(good))] * 1000)

    huge_shape = entry_value(dtype=1, shape={"dim": [{"size": 10**6}, {"size": 10**6}]}, size=24)
    many_dims = entry_value(dtype=1, shape={"dim": [{"size": 1}] * 300}, size=4)
    other_shard = entry_value(dtype=1, shape={"dim": [{"size": 1}]}, shard_id=5, size=4)
    return {
        "empty": (lambda: b"", "shorter than a table's footer"),
        "bad magic": (lambda: valid[:-1] + b"\0", "bad magic number"),
        "a footer number of 11 bytes": (lambda: b"\x80" * 40 + valid[-8:], "a number longer than 10 bytes"),
        "an index block of 10^12 bytes": (
            lambda: valid[:-48] + footer(handle(0, 0), handle(0, TERA)),
            "runs past the end of its space",
        ),
        "a data block of 10^12 bytes": (
            lambda: table([good], handles=[handle(0, TERA)]),
            "runs past the end",
        ),
        "1000 index entries naming one data block": (one_block_many_times, "overlap or are out of order"),
        "4,294,967,295 restart points": (restarts_lie, "claims 4,294,967,295 restart points"),
        "no restart point": (lambda: table([block(entries, restarts=0)]), "claims 0 restart points"),
        "a restart point inside an entry": (misplaced_restart, "not where an entry starts"),
        "250,000 restart points and no entry": (restarts_only, "not where an entry starts"),
        "a value of 4 GiB": (value_lie, "running past the end of the block"),
        "a key sharing more than there is": (shared_lie, "sharing more of a key than there is"),
        "a flipped byte": (flipped, "fails its checksum"),
        "Snappy": (lambda: table([good], block_kind=1), "Snappy-compressed"),
        "an unknown block type": (lambda: table([good], block_kind=7), "unknown block type 7"),
        "keys out of order": (lambda: table([block([header, entries[2], first])]), "not in increasing order"),
        "no header": (lambda: table([block(entries[1:])]), "does not start with a bundle header"),
        "nothing at all": (lambda: table([block([])]), "has no bundle header"),
        "a 10^12-element tensor in 24 bytes": (
            one_entry(huge_shape),
            "declares a float32 tensor of shape [1000000, 1000000] but 24 bytes",
        ),
        "300 dimensions": (one_entry(many_dims), "has 300 dimensions"),
        "a shard that is not there": (one_entry(other_shard), "shard 5 of 1"),
        "a value that is no protobuf": (one_entry(b"\xff\xff\xff"), "not a valid protobuf"),
    }


@pytest.mark.parametrize("case", list(lying()))
def test_lying_index_is_one_error_fast_and_small(case):
    build, words = lying()[case]
    data = build()
    tracemalloc.start()
    with time_limit(60), pytest.raises(KerascopeError) as raised:
        read_bundle_index(data, DEFAULT_LIMITS)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert words in str(raised.value) and "\n" not in str(raised.value)
    assert peak < 4 << 20, peak  # what the lies claim is never allocated


def test_truncated_index_at_every_length():
    """Cut anywhere: with the footer gone, and with the footer kept after the cut
    (so that its handles point past what is left)."""
    _, data = two_blocks()
    cuts = [data[:keep] for keep in range(len(data))] + [
        data[:keep] + data[-48:] for keep in range(len(data) - 48)
    ]
    refused = 0
    for cut in cuts:
        with pytest.raises(KerascopeError) as raised:
            read_bundle_index(cut, DEFAULT_LIMITS)
        refused += "\n" not in str(raised.value)
    assert refused == len(cuts), "every cut refused in one line"


def test_entry_limit():
    entries = bundle_entries(100)
    data = table([block(entries)])
    assert len(read_bundle_index(data, DEFAULT_LIMITS).entries) == 100
    with pytest.raises(LimitExceeded, match="more than 10 tensors"):
        read_bundle_index(data, Limits(max_bundle_entries=10))


def test_keys_that_grow_by_sharing_are_bounded():
    """Each key shares the whole previous key and adds a byte: a small block spells
    out gigabytes of keys. The spelled-out size is bounded, not the block's."""
    header = bundle_entries(0)[0]
    body = bytearray()
    for i in range(60_000):
        body += varint(i) + varint(1) + varint(0) + b"k"
    contents = bytes(body) + struct.pack("<II", 0, 1)
    data = table([block([header])[:-8] + contents])
    with time_limit(60), pytest.raises(LimitExceeded, match="keys spell out to more than"):
        read_bundle_index(data, DEFAULT_LIMITS)


@pytest.fixture(scope="module")
def genuine(tf_keras, tmp_path_factory):
    folder = tmp_path_factory.mktemp("genuine_savedmodel") / "model"
    model = tf_keras.Sequential([tf_keras.Input(shape=(3,)), tf_keras.layers.Dense(2, name="d")])
    model.save(folder, save_format="tf")
    return folder


def test_lying_index_inside_a_savedmodel_is_one_cli_line(genuine, tmp_path):
    folder = tmp_path / "hostile"
    shutil.copytree(genuine, folder)
    build, words = lying()["an index block of 10^12 bytes"]
    (folder / "variables" / "variables.index").write_bytes(build())
    one_line_error(run_cli(["inspect", str(folder)], memory_mib=300), words)
    with pytest.raises(KerascopeError, match=str(folder)):
        kerascope.inspect(folder)


# -- saved_model.pb ----------------------------------------------------------------------
def mutated(genuine, change) -> bytes:
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel.FromString((genuine / "saved_model.pb").read_bytes())
    change(proto.meta_graphs[0])
    return proto.SerializeToString()


def _child_out_of_range(graph):
    graph.object_graph_def.nodes[0].children[0].node_id = 10**6


def _negative_dimension(graph):
    graph.signature_def["serving_default"].inputs[
        next(iter(graph.signature_def["serving_default"].inputs))
    ].tensor_shape.dim[0].size = -7


def _rank_300(graph):
    tensor = graph.signature_def["serving_default"].outputs[
        next(iter(graph.signature_def["serving_default"].outputs))
    ]
    tensor.tensor_shape.dim.extend([tensor.tensor_shape.dim[0]] * 300)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (_child_out_of_range, "names a child that is not there"),
        (_negative_dimension, "has a negative dimension -7"),
        (_rank_300, "dimensions; TensorFlow allows 254"),
    ],
)
def test_lying_saved_model_pb(genuine, tmp_path, change, words):
    folder = tmp_path / "hostile"
    shutil.copytree(genuine, folder)
    (folder / "saved_model.pb").write_bytes(mutated(genuine, change))
    with pytest.raises(KerascopeError, match=words) as raised:
        kerascope.inspect(folder)
    assert "\n" not in str(raised.value)


def test_truncated_saved_model_pb(genuine):
    data = (genuine / "saved_model.pb").read_bytes()
    for keep in range(1, len(data), max(1, len(data) // 300)):
        try:
            saved_model_info(data[:keep], DEFAULT_LIMITS)
        except KerascopeError as error:
            assert "\n" not in str(error)


def test_graph_node_limit(genuine):
    data = (genuine / "saved_model.pb").read_bytes()
    with pytest.raises(LimitExceeded) as raised:
        saved_model_info(data, Limits(max_graph_nodes=50))
    assert "graph node limit" in str(raised.value)


def test_functions_calling_each_other_in_a_circle(genuine):
    """Two library functions, each calling the other, and a third calling itself: the walk ends."""

    def circle(graph):
        library = graph.graph_def.library
        for name, calls in (("f_a", "f_b"), ("f_b", "f_a"), ("f_c", "f_c")):
            function = library.function.add()
            function.signature.name = name
            function.node_def.add(name="call", op=calls)
            function.node_def.add(name="read", op="ReadFile")

    info = saved_model_info(mutated(genuine, circle), DEFAULT_LIMITS, {"ReadFile"})
    assert {site.function for site in info.watched} == {"f_a", "f_b", "f_c"}
    assert not any(site.in_saver for site in info.watched)


@settings(max_examples=400, deadline=None)
@given(
    changes=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=6
    ),
    cut=st.floats(0, 1),
)
def test_block_contents_changed_behind_a_valid_checksum(changes, cut):
    """Flipped bytes in a block whose checksum is then made right again, so that the
    block and entry parsers, not the checksum, meet them: a result or one error."""
    contents = bytearray(block(bundle_entries(6), restart_interval=4))
    for where, value in changes:
        contents[int(where * len(contents))] = value
    data = table([bytes(contents[: max(4, int(cut * len(contents)))])])
    try:
        index = read_bundle_index(data, DEFAULT_LIMITS)
    except KerascopeError as error:
        assert "\n" not in str(error)
    else:
        assert all(isinstance(entry.key, str) and None not in entry.shape for entry in index.entries)


def test_a_save_op_fed_by_a_signature_input_is_not_the_savers(tf_keras, tmp_path):
    """A SaveV2 that nothing consumes is the saver's only when it writes to the path
    the saver builds; one writing where a caller says is an error."""
    import tensorflow as tf

    graph_module = tf.Module()
    graph_module.v = tf.Variable([1.0, 2.0])

    @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
    def dump(prefix):
        tf.raw_ops.SaveV2(prefix=prefix, tensor_names=["v"], shape_and_slices=[""], tensors=[graph_module.v])
        return prefix

    graph_module.dump = dump
    tf.saved_model.save(graph_module, str(tmp_path / "dumper"), signatures={"serving_default": dump})
    result = kerascope.check(tmp_path / "dumper")
    assert "SAVEDMODEL_UNSAFE_OP" in {finding.code for finding in result.findings}
