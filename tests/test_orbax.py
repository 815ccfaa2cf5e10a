"""Orbax checkpoints written in this run by `keras.callbacks.OrbaxCheckpoint`, read
statically: every fact equal to the live model's and to the model Keras's own
`load_model` makes of the checkpoint; every variable's shape and dtype what Orbax's
own metadata reader says; the step Keras loads; and crafted databases (a zstd bomb,
sizes that lie, data files outside the folder) ending in one line or a finding,
bounded in time and memory."""

from __future__ import annotations

import json
import shutil
import warnings

import pytest
import zstandard

import kerascope
from kerascope.model import Format

from support.bounded import assert_bounded, one_line_error, run_cli
from support.fresh_process import frameworks_imported_reading
from support.ocdbt_craft import BTREE_MAGIC, envelope, manifest, tensorstore_reads, write_database
from support.orbax_checkpoints import save_checkpoint
from support.parity import assert_static_matches_live
from support.saved_files import SAVEABLE, build

GROUPS = ("trainable_variables", "non_trainable_variables")


@pytest.fixture(scope="module")
def checkpoints(keras3, tmp_path_factory):
    folder = tmp_path_factory.mktemp("orbax")
    saved = {}
    for name in SAVEABLE:
        model = build(keras3, name)
        saved[name] = (model, save_checkpoint(keras3, model, folder / name))
    return saved


@pytest.fixture(scope="module")
def trained(keras3, tmp_path_factory):
    """A model trained by `fit` for three epochs, the callback keeping the last two steps."""
    import numpy as np

    inputs = keras3.Input(shape=(5, 3), name="seq_in")
    x = keras3.layers.LSTM(4, name="lstm")(inputs)
    x = keras3.layers.BatchNormalization(name="bn")(keras3.layers.Dense(6, name="dense_a")(x))
    model = keras3.Model(inputs, keras3.layers.Dense(2, name="head")(x), name="trained")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    root = tmp_path_factory.mktemp("trained") / "checkpoints"
    callback = keras3.callbacks.OrbaxCheckpoint(directory=str(root), max_to_keep=2, save_on_background=False)
    rng = np.random.default_rng(0)
    x_train, y_train = rng.normal(size=(8, 5, 3)).astype("float32"), rng.integers(0, 2, size=(8,))
    model.fit(x_train, y_train, batch_size=8, epochs=3, callbacks=[callback], verbose=0)
    return model, root


@pytest.mark.parametrize("name", SAVEABLE)
def test_every_stored_fact_equals_keras(checkpoints, name):
    model, root = checkpoints[name]
    static, live = kerascope.inspect(root), kerascope.inspect(model)
    assert static.format == Format.ORBAX
    assert_static_matches_live(static, live)
    assert static.total_params == model.count_params()


@pytest.mark.parametrize("name", ["nested", "recurrent", "multi_io", "transformer", "custom_wrapper"])
def test_the_model_keras_loads_from_the_checkpoint(keras3, checkpoints, name):
    model, root = checkpoints[name]
    classes = {type(layer).__name__: type(layer) for layer in model._flatten_layers()}
    loaded = keras3.saving.load_model(root, custom_objects=classes)
    static = kerascope.inspect(root)
    assert_static_matches_live(static, kerascope.inspect(loaded))
    assert static.total_params == loaded.count_params()
    assert static.trainable_params == sum(int(v.numpy().size) for v in loaded.trainable_weights)


def orbax_metadata(step_folder):
    """(path, shape, dtype) of every layer variable, as Orbax's own metadata reader gives them."""
    import jax
    from orbax.checkpoint import v1

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        tree = v1.pytree_metadata(step_folder, checkpointable_name="pytree").metadata
    found = {}
    for keys, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
        names = [key.key for key in keys]
        if names[0] in GROUPS and names[-1] != "seed_generator_state":
            found["/".join(names[1:])] = (list(leaf.shape), str(leaf.dtype), names[0] == GROUPS[0])
    return found


@pytest.mark.parametrize("name", ["transformer", "recurrent", "custom_wrapper"])
def test_shapes_and_dtypes_are_orbaxs_own(checkpoints, name):
    _, root = checkpoints[name]
    static = kerascope.inspect(root)
    read = {
        weight.name: (weight.shape, weight.dtype, weight.trainable)
        for node in static.nodes
        for weight in node.weights
    }
    assert read == orbax_metadata(root / "0")


def test_the_step_keras_loads_and_the_state_beside_the_weights(keras3, trained, tmp_path):
    from keras.src.saving.orbax_util import find_latest_orbax_checkpoint

    model, root = trained
    (root / "3.orbax-checkpoint-tmp-1234").mkdir()  # a save still under way
    (root / "3.orbax-checkpoint-tmp-1234" / "_CHECKPOINT_METADATA").write_text("{}")
    static = kerascope.inspect(root)
    latest = int(find_latest_orbax_checkpoint(str(root)).rsplit("/", 1)[1])
    assert static.metadata["step"] == latest == 2
    assert static.metadata["steps"] == sorted(int(p.name) for p in root.iterdir() if p.name.isdigit())
    assert static.metadata["optimizer"]["variables"] == len(model.optimizer.variables)
    assert static.metadata["metrics"]["variables"] == len(model.metrics_variables)
    assert static.total_params == model.count_params()
    assert_static_matches_live(static, kerascope.inspect(model))


def test_weights_only_checkpoint(keras3, tmp_path):
    model = build(keras3, "recurrent")
    root = save_checkpoint(keras3, model, tmp_path / "weights_only", save_weights_only=True)
    assert not (root / "0" / "model_config").exists()
    static = kerascope.inspect(root)
    assert static.format == Format.ORBAX and static.root.class_name is None
    assert static.total_params == model.count_params()
    assert "optimizer" not in static.metadata
    paths = {node.path for node in static.nodes}
    assert {"bi/forward_lstm/lstm_cell", "timed/per_step"} <= paths


def test_a_lambda_in_the_config_is_an_error(keras3, tmp_path):
    inputs = keras3.Input(shape=(3,))
    model = keras3.Model(inputs, keras3.layers.Lambda(lambda t: t * 2, name="double")(inputs))
    root = save_checkpoint(keras3, model, tmp_path / "lambda")
    report = kerascope.check(root)
    assert "LAMBDA_BYTECODE" in {finding.code for finding in report.findings}
    assert run_cli(["check", str(root)]).returncode == 1


def test_reading_imports_no_framework(checkpoints):
    assert frameworks_imported_reading([checkpoints["nested"][1], checkpoints["recurrent"][1]]) == []


# -- crafted checkpoints -----------------------------------------------------------------
@pytest.fixture
def genuine(checkpoints, tmp_path):
    """A copy of a genuine checkpoint whose state tree's database is rewritten by the
    test: the same keys and values, as tensorstore reads them, in one leaf of one data file."""
    root = shutil.copytree(checkpoints["nested"][1], tmp_path / "checkpoint")
    pytree = root / "0" / "pytree"
    entries = sorted(tensorstore_reads(pytree).items())
    for leftover in [pytree / "d", *pytree.glob("ocdbt.process_*")]:
        shutil.rmtree(leftover)
    (pytree / "manifest.ocdbt").unlink()
    return root, pytree, entries


def test_the_crafted_database_reads_as_the_genuine_one(genuine, checkpoints):
    root, pytree, entries = genuine
    write_database(pytree, entries)
    assert tensorstore_reads(pytree) == dict(entries)
    assert (
        kerascope.inspect(root).to_dict()["nodes"]
        == kerascope.inspect(checkpoints["nested"][1]).to_dict()["nodes"]
    )


def test_a_zstd_bomb_in_a_node(genuine):
    root, pytree, _ = genuine
    bomb = zstandard.ZstdCompressor(level=1).compress(bytes(1 << 30))
    node = envelope(BTREE_MAGIC, b"", compressed=bomb)
    (pytree / "d").mkdir()
    (pytree / "d" / "bomb").write_bytes(node)
    (pytree / "manifest.ocdbt").write_bytes(manifest("d/bomb", 0, len(node), 1))
    run = run_cli(["inspect", str(root)])
    one_line_error(run, "inflates past the")
    assert_bounded(run)


@pytest.mark.parametrize(
    ("offset", "length", "message"),
    [
        (0, 1 << 40, "over the 67,108,864-byte limit"),
        (10, 50, "not an OCDBT structure"),
        (0, 5000, "run past the file's end"),
    ],
)
def test_node_sizes_that_lie(genuine, offset, length, message):
    root, pytree, entries = genuine
    write_database(pytree, entries)
    (pytree / "manifest.ocdbt").write_bytes(manifest("d/0000", offset, length, len(entries)))
    run = run_cli(["inspect", str(root)])
    one_line_error(run, message)
    assert_bounded(run)


def test_a_node_that_inflates_past_what_the_manifest_allows(genuine):
    root, pytree, entries = genuine
    write_database(pytree, entries)
    node = (pytree / "d" / "0000").read_bytes()
    (pytree / "manifest.ocdbt").write_bytes(
        manifest("d/0000", 0, len(node), len(entries), max_node_bytes=100)
    )
    one_line_error(run_cli(["inspect", str(root)]), "inflates past the 100-byte limit")


@pytest.mark.parametrize("where", ["parent", "absolute", "link"])
def test_data_files_outside_the_checkpoint_are_never_opened(genuine, tmp_path, where):
    """A genuine node placed outside the checkpoint, named by `..`, an absolute path, or
    reached through a link: the report does not have what it holds, and says why."""
    root, pytree, entries = genuine
    outside = tmp_path / "outside"
    write_database(outside, entries)
    named = {
        "parent": "../../../outside/d/0000",
        "absolute": str(outside / "d" / "0000"),
        "link": "d/0000",
    }[where]
    node = (outside / "d" / "0000").read_bytes()
    if where == "link":
        (pytree / "d").mkdir()
        (pytree / "d" / "0000").symlink_to(outside / "d" / "0000")
    (pytree / "manifest.ocdbt").write_bytes(manifest(named, 0, len(node), len(entries)))
    report = kerascope.check(root)
    codes = [finding.code for finding in report.findings]
    assert "PATH_OUTSIDE_MODEL" in codes
    # Nothing from the outside file reached the report: every variable is its config's.
    weighted = [node for node in report.report.nodes if node.weights]
    assert weighted and all(node.origin["weights"] == "derived" for node in weighted)
    assert run_cli(["check", str(root)]).returncode == 1


def test_a_config_string_holding_deep_json_gets_the_documents_limits(genuine):
    root, _, _ = genuine
    strings = root / "0" / "model_config" / "_strings.json"
    strings.write_text(json.dumps({"config": "[" * 100_000 + "]" * 100_000}))
    run = run_cli(["inspect", str(root)])
    one_line_error(run, "nested deeper than the JSON depth limit")
    assert_bounded(run)


def test_a_damaged_node_is_refused_by_its_checksum(genuine):
    root, pytree, entries = genuine
    write_database(pytree, entries)
    node = bytearray((pytree / "d" / "0000").read_bytes())
    node[len(node) // 2] ^= 0x01
    (pytree / "d" / "0000").write_bytes(bytes(node))
    one_line_error(run_cli(["inspect", str(root)]), "its CRC-32C does not match its bytes")
