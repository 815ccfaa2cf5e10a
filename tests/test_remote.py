"""Models read where they live: over HTTP from a real server on 127.0.0.1 that honours
`Range` and counts every byte it sends, and from fsspec's in-memory filesystem.
A remote read fetches metadata only, gives the report a local read gives, and
fails with one line naming what the server said."""

from __future__ import annotations

import json
import shutil
import zipfile

import fsspec
import pytest

import kerascope
from kerascope.cli import main

from support.model_zoo import tiny_bert_backbone
from support.range_server import range_server


@pytest.fixture(scope="module")
def served_models(keras3, zoo, tmp_path_factory):
    """A folder of models Keras saved: one whose weights dwarf its metadata, a zoo
    model, its weights alone and sharded, and a KerasHub preset."""
    folder = tmp_path_factory.mktemp("served")
    wide = keras3.Sequential(
        [keras3.Input((512,)), keras3.layers.Dense(1024, name="wide"), keras3.layers.Dense(512, name="back")]
    )
    wide.save(folder / "wide.keras")
    model, path = zoo.saved("transformer", "keras3.keras")
    shutil.copy(path, folder / "transformer.keras")
    (folder / "sharded").mkdir()
    largest = max(int(variable.numpy().nbytes) for variable in model.weights)
    model.save_weights(folder / "sharded" / "model.weights.json", max_shard_size=largest / 1024**3)
    backbone = tiny_bert_backbone(num_layers=1)
    backbone.save_to_preset(folder / "preset")
    return {"folder": folder, "wide": wide, "transformer": model, "backbone": backbone}


def same_report(remote, local):
    a, b = remote.to_dict(), local.to_dict()
    for data in (a, b):
        data.pop("source"), data.pop("bytes_fetched")
    return a == b


def test_keras_archive_over_http_fetches_metadata_only(served_models):
    folder = served_models["folder"]
    with range_server(folder) as (url, served):
        remote = kerascope.inspect(f"{url}/wide.keras")
    local = kerascope.inspect(folder / "wide.keras")
    assert same_report(remote, local)
    assert remote.source == f"{url}/wide.keras" and local.bytes_fetched is None
    assert remote.bytes_fetched == served.bytes, "the report counts what the server sent"
    size = (folder / "wide.keras").stat().st_size
    assert served.bytes <= 0.02 * size, f"{served.bytes:,} of {size:,} bytes fetched"
    assert all(method in ("GET", "HEAD") for method, _, _ in served.requests)
    assert all(rng is not None for method, _, rng in served.requests if method == "GET"), (
        "only range requests"
    )


@pytest.mark.parametrize("target", ["transformer.keras", "preset", "sharded/model.weights.json"])
def test_remote_report_equals_the_local_one(served_models, target):
    folder = served_models["folder"]
    with range_server(folder) as (url, served):
        remote = kerascope.inspect(f"{url}/{target}")
    assert same_report(remote, kerascope.inspect(folder / target))
    assert 0 < remote.bytes_fetched == served.bytes


def test_sharded_weights_over_http_pair_with_a_remote_config(served_models):
    folder = served_models["folder"]
    with range_server(folder) as (url, _):
        remote = kerascope.inspect(f"{url}/sharded/model.weights.json", config=f"{url}/transformer.keras")
    local = kerascope.inspect(folder / "sharded" / "model.weights.json", config=folder / "transformer.keras")
    assert remote.total_params == served_models["transformer"].count_params()
    assert remote.to_dict()["nodes"] == local.to_dict()["nodes"]


def test_memory_filesystem(served_models):
    folder = served_models["folder"]
    memory = fsspec.filesystem("memory")
    memory.pipe("/kerascope-test/wide.keras", (folder / "wide.keras").read_bytes())
    for path in (folder / "preset").rglob("*"):
        if path.is_file():
            memory.pipe(f"/kerascope-test/preset/{path.relative_to(folder / 'preset')}", path.read_bytes())
    try:
        for name in ("wide.keras", "preset"):
            remote = kerascope.inspect(f"memory://kerascope-test/{name}")
            assert same_report(remote, kerascope.inspect(folder / name))
            assert remote.bytes_fetched > 0
    finally:
        memory.rm("/kerascope-test", recursive=True)


def test_cache_folder_keeps_what_was_fetched(served_models, tmp_path, capsys):
    folder = served_models["folder"]
    cache = tmp_path / "cache"
    with range_server(folder) as (url, served):
        assert main(["inspect", f"{url}/transformer.keras", "--cache", str(cache), "--format", "json"]) == 0
        first = served.bytes
        first_report = json.loads(capsys.readouterr().out)
        assert main(["inspect", f"{url}/transformer.keras", "--cache", str(cache), "--format", "json"]) == 0
        second_report = json.loads(capsys.readouterr().out)
    assert first > 0 and served.bytes == first, "the second read fetched nothing but the file's size"
    assert second_report["nodes"] == first_report["nodes"] and second_report["bytes_fetched"] == 0
    assert any(cache.iterdir())


def test_not_found_is_one_line(served_models, capsys):
    with range_server(served_models["folder"]) as (url, _):
        assert main(["inspect", f"{url}/missing.keras"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert f"{url}/missing.keras" in err and "not found" in err


def test_a_server_without_ranges_is_one_line(served_models, capsys):
    with range_server(served_models["folder"], ranges=False) as (url, _):
        assert main(["inspect", f"{url}/wide.keras"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "byte ranges" in err and f"{url}/wide.keras" in err


def test_remote_zip_member_names_do_not_reach_the_terminal(served_models, tmp_path, capsys):
    """A remote archive's names are as untrusted as a local one's."""
    with zipfile.ZipFile(tmp_path / "odd.keras", "w") as archive:
        archive.writestr("\x1b[31mred\x1b[0m.txt", b"x")
    with range_server(tmp_path) as (url, _):
        assert main(["inspect", f"{url}/odd.keras"]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "without config.json" in err


def test_load_refuses_a_url(served_models, capsys):
    with range_server(served_models["folder"]) as (url, _):
        assert main(["inspect", f"{url}/wide.keras", "--load"]) == 2
    assert "--load reads local files only" in capsys.readouterr().err
