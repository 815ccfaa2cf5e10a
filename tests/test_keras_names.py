"""The table of names Keras resolves: every name the installed Keras 3 and tf_keras
export or deserialize is in it, and it is what the script generates from them."""

from __future__ import annotations

import importlib.util
import inspect
import json
import sys
from importlib import metadata
from pathlib import Path

import pytest

from kerascope.analysis.keras_names import (
    NameKind,
    covered_sources,
    generation_of,
    is_keras_name,
    keras_names,
)

ROOT = Path(__file__).resolve().parents[1]
HELPERS = {"serialize", "deserialize", "get"}


@pytest.fixture(scope="module")
def make_keras_names():
    """The generator script, loaded as a module (it is not part of the package)."""
    spec = importlib.util.spec_from_file_location(
        "make_keras_names", ROOT / "scripts" / "make_keras_names.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def _public(module, keep) -> set[str]:
    return {name for name in dir(module) if not name.startswith("_") and keep(getattr(module, name))}


def _exports(keras) -> dict[NameKind, set[str]]:
    """What a live Keras exports, per kind, asked of the package itself."""

    def classes_of(base):
        return lambda obj: inspect.isclass(obj) and issubclass(obj, base)

    def callable_of(base):
        return lambda obj: inspect.isfunction(obj) or (inspect.isclass(obj) and issubclass(obj, base))

    return {
        NameKind.LAYER: _public(keras.layers, classes_of(keras.layers.Layer)) | {"Model", "Sequential"},
        NameKind.ACTIVATION: _public(keras.activations, inspect.isfunction) - HELPERS,
        NameKind.INITIALIZER: _public(keras.initializers, callable_of(keras.initializers.Initializer))
        - HELPERS,
        NameKind.REGULARIZER: _public(keras.regularizers, callable_of(keras.regularizers.Regularizer))
        - HELPERS,
        NameKind.CONSTRAINT: _public(keras.constraints, callable_of(keras.constraints.Constraint)) - HELPERS,
        NameKind.LOSS: _public(keras.losses, callable_of(keras.losses.Loss)) - HELPERS,
        NameKind.METRIC: _public(keras.metrics, callable_of(keras.metrics.Metric)) - HELPERS,
        NameKind.OPTIMIZER: _public(keras.optimizers, classes_of(keras.optimizers.Optimizer)),
        NameKind.SCHEDULE: _public(
            keras.optimizers.schedules, classes_of(keras.optimizers.schedules.LearningRateSchedule)
        ),
    }


@pytest.mark.parametrize("package", ["keras3", "tf_keras"])
def test_every_exported_name_is_in_its_generation(request, package):
    keras = request.getfixturevalue(package)
    generation = 3 if package == "keras3" else 2
    for kind, exported in _exports(keras).items():
        assert len(exported) > 5, (kind, exported)
        missing = sorted(name for name in exported if not is_keras_name(name, kind, generation))
        assert missing == [], f"{package} {kind}: {missing}"


def test_every_name_keras3_deserializes_is_in_the_table(keras3):
    """Keras 3's own lookup tables, and the layers its legacy loader resolves."""
    from keras.src import activations, constraints, initializers, losses, metrics, optimizers, regularizers
    from keras.src import layers as layer_module

    tables = {
        NameKind.ACTIVATION: activations.ALL_OBJECTS_DICT,
        NameKind.INITIALIZER: initializers.ALL_OBJECTS_DICT,
        NameKind.REGULARIZER: regularizers.ALL_OBJECTS_DICT,
        NameKind.CONSTRAINT: constraints.ALL_OBJECTS_DICT,
        NameKind.LOSS: losses.ALL_OBJECTS_DICT,
        NameKind.METRIC: metrics.ALL_OBJECTS_DICT,
        NameKind.OPTIMIZER: optimizers.ALL_OBJECTS_DICT,
        NameKind.LAYER: {
            name: obj
            for name, obj in vars(layer_module).items()
            if inspect.isclass(obj) and issubclass(obj, keras3.layers.Layer)
        },
    }
    for kind, table in tables.items():
        assert sorted(set(table) - keras_names(kind, 3)) == [], kind


def test_every_name_tf_keras_deserializes_is_in_the_table(tf_keras):
    from tf_keras.src import initializers
    from tf_keras.src.layers import serialization

    serialization.populate_deserializable_objects()
    initializers.populate_deserializable_objects()
    assert sorted(set(serialization.LOCAL.ALL_OBJECTS) - keras_names(NameKind.LAYER, 2)) == []
    assert sorted(set(initializers.LOCAL.ALL_OBJECTS) - keras_names(NameKind.INITIALIZER, 2)) == []


def test_names_that_are_not_keras(tf_keras, keras3):
    """Names the live packages refuse are not in the table either (legacy format: the
    way a legacy HDF5 or JSON config is loaded)."""
    for name in ("FixedPointQuantizer", "GarNet", "QDense", "BinaryDense", "ResNet"):
        with pytest.raises(ValueError, match="Unknown layer"):
            tf_keras.layers.deserialize({"class_name": name, "config": {}}, use_legacy_format=True)
        assert not is_keras_name(name, NameKind.LAYER)
    with pytest.raises(ValueError):
        tf_keras.initializers.get("quantized_bits")
    assert not is_keras_name("quantized_bits")
    assert not is_keras_name("relu", NameKind.LAYER)


def test_optimizers_are_case_insensitive_as_in_keras(tf_keras):
    assert type(tf_keras.optimizers.get("ADAM")).__name__ == "Adam"
    assert is_keras_name("ADAM", NameKind.OPTIMIZER, 2)
    assert is_keras_name("Adam", NameKind.OPTIMIZER, 1)
    assert not is_keras_name("Adamish", NameKind.OPTIMIZER)


def test_old_generations_hold_their_own_names():
    """Read from the Keras 1 and 2.0-2.3 sources: names later versions dropped."""
    assert is_keras_name("Convolution2D", NameKind.LAYER, 1)
    assert is_keras_name("Merge", NameKind.LAYER, 1)
    assert is_keras_name("TimeDistributedDense", NameKind.LAYER, 1)
    assert is_keras_name("glorot_uniform", NameKind.INITIALIZER, 1)
    assert is_keras_name("L1L2Regularizer", NameKind.REGULARIZER, 1)
    assert is_keras_name("CuDNNLSTM", NameKind.LAYER, 2)
    assert is_keras_name("Merge", NameKind.LAYER, 2)
    assert is_keras_name("fmeasure", NameKind.METRIC, 1)
    assert not is_keras_name("fmeasure", NameKind.METRIC, 2)
    assert is_keras_name("__tuple__", NameKind.SPECIAL, 2)
    assert is_keras_name("__keras_tensor__", NameKind.SPECIAL, 3)
    assert is_keras_name("Custom>Adam", NameKind.OPTIMIZER, 2)
    assert is_keras_name("DenseFeatures", NameKind.LAYER, 2)
    assert is_keras_name("NumericColumn", NameKind.FEATURE_COLUMN, 2)


def test_generation_of_stored_versions():
    assert [generation_of(v) for v in ("1.2.2", "2.1.6-tf", "3.8.0", None, "tfjs-layers 1.0")] == [
        1,
        2,
        3,
        None,
        None,
    ]
    with pytest.raises(ValueError, match="no Keras generation 4"):
        is_keras_name("Dense", generation=4)


def test_snake_case_is_keras_own(make_keras_names, keras3):
    from keras.src.utils.naming import to_snake_case

    names = {name for kind in NameKind for generation in (1, 2, 3) for name in keras_names(kind, generation)}
    assert len(names) > 500
    for name in sorted(names):
        assert make_keras_names.snake_case(name) == to_snake_case(name), name


@pytest.mark.parametrize("dist", ["keras", "tf_keras"])
def test_table_is_what_the_script_reads_from_the_installed_package(make_keras_names, dist):
    """The installed version's names, read again from its sources, have the digest the
    table records and are all in the table: the data cannot drift from the script."""
    (source,) = (s for s in make_keras_names.SOURCES if s.dist == dist and s.version == "installed")
    root, version = make_keras_names.installed_root(dist)
    assert version == metadata.version(dist)
    names = make_keras_names.names_of(source, root)
    recorded = [s for s in covered_sources() if s["package"] == dist and s["version"] == version]
    assert recorded, f"the table does not cover the installed {dist} {version}: re-run the script"
    assert recorded[0]["sha256"] == make_keras_names.digest(names)
    generation = int(source.generation.removeprefix("keras"))
    every_kind = set().union(*(keras_names(kind, generation) for kind in NameKind))
    for kind, values in names.items():
        # A special name that is also another kind's is kept under that kind only.
        table = every_kind if kind == NameKind.SPECIAL else keras_names(NameKind(kind), generation)
        assert values <= table, kind


def test_table_file_is_sorted_and_complete():
    document = json.loads((ROOT / "src" / "kerascope" / "data" / "keras_names.json").read_text())
    assert set(document["names"]) == {"keras1", "keras2", "keras3"}
    for kinds in document["names"].values():
        assert set(kinds) == {kind.value for kind in NameKind}
        for names in kinds.values():
            assert names == sorted(set(names))
