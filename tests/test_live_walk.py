"""The live walk against what Keras itself says of real models."""

from __future__ import annotations

import pytest

import kerascope
from kerascope.examples import build_examples

from support.keras_truth import assert_report_matches_keras, config_or_error, every_layer
from support.model_zoo import BUILDERS


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_layer_once_with_its_own_config(any_keras, name):
    model = BUILDERS[name](any_keras)
    report = kerascope.inspect(model)
    assert_report_matches_keras(report, model)


def test_seed_examples_through_tf_keras_namespace():
    import tensorflow as tf

    for model in build_examples(tf.keras).values():
        assert_report_matches_keras(kerascope.inspect(model), model)


def test_seed_examples_through_legacy_tf_keras(tf_keras):
    for model in build_examples(tf_keras).values():
        assert_report_matches_keras(kerascope.inspect(model), model)


def test_hidden_dense_of_custom_layer_is_reported(any_keras):
    model = build_examples(any_keras)["custom_wrapper"]
    report = kerascope.inspect(model)
    inner = report["scaled/inner_dense"]
    keras_inner = model.get_layer("scaled").inner
    assert inner.role == "sublayer"
    assert inner.class_name == "Dense"
    assert inner.config == config_or_error(keras_inner)[0]
    assert "inner_dense" not in str(model.get_layer("scaled").get_config())
    assert [w.shape for w in inner.weights] == [list(w.shape) for w in keras_inner.weights]


def test_attention_projections_appear_under_the_block(any_keras):
    model = BUILDERS["transformer"](any_keras)
    report = kerascope.inspect(model)
    attention = model.get_layer("block").attention
    for projection in ("query", "key", "value"):
        node = report[f"block/attention/{projection}"]
        sublayer = getattr(attention, f"_{projection}_dense")
        assert node.class_name == type(sublayer).__name__ == "EinsumDense"
        assert node.role == "sublayer"
        assert node.trainable_params == sum(int(w.numpy().size) for w in sublayer.trainable_weights)


def test_nested_models_keep_their_roles_and_paths(any_keras):
    report = kerascope.inspect(BUILDERS["nested"](any_keras))
    assert report["middle"].role == "model"
    assert report["middle/innermost"].role == "model"
    assert report["middle/innermost/inner_dense"].role == "layer"
    assert report["middle/innermost/inner_in"].role == "input"
    assert report["middle/innermost/inner_dense"].depth == 3
    assert report.root.depth == 0


def test_shared_layer_appears_once_with_both_call_sites(any_keras):
    model = BUILDERS["shared"](any_keras)
    report = kerascope.inspect(model)
    tower = report["tower"]
    assert len(report.find("tower")) == 1
    assert [
        [(link.layer, link.node_index, link.tensor_index) for link in call] for call in tower.inbound
    ] == [
        [("left", 0, 0)],
        [("right", 0, 0)],
    ]
    merge = report["merge"]
    assert [(link.layer, link.node_index) for link in merge.inbound[0]] == [("tower", 0), ("tower", 1)]
    assert tower.output_shape == [None, 3]
    assert len(tower.output_shapes) == len(model.get_layer("tower")._inbound_nodes)


def test_multi_io_shapes_come_from_keras(any_keras):
    model = BUILDERS["multi_io"](any_keras)
    report = kerascope.inspect(model)
    for name in ("label", "score", "joined", "embed"):
        assert report[name].output_shape == list(model.get_layer(name).output.shape)
    assert [link.layer for link in report["joined"].inbound[0]] == ["embed", "numbers"]


def test_wrappers_show_their_inner_layers(any_keras):
    model = BUILDERS["recurrent"](any_keras)
    report = kerascope.inspect(model)
    bidirectional = model.get_layer("bi")
    children = {node.name for node in report.children(report["bi"])}
    assert {bidirectional.forward_layer.name, bidirectional.backward_layer.name} <= children
    timed_children = report.children(report["timed"])
    assert [node.class_name for node in timed_children] == ["Dense"]
    assert timed_children[0].role == "sublayer"


def test_get_config_that_raises_is_reported_and_walk_goes_on(any_keras):
    model = BUILDERS["raising_config"](any_keras)
    report = kerascope.inspect(model)
    fragile = report["fragile"]
    assert fragile.config is None
    assert fragile.config_error == "RuntimeError: Fragile cannot describe itself"
    assert report["fragile/proj"].config == config_or_error(model.get_layer("fragile").proj)[0]
    assert report.root.config_error is not None  # the model's own config includes the fragile layer
    assert len(report.layers) == len(every_layer(model))


def test_subclassed_model_layers_are_listed(any_keras):
    model = BUILDERS["subclassed"](any_keras)
    report = kerascope.inspect(model)
    assert [node.name for node in sorted(report.children(report.root), key=lambda n: n.index)] == [
        layer.name for layer in model.layers
    ]
    assert report[0].name == model.layers[0].name
    assert report["norm"].non_trainable_params == 12


def test_lookup_by_path_name_and_index(keras3):
    model = build_examples(keras3)["two_dense"]
    report = kerascope.inspect(model)
    assert report[0].name == model.layers[0].name == "hidden"
    assert report["1"].name == model.layers[1].name
    assert report["hidden"] is report[0]
    with pytest.raises(KeyError, match="out of range"):
        report[5]
    with pytest.raises(KeyError, match="no layer"):
        report["missing"]
    assert [node.name for node in report.find(class_name="Dense")] == ["hidden", "score"]
    assert [node.name for node in report.find("s*")] == ["score"]


def test_duplicate_sibling_names_get_distinct_paths(keras3):
    layers = keras3.layers

    class Twins(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.first = layers.Dense(2, name="dense")
            self.second = layers.Dense(2, name="dense")

        def call(self, inputs):
            return self.second(self.first(inputs))

    inputs = keras3.Input(shape=(2,), name="x")
    model = keras3.Model(inputs, Twins(name="twins")(inputs))
    report = kerascope.inspect(model)
    assert [node.path for node in report.layers] == ["x", "twins", "twins/dense", "twins/dense#2"]
    assert report["twins/dense#2"].name == "dense"
    with pytest.raises(KeyError, match="names 2 layers"):
        report["dense"]


def test_keras3_operations_are_ops_counted_apart_priced_and_read_the_same_from_the_file(keras3, tmp_path):
    """`x + y` and `x[..., 0]` in a functional graph are Keras 3 operations, not
    layers: role `op`, counted apart from `model.layers` in the header, priced as
    TensorFlow's profiler counts them (an AddV2 is one FLOP per output element, a
    strided slice none), live and from the saved file alike."""
    inputs = keras3.Input(shape=(4, 3), name="x")
    left = keras3.layers.Dense(3, name="left")(inputs)
    right = keras3.layers.Dense(3, name="right")(inputs)
    outputs = (left + right)[..., 0]
    model = keras3.Model(inputs, outputs, name="with_ops")
    model.save(tmp_path / "with_ops.keras")
    operations = [op for op in model._operations if not isinstance(op, keras3.layers.Layer)]
    assert sorted(type(op).__name__ for op in operations) == ["Add", "GetItem"]
    add = next(op for op in operations if type(op).__name__ == "Add")
    for report in (kerascope.inspect(model), kerascope.inspect(tmp_path / "with_ops.keras")):
        assert [(node.name, node.class_name) for node in report.layers if node.role == "op"] == [
            (op.name, type(op).__name__) for op in operations
        ]
        assert len(report.model_layers) == len(model.layers) == 3
        assert str(report).splitlines()[0].startswith("with_ops (Functional) · 3 layers, 2 ops")
        assert report[add.name].flops == 4 * 3 and report[add.name].macs == 0
        assert report.to_dict()["totals"]["ops"] == 2
    assert_report_matches_keras(kerascope.inspect(model), model)
