"""Files made to hurt a reader of values: every number that sizes a read is checked first.
Decompression bombs (a chunk that inflates past its size, a dataset declaring far more
than it stores, a zip member claiming a thousandfold expansion), a chunk index pointing
outside the file, a TensorFlow.js shard shorter than its manifest, quantization that
overflows float32, a checkpoint shard cut short or with a flipped byte, safetensors
offsets past the end: each ends in one line on standard error, exit 2, in under 5 s and
300 MiB, measured in a child process (`support/values_cli.py`, the engine as a command)."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import h5py
import numpy as np
import pytest

from support.bounded import assert_bounded, one_line_error, run_python
from support.hdf5_craft import structures

CLI = str(Path(__file__).parent / "support" / "values_cli.py")


def run_values(kind: str, path: Path, **limits: int):
    return run_python([CLI, kind, str(path), json.dumps(limits)], memory_mib=300, seconds=60)


def assert_one_line(kind: str, path: Path, message: str, **limits: int) -> None:
    run = run_values(kind, path, **limits)
    one_line_error(run, message)
    assert_bounded(run)


def chunked(path: Path, shape=(64, 64), chunks=(64, 64), **options) -> Path:
    with h5py.File(path, "w") as handle:
        handle.create_dataset("kernel", data=np.ones(shape, np.float32), chunks=chunks, **options)
    return path


# -- HDF5 -------------------------------------------------------------------------------
def test_a_chunk_that_inflates_past_its_size(tmp_path):
    """A 16 KiB chunk whose deflate stream holds 256 MiB of zeros: decoding stops one
    byte past 16 KiB."""
    path = chunked(tmp_path / "bomb.h5", compression="gzip")
    bomb = zlib.compressobj(9)
    payload = b"".join(bomb.compress(bytes(1 << 20)) for _ in range(256)) + bomb.flush()
    with h5py.File(path, "r+") as handle:
        handle["kernel"].id.write_direct_chunk((0, 0), payload, 0)
    assert_one_line("hdf5", path, "inflates past the 16,384 bytes it should hold")


def test_a_dataset_declaring_far_more_than_its_chunks_store(tmp_path):
    """16 GiB declared, one 4 MiB chunk of zeros stored (a few kB deflated), the rest
    never written: refused before a chunk is read."""
    path = tmp_path / "declared.h5"
    with h5py.File(path, "w") as handle:
        dataset = handle.create_dataset(
            "kernel", shape=(1 << 20, 1 << 12), chunks=(1024, 1024), dtype="f4", compression="gzip"
        )
        dataset[:1024, :1024] = 0
    assert_one_line("hdf5", path, "(to read it anyway: Limits(max_compression_ratio=...))")


def test_a_chunk_index_pointing_outside_the_file(tmp_path):
    path = chunked(tmp_path / "outside.h5", chunks=(16, 64), compression="gzip")
    with h5py.File(path, "r") as handle:
        address = handle["kernel"].id.get_chunk_info(2).byte_offset
    data = bytearray(path.read_bytes())
    packed = struct.pack("<Q", address)
    (node,) = [at for at in structures(bytes(data), b"TREE") if data.find(packed, at, at + 512) >= 0]
    at = data.find(packed, node, node + 512)
    data[at : at + 8] = struct.pack("<Q", 1 << 40)
    path.write_bytes(bytes(data))
    assert_one_line("hdf5", path, "lies outside the file")


def test_chunks_over_the_tensor_limit_are_refused_before_one_is_read(tmp_path):
    path = chunked(tmp_path / "large.h5", shape=(512, 512), chunks=(512, 512), compression="gzip")
    assert_one_line("hdf5", path, "over the 100,000-byte tensor limit", max_tensor_bytes=100_000)


def test_a_filter_kerascope_does_not_decode_leaves_values_unavailable(tmp_path):
    """The deflate filter's number changed to 307 (bzip2's): no value is read, and the
    tensor says why; the rest of the file is read."""
    path = chunked(tmp_path / "filter.h5", compression="gzip")
    with h5py.File(path, "r+") as handle:
        handle["plain"] = np.arange(4, dtype=np.float32)
    data = bytearray(path.read_bytes())
    at = data.find(b"deflate")
    assert struct.unpack_from("<H", data, at - 8)[0] == 1
    data[at - 8 : at - 6] = struct.pack("<H", 307)
    path.write_bytes(bytes(data))
    run = run_values("hdf5", path)
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    assert "filter 307" in found["kernel"]["unavailable"]
    assert found["plain"]["count"] == 4
    assert_bounded(run)


# -- archives, checkpoints, TensorFlow.js, safetensors ---------------------------------
def test_a_compressed_npz_member_claiming_a_thousandfold_expansion(tmp_path):
    """256 MiB of zeros deflated into a member of about 256 kB, streamed in and out."""
    path = tmp_path / "bomb.npz"
    header = np.lib.format.header_data_from_array_1_0(np.zeros(0, np.float32))
    header["shape"] = (1 << 26,)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("w.npy", "w", force_zip64=True) as member,
    ):
        np.lib.format.write_array_header_1_0(member, header)
        for _ in range(256):
            member.write(bytes(1 << 20))
    assert_one_line("npz", path, "(more than 1,000x: a zip bomb?)")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    import tensorflow as tf

    folder = tmp_path_factory.mktemp("checkpoint")
    variables = {name: tf.Variable(np.full((64, 64), index, np.float32)) for index, name in enumerate("abc")}
    tf.train.Checkpoint(**variables).write(str(folder / "ckpt"))
    return folder


def copy_checkpoint(source: Path, target: Path) -> Path:
    target.mkdir()
    for file in source.iterdir():
        (target / file.name).write_bytes(file.read_bytes())
    return target / "ckpt"


def test_a_checkpoint_shard_cut_short(checkpoint, tmp_path):
    prefix = copy_checkpoint(checkpoint, tmp_path / "short")
    shard = prefix.with_name("ckpt.data-00000-of-00001")
    shard.write_bytes(shard.read_bytes()[: 64 * 64 * 4 * 2])  # two tensors of three
    assert_one_line("bundle", prefix, "lie beyond its end")


def test_a_checkpoint_tensor_with_a_flipped_byte(checkpoint, tmp_path):
    prefix = copy_checkpoint(checkpoint, tmp_path / "flipped")
    shard = prefix.with_name("ckpt.data-00000-of-00001")
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0x40
    shard.write_bytes(bytes(data))
    assert_one_line("bundle", prefix, "fail their CRC-32C checksum")


@pytest.fixture(scope="module")
def tfjs_model(zoo):
    _, model_json = zoo.saved("nested", "tf_keras.tfjs")
    return model_json


def copy_tfjs(model_json: Path, target: Path) -> Path:
    target.mkdir()
    for file in model_json.parent.iterdir():
        (target / file.name).write_bytes(file.read_bytes())
    return target / "model.json"


def test_a_tfjs_shard_shorter_than_its_manifest(tfjs_model, tmp_path):
    model_json = copy_tfjs(tfjs_model, tmp_path / "short")
    shard = model_json.with_name("group1-shard1of1.bin")
    shard.write_bytes(shard.read_bytes()[:-10])
    assert_one_line("tfjs", model_json, "group1-shard1of1.bin) hold")


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
    assert_one_line("tfjs", model_json, message)


def test_safetensors_offsets_past_the_end(tmp_path):
    from safetensors.numpy import save_file

    path = tmp_path / "model.safetensors"
    save_file({"w": np.ones((32, 32), np.float32)}, str(path))
    path.write_bytes(path.read_bytes()[:-100])
    assert_one_line("safetensors", path, "data_offsets do not lie inside the file")


# -- what fuzz/fuzz_values.py found ----------------------------------------------------
FOUND = Path(__file__).parent / "data" / "fuzz_values"
# Each input the fuzzer found raising something other than KerascopeError, and the line it gives now.
FOUND_EXPECTED = {
    "bad_crc.npz": "an archive member cannot be read: Bad CRC-32 for file 'order.npy'",
    "negative_seek.npz": "kernel.npy: cannot be read from the archive",
    "short_symbol_table.h5": "short_symbol_table.h5: unreadable (error: unpack_from requires",
}


def test_every_found_input_is_listed():
    assert {path.name for path in FOUND.iterdir()} == set(FOUND_EXPECTED)


@pytest.mark.parametrize("name", sorted(FOUND_EXPECTED))
def test_found_input_ends_in_one_line(name):
    path = FOUND / name
    assert_one_line("npz" if path.suffix == ".npz" else "hdf5", path, FOUND_EXPECTED[name])
