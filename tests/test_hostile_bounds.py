"""Small files that ask for huge allocations or long loops: each is read or refused
within 300 MiB and within a time budget kerascope itself enforces and reports
(`--time-limit`, `time_limit=`: "gave up after N s"), through the command (in a
child process, memory capped and measured) and through `kerascope.inspect`. The
budget is far above what each read takes (a second or two) so that a busy machine
never fails a test, and far below what the loops these files ask for would take
(minutes: a quadratic pass over tens of thousands of names, a list of 10^12 items);
no test here reads a clock."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

import kerascope

from support.bounded import BUDGET, assert_bounded, one_line_error, run_cli


def keras_archive(path: Path, config: dict, compress: bool = False) -> Path:
    """A `.keras` zip holding `config` (and no weights)."""
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        archive.writestr("config.json", json.dumps(config) if isinstance(config, dict) else config)
    return path


def functional(layers: list[dict], name: str = "m") -> dict:
    return {"module": "keras", "class_name": "Functional", "config": {"name": name, "layers": layers}}


def dense(name: str, inbound: list | None = None) -> dict:
    return {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {"name": name, "units": 1},
        "name": name,
        "inbound_nodes": inbound or [],
    }


def tensor(layer: str, node: int, index: int, shape: list) -> dict:
    return {
        "class_name": "__keras_tensor__",
        "config": {"shape": shape, "keras_history": [layer, node, index]},
    }


def huge_node_index(folder: Path) -> Path:
    """A 300-byte file whose link names call 10^12 of a layer called once."""
    layers = [dense("a"), dense("b", [{"args": [tensor("a", 10**12, 0, [None, 1])], "kwargs": {}}])]
    return keras_archive(folder / "index.keras", functional(layers))


def huge_tensor_index(folder: Path) -> Path:
    layers = [dense("a"), dense("b", [{"args": [tensor("a", 0, 10**12, [None, 1])], "kwargs": {}}])]
    return keras_archive(folder / "tensor.keras", functional(layers))


def deflated_config(folder: Path) -> Path:
    """60 MiB of `[],` deflated to a few hundred kB: the member limit applies to config.json too."""
    body = "[" + "[]," * (20 << 20) + "[]]"
    return keras_archive(folder / "deflated.keras", body, compress=True)


def same_named_nested(folder: Path) -> Path:
    """Two nested models of 1,500 layers, all called `d`, the second fed by the first."""

    def model(name: str, feed: str | None) -> dict:
        inbound = [{"args": [tensor(feed, 0, 0, [None, 1])], "kwargs": {}}] if feed else []
        layers = [dense("d", inbound) for _ in range(1500)]
        return {
            **functional(layers, name),
            "name": name,
            "inbound_nodes": inbound,
            "config": {
                "name": name,
                "layers": layers,
                "input_layers": [["d", 0, 0]] * 1500,
                "output_layers": [["d", 0, 0]] * 1500,
            },
        }

    return keras_archive(folder / "same.keras", functional([model("first", None), model("second", "first")]))


def tfjs_string_shape(folder: Path) -> Path:
    path = folder / "model.json"
    topology = {"class_name": "Sequential", "config": {"name": "s", "layers": [dense("d")]}}
    manifest = [
        {
            "paths": ["w.bin"],
            "weights": [{"name": "d/kernel", "shape": ["A", 1500000000], "dtype": "float32"}],
        }
    ]
    path.write_text(json.dumps({"modelTopology": {"model_config": topology}, "weightsManifest": manifest}))
    return path


def tfjs_enormous_shape(folder: Path) -> Path:
    path = folder / "model.json"
    topology = {"class_name": "Sequential", "config": {"name": "s", "layers": [dense("d")]}}
    shape = [10**4000, 10**4000]
    manifest = [{"paths": ["w.bin"], "weights": [{"name": "d/kernel", "shape": shape, "dtype": "float32"}]}]
    path.write_text(json.dumps({"modelTopology": {"model_config": topology}, "weightsManifest": manifest}))
    return path


def enormous_input_shape(folder: Path) -> Path:
    layers = [
        {
            "module": "keras.layers",
            "class_name": "InputLayer",
            "config": {"name": "x", "batch_shape": [None, 10**4000, 10**4000]},
            "name": "x",
            "inbound_nodes": [],
        },
        dense("d", [{"args": [tensor("x", 0, 0, [None, 10**4000, 10**4000])], "kwargs": {}}]),
    ]
    return keras_archive(folder / "enormous.keras", functional(layers))


def tfjs_many_scopes(folder: Path) -> Path:
    """40,000 weights in one custom layer's scopes: placed in linear time."""
    path = folder / "model.json"
    topology = {"class_name": "Sequential", "config": {"name": "s", "layers": [dense("d")]}}
    weights = [{"name": f"d/part_{i}/kernel", "shape": [1], "dtype": "float32"} for i in range(40_000)]
    path.write_text(
        json.dumps({"modelTopology": {"model_config": topology}, "weightsManifest": [{"weights": weights}]})
    )
    return path


def h5_many_layer_names(folder: Path) -> Path:
    """A legacy weights file listing 30,000 layers: each looked up once."""
    path = folder / "weights.h5"
    with h5py.File(path, "w", libver="latest") as handle:
        names = [f"layer_{i}".encode() for i in range(30_000)]
        handle.attrs["layer_names"] = np.array(names)
    return path


def infinite_float(folder: Path) -> Path:
    layers = [dense("d")]
    layers[0]["config"]["units"] = 1e999
    return keras_archive(folder / "inf.keras", json.dumps(functional(layers)).replace("Infinity", "1e999"))


# The worst case for a backtracking scanner of JSON strings: one opened, never closed,
# holding only escaped quotes (46 KiB once took the pre-scan 10 s; these are 4 MiB).
ESCAPED_QUOTES = '{"class_name": "' + '\\"' * (2 << 20)


def escaped_quotes_config(folder: Path) -> Path:
    return keras_archive(folder / "quotes.keras", ESCAPED_QUOTES)


def escaped_quotes_json(folder: Path) -> Path:
    path = folder / "quotes.json"
    path.write_text(ESCAPED_QUOTES)
    return path


def escaped_quotes_h5(folder: Path) -> Path:
    path = folder / "quotes.h5"
    with h5py.File(path, "w", libver="latest") as handle:
        handle.attrs["model_config"] = np.bytes_(ESCAPED_QUOTES.encode())
        handle.create_group("model_weights").attrs["layer_names"] = np.array([], dtype="S1")
    return path


def escaped_quotes_safetensors(folder: Path) -> Path:
    checkpoint = folder / "checkpoint"
    checkpoint.mkdir()
    (checkpoint / "config.json").write_text(
        json.dumps({"model_type": "gpt2", "architectures": ["GPT2Model"]})
    )
    header = ESCAPED_QUOTES.encode()
    (checkpoint / "model.safetensors").write_bytes(len(header).to_bytes(8, "little") + header)
    return checkpoint


def json_in_a_json_string(folder: Path) -> Path:
    """A model.to_json() file stored as a JSON string (as some Keras 1 tools wrote) that
    holds 3.3 million empty lists: held to the item limit like the document around it."""
    path = folder / "wrapped.json"
    path.write_text(json.dumps("[" + "[]," * 3_300_000 + "[]]"))
    return path


def converted_protobuf(folder: Path) -> Path:
    """10 MB of a SavedModel's Keras metadata, each field a length-delimited field that
    could hold another, with a line feed and no carriage return: what the CRLF repair
    tries hardest on (the fuzzer found 809 bytes of it that took the repair seconds)."""
    saved = folder / "saved"
    saved.mkdir()
    (saved / "keras_metadata.pb").write_bytes(b"\x12\x12" * (5 << 20) + b"\n")
    return saved


HOSTILE = {
    "node-index-10^12": (huge_node_index, None),
    "tensor-index-10^12": (huge_tensor_index, None),
    "deflated-config": (deflated_config, "config.json"),
    "1500-same-named-layers": (same_named_nested, None),
    "tfjs-string-shape": (tfjs_string_shape, "has shape ['A', 1500000000], not a list of sizes"),
    "tfjs-shape-10^4000": (tfjs_enormous_shape, "declares a shape of more than"),
    "input-shape-10^4000": (enormous_input_shape, None),
    "tfjs-40000-scopes": (tfjs_many_scopes, None),
    "h5-30000-layer-names": (h5_many_layer_names, None),
    "1e999-in-a-config": (infinite_float, None),
    "escaped-quotes-config.json": (escaped_quotes_config, "config.json is not valid JSON"),
    "escaped-quotes-json-file": (escaped_quotes_json, "the file is not valid JSON"),
    "escaped-quotes-model_config": (escaped_quotes_h5, "model_config is not valid JSON"),
    "escaped-quotes-safetensors-header": (escaped_quotes_safetensors, "header is not valid JSON"),
    "json-in-a-json-string": (json_in_a_json_string, "JSON inside a JSON string) holds more than 3,000,000"),
    "converted-protobuf-10MB": (
        converted_protobuf,
        "had its line endings converted (CRLF to LF) and cannot be repaired",
    ),
}
VIEWS = ["table", "json", "dot", "mermaid", "html"]


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_bounded_through_the_command(tmp_path, name):
    make, refused_for = HOSTILE[name]
    path = make(tmp_path)
    for view in VIEWS:
        run = run_cli(["inspect", str(path), "-f", view], memory_mib=300)
        assert_bounded(run)
        if refused_for:
            one_line_error(run, refused_for)
            return
        assert run.returncode == 0, run.stderr
        assert len(run.stdout) < 50 << 20, f"{view}: {len(run.stdout):,} bytes of output"


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_bounded_in_process_with_a_time_limit(tmp_path, name):
    make, refused_for = HOSTILE[name]
    path = make(tmp_path)
    try:
        report = kerascope.inspect(path, time_limit=BUDGET)
    except kerascope.KerascopeError as error:  # the time limit's error would not hold the words
        assert refused_for and refused_for in str(error), str(error)
    else:
        assert not refused_for
        assert json.loads(report.to_json())["nodes"]


def test_a_time_limit_stops_a_library_call(tmp_path):
    path = tmp_path / "big.json"
    layers = ",".join(
        f'{{"class_name":"Dense","config":{{"name":"d{i}","units":1}}}}' for i in range(300_000)
    )
    path.write_text(f'{{"class_name":"Sequential","config":{{"name":"big","layers":[{layers}]}}}}')
    limits = kerascope.Limits(max_layers=1_000_000, max_json_bytes=1 << 30)
    with pytest.raises(kerascope.KerascopeError) as raised:
        kerascope.inspect(path, limits=limits, time_limit=0.5)
    assert f"{path}: gave up after 0.5 s (the time limit" in str(raised.value)


def test_a_limit_message_says_how_to_raise_the_limit(tmp_path):
    """Every refusal names the limit, its value, and the flag (or `Limits` field) that
    raises it, so a user with a genuinely large model knows what to do."""
    deep = tmp_path / "deep.json"
    deep.write_text('{"class_name": "Sequential", "config": ' + "[" * 300 + "]" * 300 + "}")
    one_line_error(run_cli(["inspect", str(deep)]), "(to read it anyway: --max-json-depth")
    with pytest.raises(kerascope.KerascopeError, match=r"Limits\(max_compression_ratio=\.\.\.\)"):
        kerascope.inspect(deflated_config(tmp_path))
    many = tmp_path / "many.json"
    layers = ",".join(f'{{"class_name":"Dense","config":{{"name":"d{i}","units":1}}}}' for i in range(50))
    many.write_text(f'{{"class_name":"Sequential","config":{{"name":"m","layers":[{layers}]}}}}')
    one_line_error(run_cli(["inspect", str(many), "--max-layers", "10"]), "--max-layers")
