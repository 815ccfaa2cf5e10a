"""Weights files made to hurt a reader, at most 10 MB each: shard indexes naming tens of
thousands of missing files, npz members that inflate to gigabytes, npz files that are
one pickle, arrays pickled at protocol 5, safetensors names sixty modules deep, npz keys
written with Windows separators, and a TorchModuleWrapper payload written by
`torch.save` (a zip). Each ends every command within the time budget kerascope enforces
and 300 MiB, in one line with exit 2 or with the finding that names it and exit 1;
nothing in them ever runs. What once grew with the square of what a file names grows
with it (a ratio measured in the same run), and what once inflated is not read."""

from __future__ import annotations

import base64
import io
import json
import pickle
import struct
import zipfile

import numpy as np
import pytest

import kerascope
from kerascope.decoders.source import LocalSource
from kerascope.limits import DEFAULT_LIMITS, Limits
from kerascope.readers.weight_stores import npz_store

from support.bounded import assert_bounded, fastest, one_line_error, run_cli
from support.pickles import imports_by_pickle, system_pickle

TEN_MB = 10 << 20


def npy(shape, descr="<f4"):
    """An `.npy` header for `shape`, as numpy writes it, without the data."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": descr, "fortran_order": False, "shape": shape})
    return header.getvalue()


def many_missing_shards(folder, count=60_000):
    """A Keras sharded index naming 60,000 shards, none of them there."""
    path = folder / "many.weights.json"
    weight_map = {f"/layers/dense_{i}/vars": [f"model_{i:05d}.weights.h5"] for i in range(count)}
    path.write_text(json.dumps({"metadata": {"total_size": 0}, "weight_map": weight_map}))
    return path


def many_missing_safetensors_shards(folder):
    checkpoint = folder / "checkpoint"
    checkpoint.mkdir()
    (checkpoint / "config.json").write_text(
        json.dumps({"model_type": "gpt2", "architectures": ["GPT2Model"]})
    )
    weight_map = {f"h.{i}.weight": f"model-{i:05d}-of-60000.safetensors" for i in range(60_000)}
    (checkpoint / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {}, "weight_map": weight_map})
    )
    return checkpoint


def write_deflated(archive, name, header, blocks, block):
    """A member compressed as the archive compresses: `header`, then `block` `blocks`
    times, streamed into the zip."""
    with archive.open(name, "w", force_zip64=True) as member:
        member.write(header)
        for _ in range(blocks):
            member.write(block)


def npz_bomb(folder):
    """A 2 MB npz whose one member declares and holds 2 GiB of zeros (1,000× and more)."""
    path = folder / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        write_deflated(archive, "layers/dense/vars/0.npy", npy((1 << 29,)), 128, bytes(16 << 20))
    return path


def whole_file_pickle(folder, protocol=0):
    """An `.npz` that is no zip but one pickle: `np.load(allow_pickle=True)` unpickles it."""
    path = folder / "weights.npz"
    path.write_bytes(system_pickle(protocol, "touch /nonexistent/ran"))
    return path


def deep_safetensors(folder):
    """1,500 tensors, each 60 modules deep under names of 110 characters: under 10 MB of
    header, which a module tree that keeps every prefix turns into gigabytes."""
    checkpoint = folder / "deep"
    checkpoint.mkdir()
    (checkpoint / "config.json").write_text(
        json.dumps({"model_type": "gpt2", "architectures": ["GPT2Model"]})
    )
    header = {
        ".".join(f"m{i}_{depth}_" + "x" * 100 for depth in range(60)) + ".weight": {
            "dtype": "F32",
            "shape": [1],
            "data_offsets": [0, 4],
        }
        for i in range(1500)
    }
    text = json.dumps(header).encode()
    (checkpoint / "model.safetensors").write_bytes(struct.pack("<Q", len(text)) + text + bytes(4))
    return checkpoint


def windows_keys(folder, count=20_000):
    """20,000 npz members whose keys Keras on Windows joined with `\\`, all in one group."""
    path = folder / "windows.npz"
    member = npy((1,)) + bytes(4)
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(count):
            archive.writestr(f"layers\\dense_{i}\\vars\\0.npy", member)
    return path


# name -> (builder, the one line of an exit-2 refusal, or the code of an exit-1 finding)
HOSTILE = {
    "60000-missing-shards": (many_missing_shards, None, "WEIGHTS_SHARD_MISSING"),
    "60000-missing-safetensors-shards": (many_missing_safetensors_shards, None, "WEIGHTS_SHARD_MISSING"),
    "npz-bomb-member": (npz_bomb, "(more than 1,000x: a zip bomb?)", None),
    "whole-file-pickle-npz": (whole_file_pickle, None, "PICKLED_WEIGHTS"),
    "safetensors-1500x60-deep": (deep_safetensors, "layer path limit", None),
    "20000-windows-keys": (windows_keys, None, None),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_bounded_through_every_command(tmp_path, name):
    make, refused_for, code = HOSTILE[name]
    path = make(tmp_path)
    size = sum(item.stat().st_size for item in path.rglob("*")) if path.is_dir() else path.stat().st_size
    assert size <= TEN_MB, f"{size:,} bytes"
    for command in (["check", "-f", "json"], ["inspect", "-f", "json"], ["inspect", "-f", "table"]):
        run = run_cli([command[0], str(path), *command[1:]], memory_mib=300)
        assert_bounded(run)
        if refused_for:
            one_line_error(run, refused_for)
            continue
        if command[0] == "inspect":
            assert run.returncode == 0, run.stderr
            continue
        found = {item["code"] for item in json.loads(run.stdout)["findings"]}
        assert run.returncode == (1 if code else 0), run.stderr
        assert code is None or code in found, found


def object_array_npy(folder, protocol):
    """An `.npy` object array: its header, then the pickle `np.load(allow_pickle=True)` loads."""
    path = folder / "weights.npy"
    path.write_bytes(npy((), "|O") + system_pickle(protocol, "touch /nonexistent/ran"))
    return path


# What a file names that once was looked up in a list of the others: the builder, and
# the count of a baseline file (the second file names four times as many).
LINEAR = {"missing-shards": (many_missing_shards, 10_000), "windows-keys": (windows_keys, 10_000)}


@pytest.mark.parametrize("name", sorted(LINEAR))
def test_time_grows_with_what_the_file_names_not_its_square(tmp_path, name):
    """Four times the names take about four times as long (the margin is for a busy
    machine); a lookup in a list of the others made it eleven to fifteen times."""
    make, count = LINEAR[name]
    (tmp_path / "small").mkdir()
    (tmp_path / "large").mkdir()
    small, large = make(tmp_path / "small", count), make(tmp_path / "large", 4 * count)
    ratio = fastest(lambda: kerascope.check(large)) / fastest(lambda: kerascope.check(small))
    assert ratio < 7, f"four times the names took {ratio:.1f} times as long"


def test_a_declared_bomb_is_refused_before_anything_inflates(tmp_path):
    """The member's declared size is judged first: nothing of it is read, let alone
    inflated to a file (which once wrote a gigabyte before the header was seen)."""
    path = npz_bomb(tmp_path)
    stream = Counting(path)
    with stream, pytest.raises(kerascope.KerascopeError, match="a zip bomb"):
        npz_store(stream, DEFAULT_LIMITS, [], "bomb.npz")
    assert stream.read_bytes < 1 << 20, f"read {stream.read_bytes:,} bytes of {path.stat().st_size:,}"


@pytest.mark.parametrize("protocol", [0, 2, 4])
@pytest.mark.parametrize(
    "make", [whole_file_pickle, object_array_npy], ids=["npz-pickle", "npy-object-array"]
)
def test_a_file_numpy_would_unpickle_names_what_it_imports(tmp_path, protocol, make):
    path = make(tmp_path, protocol)
    result = kerascope.check(path)
    pickled = [finding for finding in result.findings if finding.code == "PICKLED_WEIGHTS"]
    assert len(pickled) == 1 and "posix.system" in pickled[0].message, result.findings
    assert imports_by_pickle(system_pickle(protocol, "touch /nonexistent/ran")) == ["posix.system"]
    assert result.report.total_params is None


def test_a_plain_npy_array_is_not_a_pickle(tmp_path):
    path = tmp_path / "kernel.npy"
    np.save(path, np.zeros((3, 2), "float32"))
    with pytest.raises(kerascope.KerascopeError, match="not a Keras model"):
        kerascope.check(path)


class Counting(io.RawIOBase):
    """A file whose reads are counted."""

    def __init__(self, path):
        self.file, self.read_bytes = open(path, "rb"), 0  # noqa: SIM115 - closed by close()

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=0):
        return self.file.seek(offset, whence)

    def tell(self):
        return self.file.tell()

    def readinto(self, buffer):
        count = self.file.readinto(buffer)
        self.read_bytes += count
        return count

    def close(self):
        self.file.close()
        super().close()


def test_a_large_deflated_member_is_described_from_its_header_alone(tmp_path):
    """256 MiB that deflate 86×, within the ratio limit: the member's shape comes from its
    first bytes; the rest is never inflated, to a file or to memory."""
    path = tmp_path / "large.npz"
    block = np.random.default_rng(0).integers(0, 256, 16 << 10, dtype=np.uint8).tobytes()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        write_deflated(archive, "layers/dense/vars/0.npy", npy((1 << 26,)), (256 << 20) // len(block), block)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("layers/dense/vars/0.npy")
        assert 10 < info.file_size / info.compress_size < DEFAULT_LIMITS.max_compression_ratio
    stream = Counting(path)
    with stream:
        store = npz_store(stream, DEFAULT_LIMITS, [], "large.npz")
        assert store.weight("layers/dense/vars/0").shape == [1 << 26]
        assert stream.read_bytes < 1 << 20, f"read {stream.read_bytes:,} bytes of {path.stat().st_size:,}"
    assert kerascope.inspect(path).total_params == 1 << 26


def test_compressed_pickles_inflate_within_one_budget(tmp_path):
    """What an archive's compressed members inflate while their pickles are walked is
    counted together against the member limit: past it, a pickle is walked no further
    and its layer's weights are unknown, rather than inflated on and on."""
    path = tmp_path / "two.npz"
    kernel = np.random.default_rng(0).random((512, 512))  # 2 MiB that deflate does not shrink
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in ("layers/first.npy", "layers/second.npy"):
            archive.writestr(name, object_member({"0": kernel}, 4))
    findings = []
    with path.open("rb") as stream:
        store = npz_store(stream, Limits(max_member_bytes=3 << 20), findings, "two.npz")
    assert not store.unreadable("layers/first/vars") and store.unreadable("layers/second/vars")
    assert store.weight("layers/first/vars/0").shape == [512, 512]
    with path.open("rb") as stream:
        assert not npz_store(stream, DEFAULT_LIMITS, [], "two.npz").unreadable("layers/second/vars")


def object_member(value, protocol):
    """An `.npy` member holding a 0-d object array of `value`, pickled at `protocol`."""
    layer = np.empty((), dtype=object)
    layer[()] = value
    return npy((), "|O") + pickle.dumps(layer, protocol=protocol)


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_arrays_pickled_at_any_protocol_are_arrays(tmp_path, protocol):
    """Keras's npz layout (each layer's variables in a pickled dict), the arrays pickled
    at `protocol`: at 5 numpy rebuilds them with `_frombuffer`, still only numpy."""
    kernel, bias = np.zeros((3, 2), "float32"), np.zeros(2, "float64")
    data = pickle.dumps(np.array([kernel]), protocol=protocol)
    assert (b"_frombuffer" in data) == (protocol == 5), "numpy pickles arrays by _frombuffer at 5"
    path = tmp_path / "arrays.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("layers/dense.npy", object_member({"0": kernel, "1": bias}, protocol))
    result = kerascope.check(path)
    assert [finding.code for finding in result.findings] == ["PICKLED_ARRAYS"], result.findings
    weights = [(w.shape, w.dtype) for node in result.report.nodes for w in node.weights]
    assert weights == [([3, 2], "float32"), ([2], "float64")]
    assert result.report.total_params == 8


def torch_zip(data_pkl: bytes) -> bytes:
    """What `torch.save` writes: a zip of `archive/data.pkl` beside its storages."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", data_pkl)
        archive.writestr("archive/byteorder", "little")
        archive.writestr("archive/data/0", bytes(16))
        archive.writestr("archive/version", "3\n")
    return buffer.getvalue()


def torch_wrapper_archive(folder, payload: bytes):
    path = folder / "torch.keras"
    layer = {
        "module": "keras.layers",
        "class_name": "TorchModuleWrapper",
        "config": {"name": "torch", "module": base64.b64encode(payload).decode()},
        "name": "torch",
        "inbound_nodes": [],
    }
    config = {"module": "keras", "class_name": "Functional", "config": {"name": "m", "layers": [layer]}}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        archive.writestr("config.json", json.dumps(config))
    return path


def test_a_torch_save_payload_is_walked_inside_its_zip(tmp_path):
    # collections.OrderedDict(), then posix.system(...): a state dict with a call in it.
    text = b"touch /nonexistent/ran"
    data_pkl = (
        b"\x80\x02(ccollections\nOrderedDict\n)Rcposix\nsystem\nX"
        + struct.pack("<I", len(text))
        + text
        + b"\x85Rt."
    )
    assert imports_by_pickle(data_pkl) == ["collections.OrderedDict", "posix.system"]
    result = kerascope.check(torch_wrapper_archive(tmp_path, torch_zip(data_pkl)))
    torch = [finding for finding in result.findings if finding.code == "PICKLED_TORCH_MODULE"]
    assert len(torch) == 1, result.findings
    assert torch[0].message.endswith("imports collections.OrderedDict, posix.system"), torch[0].message


def test_a_torch_payload_bomb_is_bounded(tmp_path):
    """A data.pkl deflated a thousandfold and more: not inflated, and still an error."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        write_deflated(archive, "archive/data.pkl", b"\x80\x02", 64, bytes(16 << 20))
    path = torch_wrapper_archive(tmp_path, buffer.getvalue())
    assert path.stat().st_size <= TEN_MB
    run = run_cli(["check", str(path), "-f", "json"], memory_mib=300)
    assert_bounded(run)
    assert run.returncode == 1
    assert "PICKLED_TORCH_MODULE" in {item["code"] for item in json.loads(run.stdout)["findings"]}


def test_the_source_counts_reads(tmp_path):
    """`Counting` counts what it reads (else the streaming test could not fail)."""
    path = tmp_path / "bytes"
    path.write_bytes(bytes(1000))
    stream = Counting(path)
    with stream:
        stream.read(300)
    assert stream.read_bytes == 300 and LocalSource(path).size() == 1000
