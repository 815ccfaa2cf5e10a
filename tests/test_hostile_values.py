"""Files made to hurt a reader of values: every number that sizes a read is checked first.
Decompression bombs (a chunk that inflates past its size, a dataset declaring far more
than it stores, a zip member claiming a thousandfold expansion), a chunk index pointing
outside the file, a TensorFlow.js shard shorter than its manifest, quantization that
overflows float32, a checkpoint shard cut short or with a flipped byte, safetensors
offsets past the end: each, in a file the command reads as a model, ends `kerascope
inspect --values` in one line on standard error, exit 2, in under 5 s and 300 MiB,
measured in a child process. The file's structure is read as it always was: only the
values are hostile."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import h5py
import numpy as np
import pytest

from kerascope.decoders.hdf5_values import hdf5_tensors
from kerascope.decoders.npy_values import npz_tensors
from kerascope.decoders.source import LocalSource
from kerascope.decoders.tensor_values import StoredFile, values
from kerascope.decoders.value_stats import tensor_stats
from kerascope.errors import KerascopeError
from kerascope.limits import Limits

from support.bounded import assert_bounded, one_line_error, run_cli
from support.hdf5_craft import structures

KERNEL = "layers/dense/vars/0"  # where Keras 3 keeps a Dense layer's kernel


def inspect_values(path: Path, *flags: str):
    return run_cli(["inspect", str(path), "--values", "-f", "json", *flags], memory_mib=300, seconds=60)


def assert_one_line(path: Path, message: str, *flags: str) -> None:
    run = inspect_values(path, *flags)
    one_line_error(run, message)
    assert_bounded(run)


def keras_weights(path: Path, shape=(64, 64), chunks=(64, 64), **options) -> Path:
    """A Keras 3 weights file (`save_weights`'s layout) whose one kernel is stored as asked."""
    with h5py.File(path, "w") as handle:
        handle.create_group("vars")  # the model's own (Keras writes it, empty)
        vars_group = handle.create_group("layers/dense/vars")
        vars_group.attrs["name"] = "dense"
        vars_group.create_dataset("0", data=np.ones(shape, np.float32), chunks=chunks, **options)
    return path


# -- HDF5 -------------------------------------------------------------------------------
def test_a_chunk_that_inflates_past_its_size(tmp_path):
    """A 16 KiB chunk whose deflate stream holds 256 MiB of zeros: decoding stops one
    byte past 16 KiB."""
    path = keras_weights(tmp_path / "bomb.weights.h5", compression="gzip")
    bomb = zlib.compressobj(9)
    payload = b"".join(bomb.compress(bytes(1 << 20)) for _ in range(256)) + bomb.flush()
    with h5py.File(path, "r+") as handle:
        handle[KERNEL].id.write_direct_chunk((0, 0), payload, 0)
    assert_one_line(path, "inflates past the 16,384 bytes it should hold")


def test_a_dataset_declaring_far_more_than_its_chunks_store(tmp_path):
    """16 GiB declared, one 4 MiB chunk of zeros stored (a few kB deflated), the rest
    never written: refused before a chunk is read. (The structure's own check already
    names it: a H5_DATASET_SIZE_MISMATCH finding when values are not asked for.)"""
    path = tmp_path / "declared.weights.h5"
    with h5py.File(path, "w") as handle:
        handle.create_group("vars")
        dataset = handle.create_dataset(
            f"{KERNEL}", shape=(1 << 20, 1 << 12), chunks=(1024, 1024), dtype="f4", compression="gzip"
        )
        dataset[:1024, :1024] = 0
    assert_one_line(path, "(to read it anyway: Limits(max_compression_ratio=...))")


def test_a_chunk_index_pointing_outside_the_file(tmp_path):
    path = keras_weights(tmp_path / "outside.weights.h5", chunks=(16, 64), compression="gzip")
    with h5py.File(path, "r") as handle:
        address = handle[KERNEL].id.get_chunk_info(2).byte_offset
    data = bytearray(path.read_bytes())
    packed = struct.pack("<Q", address)
    (node,) = [at for at in structures(bytes(data), b"TREE") if data.find(packed, at, at + 512) >= 0]
    at = data.find(packed, node, node + 512)
    data[at : at + 8] = struct.pack("<Q", 1 << 40)
    path.write_bytes(bytes(data))
    assert_one_line(path, "lies outside the file")


def test_chunks_over_the_tensor_limit_are_refused_before_one_is_read(tmp_path):
    path = keras_weights(
        tmp_path / "large.weights.h5", shape=(512, 512), chunks=(512, 512), compression="gzip"
    )
    assert_one_line(path, "over the 100,000-byte tensor limit", "--max-tensor-bytes", "100000")
    assert "--max-tensor-bytes" in inspect_values(path, "--max-tensor-bytes", "100000").stderr


def test_a_filter_kerascope_does_not_decode_leaves_values_unavailable(tmp_path):
    """The deflate filter's number changed to 307 (bzip2's): no value of that kernel is
    read, and a finding says why; the other layer's values are read."""
    path = keras_weights(tmp_path / "filter.weights.h5", compression="gzip")
    with h5py.File(path, "r+") as handle:
        handle.create_group("layers/dense_1/vars").create_dataset("0", data=np.arange(4, dtype=np.float32))
    data = bytearray(path.read_bytes())
    at = data.find(b"deflate")
    assert struct.unpack_from("<H", data, at - 8)[0] == 1
    data[at - 8 : at - 6] = struct.pack("<H", 307)
    path.write_bytes(bytes(data))
    run = inspect_values(path)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    weights = {node["path"]: node["weights"] for node in report["nodes"] if node["weights"]}
    assert weights["dense"][0]["stats"] is None
    assert weights["dense_1"][0]["stats"]["count"] == 4
    (unread,) = [f for f in report["findings"] if f["code"] == "VALUES_UNAVAILABLE"]
    assert "filter 307" in unread["message"] and unread["path"] == "dense"
    assert_bounded(run)


# -- archives, checkpoints, TensorFlow.js, safetensors ---------------------------------
def test_a_compressed_npz_member_claiming_a_thousandfold_expansion(tmp_path):
    """256 MiB of zeros deflated into a member of about 256 kB, streamed in and out: an
    npz of weights (Keras's paths) the command reads as a weights file."""
    path = tmp_path / "bomb.npz"
    header = np.lib.format.header_data_from_array_1_0(np.zeros(0, np.float32))
    header["shape"] = (1 << 26,)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open(f"{KERNEL}.npy", "w", force_zip64=True) as member,
    ):
        np.lib.format.write_array_header_1_0(member, header)
        for _ in range(256):
            member.write(bytes(1 << 20))
    assert_one_line(path, "a zip bomb?)")


def test_an_npz_member_whose_bytes_fail_their_crc(tmp_path):
    path = tmp_path / "flipped.npz"
    np.savez(path, **{KERNEL: np.arange(256, dtype=np.float32)})
    data = bytearray(path.read_bytes())
    data[data.find(b"NUMPY") + 200] ^= 0x40  # in the values, past the header
    path.write_bytes(bytes(data))
    assert_one_line(path, "Bad CRC-32")


@pytest.fixture(scope="module")
def savedmodel(tmp_path_factory):
    """A SavedModel (`tf.saved_model.save`) of three 64 x 64 variables."""
    import tensorflow as tf

    folder = tmp_path_factory.mktemp("savedmodel") / "model"
    module = tf.Module()
    for index, name in enumerate("abc"):
        setattr(module, name, tf.Variable(np.full((64, 64), index + 1, np.float32), name=name))
    tf.saved_model.save(module, str(folder))
    return folder


def copy_folder(source: Path, target: Path) -> Path:
    for file in source.rglob("*"):
        if file.is_file():
            (target / file.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
            (target / file.relative_to(source)).write_bytes(file.read_bytes())
    return target


def test_a_checkpoint_shard_cut_short(savedmodel, tmp_path):
    folder = copy_folder(savedmodel, tmp_path / "short")
    shard = folder / "variables" / "variables.data-00000-of-00001"
    shard.write_bytes(shard.read_bytes()[: 64 * 64 * 4 * 2])  # two tensors of three
    assert_one_line(folder, "lie beyond its end")


def test_a_checkpoint_tensor_with_a_flipped_byte(savedmodel, tmp_path):
    folder = copy_folder(savedmodel, tmp_path / "flipped")
    shard = folder / "variables" / "variables.data-00000-of-00001"
    data = bytearray(shard.read_bytes())
    data[64 * 64 * 4 + 100] ^= 0x40  # inside the second variable
    shard.write_bytes(bytes(data))
    assert_one_line(folder, "fail their CRC-32C checksum")


@pytest.fixture(scope="module")
def tfjs_model(zoo):
    _, model_json = zoo.saved("nested", "tf_keras.tfjs")
    return model_json


def copy_tfjs(model_json: Path, target: Path) -> Path:
    return copy_folder(model_json.parent, target) / "model.json"


def test_a_tfjs_shard_shorter_than_its_manifest(tfjs_model, tmp_path):
    model_json = copy_tfjs(tfjs_model, tmp_path / "short")
    shard = model_json.with_name("group1-shard1of1.bin")
    shard.write_bytes(shard.read_bytes()[:-10])
    assert_one_line(model_json, "group1-shard1of1.bin) hold")


@pytest.mark.parametrize(
    ("quantization", "message"),
    [
        ({"dtype": "uint8", "scale": 1e38, "min": 0.0}, "give values beyond float32"),
        ({"dtype": "uint16", "scale": "1", "min": 0.0}, "no numeric min and scale"),
        ({"dtype": "int4", "scale": 1.0, "min": 0.0}, "quantized to 'int4'"),
    ],
)
def test_quantization_parameters_are_checked_before_use(tfjs_model, tmp_path, quantization, message):
    model_json = copy_tfjs(tfjs_model, tmp_path / "quantized")
    document = json.loads(model_json.read_text())
    document["weightsManifest"][0]["weights"][0]["quantization"] = quantization
    model_json.write_text(json.dumps(document))
    assert_one_line(model_json, message)


def test_safetensors_offsets_past_the_end(tmp_path):
    """A Transformers checkpoint folder whose safetensors file was cut short."""
    from safetensors.numpy import save_file

    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert", "architectures": ["BertModel"]}))
    path = tmp_path / "model.safetensors"
    save_file({"encoder.dense.weight": np.ones((32, 32), np.float32)}, str(path))
    path.write_bytes(path.read_bytes()[:-100])
    assert_one_line(tmp_path, "data_offsets do not lie inside the file")


# -- what fuzz/fuzz_values.py found ----------------------------------------------------
FOUND = Path(__file__).parent / "data" / "fuzz_values"
# Each input the fuzzer found raising something other than KerascopeError in the value
# engine, and the line the engine gives now ...
FOUND_EXPECTED = {
    "bad_crc.npz": "an archive member cannot be read: Bad CRC-32 for file 'order.npy'",
    "negative_seek.npz": "kernel.npy: cannot be read from the archive",
    "short_symbol_table.h5": "unreadable (error: unpack_from requires",
}
# ... and what `kerascope inspect --values` makes of it: one line, or a report (the
# fuzzed npz members are not at Keras's paths, so no weight's values are read there).
FOUND_BY_THE_COMMAND = {
    "bad_crc.npz": None,
    "negative_seek.npz": "unreadable (OSError: [Errno 22] Invalid argument)",
    "short_symbol_table.h5": "unreadable (error: unpack_from requires",
}


def test_every_found_input_is_listed():
    assert {path.name for path in FOUND.iterdir()} == set(FOUND_EXPECTED) == set(FOUND_BY_THE_COMMAND)


@pytest.mark.parametrize("name", sorted(FOUND_EXPECTED))
def test_found_input_ends_in_one_error_in_the_engine(name):
    path = FOUND / name
    file, limits = StoredFile(LocalSource(path)), Limits()
    with pytest.raises(KerascopeError) as raised:
        located = npz_tensors(file, limits) if path.suffix == ".npz" else hdf5_tensors(file, limits)
        for location in located.values():
            tensor_stats(values(location, limits))
    assert FOUND_EXPECTED[name] in str(raised.value)


@pytest.mark.parametrize("name", sorted(FOUND_BY_THE_COMMAND))
def test_found_input_through_the_command(name):
    run = inspect_values(FOUND / name)
    expected = FOUND_BY_THE_COMMAND[name]
    if expected is None:
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout)["findings"]
    else:
        one_line_error(run, expected)
    assert_bounded(run)
