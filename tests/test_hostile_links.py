"""Symbolic links that lead a model's files out of its folder: every reader opens a file
it finds by name (in a folder's listing, a shard index, a manifest) only inside the
model's folder. A link leading out is a `PATH_OUTSIDE_MODEL` finding (exit 1), never
followed; what is behind it never reaches the report. The path a user names is
followed wherever it leads, and a link that stays inside the folder is read.

Every model here is saved by Keras or KerasHub in this run. (Presets: test_hostile_presets.py.)"""

from __future__ import annotations

import json
import shutil
import zipfile

import pytest

import kerascope
from kerascope.cli import main
from kerascope.decoders.source import LocalSource
from kerascope.limits import DEFAULT_LIMITS
from kerascope.model.vocabulary import Fact, Origin

from support.bounded import one_line_error, run_cli


@pytest.fixture(scope="module")
def saved(zoo, tmp_path_factory):
    """A folder holding a model saved by Keras 3 in every layout that names files:
    `extracted/` (a `.keras` unzipped), `sharded/` (a `.weights.json` index and its
    shards), `folder_sharded/` (an extracted archive whose weights are sharded),
    `transformers/` (a Transformers checkpoint, safetensors sharded), `savedmodel/`."""
    from support.model_zoo import tiny_gpt2_backbone

    model = zoo.model("nested", "keras")
    folder = tmp_path_factory.mktemp("links")
    model.save(folder / "model.keras")
    with zipfile.ZipFile(folder / "model.keras") as archive:
        archive.extractall(folder / "extracted")
    largest = max(int(variable.numpy().nbytes) for variable in model.weights)
    (folder / "sharded").mkdir()
    model.save_weights(folder / "sharded" / "model.weights.json", max_shard_size=largest / 1024**3)
    shutil.copytree(folder / "sharded", folder / "folder_sharded")
    shutil.copy(folder / "extracted" / "config.json", folder / "folder_sharded" / "config.json")
    backbone = tiny_gpt2_backbone()
    backbone.export_to_transformers(folder / "transformers")
    zoo.model("nested", "tf_keras").save(folder / "savedmodel", save_format="tf")
    return model, folder


@pytest.fixture
def copy(saved, tmp_path):
    """A fresh copy of one saved layout, and a folder outside it."""
    _, folder = saved
    outside = tmp_path / "outside"
    outside.mkdir()

    def copied(name):
        return shutil.copytree(folder / name, tmp_path / name), outside

    return copied


def move_out(folder, name, outside):
    """`name` moved out of `folder` and linked back in: the same bytes, reached
    through a link that leaves the folder."""
    target = outside / name.replace("/", "_")
    shutil.move(folder / name, target)
    (folder / name).symlink_to(target, target_is_directory=target.is_dir())
    return target


def outside_names(report):
    return [
        finding.message.split(" ")[0] for finding in report.findings if finding.code == "PATH_OUTSIDE_MODEL"
    ]


def from_the_file(report):
    """The layers whose variables the report took from the file (not derived from the config)."""
    return [
        node.path for node in report.nodes if node.weights and node.origin.get(Fact.WEIGHTS) == Origin.WEIGHTS
    ]


def test_an_extracted_archives_weights(copy, capsys):
    """Nothing behind the link reaches the report: the parameters are what the config
    says Keras's layers create, marked derived, as for a model saved without weights."""
    folder, outside = copy("extracted")
    intact = kerascope.inspect(folder)
    move_out(folder, "model.weights.h5", outside)
    report = kerascope.inspect(folder)
    assert outside_names(report) == ["model.weights.h5"]
    assert from_the_file(intact) and from_the_file(report) == []
    assert report.total_params == intact.total_params
    assert main(["check", str(folder)]) == 1
    capsys.readouterr()


def shards_of(index):
    weight_map = json.loads(index.read_text())["weight_map"]
    return sorted(
        {name for names in weight_map.values() for name in ([names] if isinstance(names, str) else names)}
    )


def test_a_shard_beside_the_index_named_on_the_command_line(copy):
    folder, outside = copy("sharded")
    shard = shards_of(folder / "model.weights.json")[0]
    move_out(folder, shard, outside)
    report = kerascope.inspect(folder / "model.weights.json")
    assert outside_names(report) == [shard]
    assert report.total_params is None


def test_a_shard_in_an_extracted_archive(copy):
    folder, outside = copy("folder_sharded")
    intact = kerascope.inspect(folder)
    shard = shards_of(folder / "model.weights.json")[-1]
    move_out(folder, shard, outside)
    report = kerascope.inspect(folder)
    assert outside_names(report) == [shard]
    assert set(from_the_file(report)) < set(from_the_file(intact))
    assert report.total_params == intact.total_params


def safetensors_shard(folder):
    """The checkpoint's safetensors file made the one shard of an index."""
    (folder / "model.safetensors").rename(folder / "model-00001-of-00001.safetensors")
    index = {"metadata": {}, "weight_map": {"any.weight": "model-00001-of-00001.safetensors"}}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))
    return "model-00001-of-00001.safetensors"


# A layout, how it is arranged first, what is moved out, and the file then refused.
TENSORS_MOVED_OUT = {
    "safetensors": ("transformers", lambda folder: "model.safetensors", "model.safetensors"),
    "safetensors-shard": ("transformers", safetensors_shard, "model-00001-of-00001.safetensors"),
    "savedmodel-variables": ("savedmodel", lambda folder: "variables", "variables/variables.index"),
}


@pytest.mark.parametrize("case", sorted(TENSORS_MOVED_OUT))
def test_tensors_moved_out(copy, case):
    layout, arrange, refused = TENSORS_MOVED_OUT[case]
    folder, outside = copy(layout)
    move_out(folder, arrange(folder), outside)
    report = kerascope.inspect(folder)
    assert outside_names(report) == [refused]
    assert from_the_file(report) == []


def test_a_savedmodels_keras_metadata_is_refused_in_one_line(copy):
    folder, outside = copy("savedmodel")
    move_out(folder, "keras_metadata.pb", outside)
    move_out(folder, "saved_model.pb", outside)
    one_line_error(run_cli(["inspect", str(folder)]), "keras_metadata.pb leads outside the model's folder")


def test_a_tensorflowjs_shard_is_not_read_for_values(zoo, tmp_path):
    """Values are read only on request, from the shards `model.json` names beside it:
    one a link leads out of the folder is refused in one line, never opened."""
    from kerascope.decoders.tensor_values import values
    from kerascope.decoders.tfjs_values import tfjs_tensors

    _, model_json = zoo.saved("nested", "tf_keras.tfjs")
    folder = shutil.copytree(model_json.parent, tmp_path / "tfjs")
    outside = tmp_path / "outside"
    outside.mkdir()
    shard = json.loads((folder / "model.json").read_text())["weightsManifest"][0]["paths"][0]
    move_out(folder, shard, outside)
    with pytest.raises(kerascope.KerascopeError, match=f"{shard} leads outside the model's folder"):
        for location in tfjs_tensors(LocalSource(folder / "model.json"), DEFAULT_LIMITS).values():
            list(values(location, DEFAULT_LIMITS))


def test_a_link_inside_the_folder_is_followed(saved, copy):
    model, _ = saved
    folder, _ = copy("extracted")
    (folder / "weights").mkdir()
    (folder / "model.weights.h5").rename(folder / "weights" / "real.h5")
    (folder / "model.weights.h5").symlink_to("weights/real.h5")
    report = kerascope.inspect(folder)
    assert not outside_names(report) and report.total_params == model.count_params()


def test_a_model_the_user_names_through_links_is_read(saved, tmp_path):
    """The path on the command line is the user's word: a link to the archive, and a
    link to the index (whose shards are beside the link, where Keras looks for them)."""
    model, folder = saved
    (tmp_path / "named.keras").symlink_to(folder / "model.keras")
    assert kerascope.inspect(tmp_path / "named.keras").total_params == model.count_params()
    (tmp_path / "folder").symlink_to(folder / "extracted")
    assert kerascope.inspect(tmp_path / "folder").total_params == model.count_params()
