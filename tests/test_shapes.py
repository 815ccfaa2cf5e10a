"""The shape engine against Keras itself: every built-in layer's static output
shape equals Keras's `layer.output.shape`, weight names equal Keras's variable
names, FLOPs equal TensorFlow's profiler, on models built and saved in this run."""

from __future__ import annotations

import json
import math

import pytest

import kerascope
from kerascope.families import Build, known
from kerascope.model.vocabulary import Code, Origin

from support.model_zoo import BUILDERS as ZOO
from support.model_zoo import bert_classifier
from support.saved_files import layer_config, rewrite_config
from support.shape_zoo import BUILDERS, keras_output_shapes
from support.tf_profiler import profiler_flops

KERAS3_ONLY = {"ops"}


def assert_shapes_match(report, truth, where):
    """Every layer Keras knows a shape for has exactly that shape in the report."""
    assert truth, "Keras reported no layer"
    for path, shapes in truth.items():
        assert path in report, f"{where}: {path} missing"
        assert report[path].output_shapes == shapes, (where, path, report[path].class_name)


@pytest.fixture(scope="module")
def keras3_zoo(keras3, tmp_path_factory):
    folder = tmp_path_factory.mktemp("shapes_keras3")
    saved = {}
    for name, build in BUILDERS.items():
        model = build(keras3)
        model.save(folder / f"{name}.keras")
        saved[name] = (model, folder / f"{name}.keras")
    return saved


@pytest.fixture(scope="module")
def tf_keras_zoo(tf_keras, tmp_path_factory):
    folder = tmp_path_factory.mktemp("shapes_tf_keras")
    saved = {}
    for name, build in BUILDERS.items():
        if name in KERAS3_ONLY:
            continue
        model = build(tf_keras)
        model.save(folder / f"{name}.h5")
        (folder / f"{name}.json").write_text(model.to_json())
        saved[name] = (model, folder)
    return saved


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_keras_archive_shapes_equal_keras(keras3_zoo, name):
    model, path = keras3_zoo[name]
    report = kerascope.inspect(path)
    assert_shapes_match(report, keras_output_shapes(model), path.name)
    assert not [f for f in report.findings if f.code == Code.SHAPE_MISMATCH]
    outputs = [report[path_] for path_ in keras_output_shapes(model)]
    derived = [node for node in outputs if node.origin.get("shapes") == Origin.DERIVED]
    assert derived, "the engine filled shapes the file does not store"


@pytest.mark.parametrize("name", sorted(set(BUILDERS) - KERAS3_ONLY))
@pytest.mark.parametrize("suffix", [".h5", ".json"])
def test_tf_keras_file_shapes_equal_keras(tf_keras_zoo, name, suffix):
    model, folder = tf_keras_zoo[name]
    report = kerascope.inspect(folder / f"{name}{suffix}")
    assert_shapes_match(report, keras_output_shapes(model), f"{name}{suffix}")


@pytest.mark.parametrize("name", ["nested", "shared", "multi_io", "recurrent"])
def test_model_zoo_shapes_equal_keras(keras3, tmp_path, name):
    model = ZOO[name](keras3)
    model.save(tmp_path / "model.keras")
    assert_shapes_match(kerascope.inspect(tmp_path / "model.keras"), keras_output_shapes(model), name)


def test_keras1_spelling(tf_keras, tmp_path):
    """A Keras 1 config (Convolution2D, nb_filter, nb_row/nb_col, border_mode,
    subsample, dim_ordering 'th', output_dim, a bare-list Sequential with
    batch_input_shape on its first layer), written from a real tf_keras model's
    config, gets the shapes Keras gives that model."""
    L = tf_keras.layers
    model = tf_keras.Sequential(
        [
            L.Conv2D(
                6, (3, 2), strides=2, padding="same", data_format="channels_first", input_shape=(3, 20, 18)
            ),
            L.MaxPooling2D(2, data_format="channels_first"),
            L.Flatten(),
            L.Dense(5),
        ]
    )
    layers = []
    for layer in model.layers:
        config = layer.get_config()
        entry = {"class_name": type(layer).__name__, "config": {"name": config["name"]}}
        if isinstance(layer, L.Conv2D):
            entry["class_name"] = "Convolution2D"
            entry["config"].update(
                nb_filter=config["filters"],
                nb_row=config["kernel_size"][0],
                nb_col=config["kernel_size"][1],
                border_mode=config["padding"],
                subsample=list(config["strides"]),
                dim_ordering="th",
                batch_input_shape=[None, 3, 20, 18],
            )
        elif isinstance(layer, L.MaxPooling2D):
            entry["config"].update(pool_size=[2, 2], strides=[2, 2], border_mode="valid", dim_ordering="th")
        elif isinstance(layer, L.Dense):
            entry["config"].update(output_dim=config["units"])
        layers.append(entry)
    path = tmp_path / "keras1.json"
    path.write_text(json.dumps({"class_name": "Sequential", "config": layers, "keras_version": "1.2.2"}))
    report = kerascope.inspect(path)
    for layer in model.layers:
        assert report[layer.name].output_shapes == [layer.output_shape and list(layer.output_shape)], (
            layer.name
        )


@pytest.mark.slow
def test_kerashub_bert(keras3, tmp_path):
    """A KerasHub task stores constructor arguments, not a graph: a static read has no
    shapes to carry, and says so by leaving them unknown. A live walk prices the
    built-in layers from Keras's own shapes."""
    classifier = bert_classifier()
    classifier.save(tmp_path / "bert.keras")
    static = kerascope.inspect(tmp_path / "bert.keras")
    assert static.root.flops is None and not [f for f in static.findings if f.code == Code.SHAPE_MISMATCH]
    live = kerascope.inspect(classifier)
    logits = live["logits"]
    assert logits.output_shapes == keras_output_shapes(classifier)["logits"] == [[None, 3]]
    assert logits.flops == 2 * 8 * 3 + 3 and logits.macs == 8 * 3
    assert logits.weight_bytes == (8 * 3 + 3) * 4


# -- Keras Applications ---------------------------------------------------------------
def _application(keras, name):
    extra = {"input_shape": (224, 224, 3)} if "V3" in name else {}
    return getattr(keras.applications, name)(weights=None, **extra)


def _check_application(keras, name, folder):
    model = _application(keras, name)
    model.save(folder / f"{name}.keras")
    static = kerascope.inspect(folder / f"{name}.keras")
    live = kerascope.inspect(model)
    assert_shapes_match(static, keras_output_shapes(model), name)
    expected = profiler_flops(model)
    assert abs(static.root.flops / expected - 1) <= 0.02, (name, static.root.flops, expected)
    # A live walk lists layers, not Keras 3 operations (`x + 3.0`), so their few FLOPs are missing.
    assert abs(live.root.flops / expected - 1) <= 0.02, (name, live.root.flops, expected)
    _assert_weight_names(static, model)


def _assert_weight_names(report, model):
    """Derived names equal the last segment of each variable's path, on every built-in layer."""
    named = 0
    for layer in model._flatten_layers(include_self=False):
        if not layer.weights or type(layer).__module__.startswith("keras.src.applications"):
            continue
        if list(layer._flatten_layers(include_self=False, recursive=False)):
            continue  # a model or a layer with sublayers: its weights are its sublayers'
        path = next(node.path for node in report.nodes if node.name == layer.name)
        node = report[path]
        assert [w.name for w in node.weights] == [v.path.split("/")[-1] for v in layer.weights], path
        assert node.origin["weight_names"] == Origin.DERIVED
        named += 1
    assert named


@pytest.mark.parametrize("name", ["MobileNetV3Small", "MobileNetV2"])
def test_small_applications(keras3, tmp_path, name):
    _check_application(keras3, name, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["NASNetMobile", "EfficientNetB0", "DenseNet121", "InceptionV3", "ConvNeXtTiny"]
)
def test_applications(keras3, tmp_path, name):
    _check_application(keras3, name, tmp_path)


def test_weight_names_of_the_zoo(keras3_zoo):
    for name in ("core", "conv2d", "conv1d_3d", "recurrent", "attention", "prep"):
        model, path = keras3_zoo[name]
        report = kerascope.inspect(path)
        live = kerascope.inspect(model)
        for node in report.nodes:
            if node.weights and node.origin.get("weight_names") == Origin.DERIVED:
                assert [w.name for w in node.weights] == [
                    w.name.split("/")[-1] for w in live[node.path].weights
                ]
        unnamed = [n.path for n in report.nodes if any(w.name is None for w in n.weights)]
        assert unnamed == [], (name, unnamed)


# -- FLOPs per layer against the profiler ---------------------------------------------
def _single_layers(keras):
    L = keras.layers
    return [
        (L.Dense(5, activation="relu"), (3,)),
        (L.Dense(5, use_bias=False, activation="gelu"), (4, 3)),
        (L.Dense(4, activation="silu"), (3,)),
        (L.Conv2D(4, 3), (8, 8, 2)),
        (L.Conv2D(4, 3, strides=2, padding="same", activation="hard_silu"), (9, 9, 2)),
        (L.Conv2D(4, 3, data_format="channels_first"), (2, 8, 8)),
        (L.Conv1D(4, 3, dilation_rate=2), (9, 2)),
        (L.Conv3D(3, 2), (4, 4, 4, 2)),
        (L.Conv2D(4, 3, dilation_rate=2, padding="same"), (9, 8, 2)),
        (L.DepthwiseConv2D(3, depth_multiplier=2), (8, 8, 2)),
        (L.SeparableConv2D(4, 3, use_bias=False), (8, 8, 3)),
        (L.SeparableConv1D(4, 3), (8, 2)),
        (L.Conv2DTranspose(4, 3, strides=2), (6, 6, 2)),
        (L.BatchNormalization(), (5, 5, 3)),
        (L.BatchNormalization(scale=False, center=False), (4, 3)),
        (L.LayerNormalization(), (6, 4)),
        (L.LayerNormalization(center=False), (6, 4)),
        (L.LayerNormalization(scale=False), (2, 6, 4)),
        (L.MaxPooling2D(2), (8, 8, 2)),
        (L.AveragePooling2D(3, strides=2, padding="same"), (7, 7, 2)),
        (L.MaxPooling1D(2), (8, 2)),
        (L.GlobalAveragePooling2D(), (5, 5, 3)),
        (L.GlobalMaxPooling2D(), (5, 5, 3)),
        (L.Activation("softmax"), (6,)),
        (L.Activation("hard_sigmoid"), (6,)),
        (L.ReLU(6.0), (6,)),
        (L.Softmax(), (3, 6)),
        (L.Rescaling(1 / 255, offset=-1), (4, 4, 3)),
        (L.Normalization(mean=[0.1, 0.2, 0.3], variance=[1.0, 2.0, 3.0]), (4, 4, 3)),
        (L.Embedding(10, 4), (5,)),
        (L.ZeroPadding2D(), (4, 4, 3)),
        (L.UpSampling2D(), (4, 4, 3)),
        (L.Flatten(), (4, 4, 3)),
        (L.Dropout(0.5), (6,)),
    ]


def test_layer_flops_equal_the_profiler(keras3):
    wrong = []
    for layer, shape in _single_layers(keras3):
        inputs = keras3.Input(
            shape, dtype="int32" if isinstance(layer, keras3.layers.Embedding) else "float32"
        )
        model = keras3.Model(inputs, layer(inputs))
        report = kerascope.inspect(model)
        expected = profiler_flops(model)
        if report.root.flops != expected:
            wrong.append(
                (type(layer).__name__, layer.get_config().get("activation"), report.root.flops, expected)
            )
        assert report.root.macs is not None and report.root.flops >= 2 * report.root.macs
        assert "flops" not in report.root.estimated
    assert wrong == []


def test_grouped_convolution_follows_the_profiler(keras3):
    """Keras runs a grouped convolution as an XLA function the profiler does not see."""
    inputs = keras3.Input((8, 8, 4))
    model = keras3.Model(inputs, keras3.layers.Conv2D(4, 3, groups=4)(inputs))
    report = kerascope.inspect(model)
    assert report.root.flops == profiler_flops(model) == 0
    assert report.root.macs == 6 * 6 * 4 * 9 and "flops" in report.root.estimated


def test_merge_flops_equal_the_profiler(keras3):
    L = keras3.layers
    a, b, c = (keras3.Input((4, 3)) for _ in range(3))
    for merge in (L.Add(), L.Multiply(), L.Average(), L.Maximum(), L.Concatenate()):
        model = keras3.Model([a, b, c], merge([a, b, c]))
        assert kerascope.inspect(model).root.flops == profiler_flops(model), type(merge).__name__


def test_recurrent_flops_equal_the_profiler_unrolled(keras3):
    """The profiler counts a loop body once; unrolled, it counts every step, as kerascope does
    for the matrix products (gate arithmetic is left out, and marked estimated)."""
    L = keras3.layers
    inputs = keras3.Input((5, 3))
    model = keras3.Model(inputs, L.SimpleRNN(4, unroll=True)(inputs))
    report = kerascope.inspect(model)
    assert "flops" in report["simple_rnn"].estimated
    assert report.root.flops == pytest.approx(profiler_flops(model), rel=0.15)


@pytest.mark.parametrize(
    ("arguments", "shape"),
    [
        ({"groups": 2}, (5, 5, 4)),
        ({"groups": 4, "center": False}, (6, 4)),
        ({"groups": 1, "scale": False}, (3, 6, 8)),
        ({"groups": 2, "scale": False, "center": False}, (5, 4)),
        ({"groups": -1}, (3, 7, 6)),
        ({"groups": 3, "axis": 1}, (6, 5, 4)),
        ({"groups": 2}, (3, 5, 5, 4)),
    ],
)
def test_group_normalization_against_keras(keras3, tmp_path, arguments, shape):
    """GroupNormalization (diffusion models' VAEs and U-Nets): its shape, its weights'
    names and shapes from its config and input shape, and its FLOPs, each as Keras and
    TensorFlow's profiler give them."""
    inputs = keras3.Input(shape, name="x")
    layer = keras3.layers.GroupNormalization(name="norm", **arguments)
    model = keras3.Model(inputs, layer(inputs))
    model.save(tmp_path / "model.keras")
    report = kerascope.inspect(tmp_path / "model.keras")
    node = report["norm"]
    assert node.output_shapes == keras_output_shapes(model)["norm"]
    assert [w.name for w in node.weights] == [v.path.split("/")[-1] for v in layer.weights]
    assert node.origin.get("weight_names") == (Origin.DERIVED if layer.weights else None)
    variables = known("GroupNormalization").weights(Build(layer.get_config(), (None, *shape)))
    assert [(v.name, v.shape, v.trainable) for v in variables] == [
        (v.path.split("/")[-1], list(v.shape), v.trainable) for v in layer.weights
    ]
    assert sum(math.prod(v.shape) for v in variables) == report.root.total_params == model.count_params()
    assert report.root.flops == kerascope.inspect(model).root.flops == profiler_flops(model)
    assert report.root.macs == 0 and "flops" not in report.root.estimated


def test_spectral_normalization_outputs_what_it_wraps(keras3, tmp_path):
    """SpectralNormalization is a wrapper: its output is its layer's, not its input."""
    L = keras3.layers
    image = keras3.Input((8, 8, 3), name="image")
    y = L.SpectralNormalization(L.Conv2D(4, 3, name="inner_conv"), name="conv")(image)
    y = L.SpectralNormalization(L.Dense(5, name="inner_dense"), name="dense")(L.Flatten(name="flat")(y))
    model = keras3.Model(image, L.Dense(2, name="out")(y))
    model.save(tmp_path / "model.keras")
    report = kerascope.inspect(tmp_path / "model.keras")
    assert_shapes_match(report, keras_output_shapes(model), "model.keras")
    assert not [f for f in report.findings if f.code == Code.SHAPE_MISMATCH]


# -- costs, memory and what-if inputs -------------------------------------------------
def test_memory_and_totals(keras3):
    L = keras3.layers
    inputs = keras3.Input((8,), name="x")
    hidden = L.Dense(16, name="hidden", dtype="mixed_float16")(inputs)
    model = keras3.Model(inputs, L.Dense(2, name="out")(hidden))
    report = kerascope.inspect(model)
    assert report["hidden"].weight_bytes == (8 * 16 + 16) * 4, "mixed precision keeps float32 variables"
    assert report["hidden"].activation_bytes == 16 * 2, "and computes in float16"
    assert report["out"].activation_bytes == 2 * 4
    assert report.root.weight_bytes == report["hidden"].weight_bytes + report["out"].weight_bytes
    assert report.root.flops == report["hidden"].flops + report["out"].flops == profiler_flops(model)
    totals = report.to_dict()["totals"]
    assert totals["flops"] == report.root.flops and totals["macs"] == 8 * 16 + 16 * 2
    assert "activation_bytes" in report.root.estimated
    assert report.assumptions == {
        "batch_size": 1,
        "batch_size_given": False,
        "input_shapes": {"x": [1, 8]},
        "default_batch_for": ["x"],
    }


def test_what_if_input_shapes(keras3, tmp_path):
    """A fully convolutional model saved with unknown spatial size, priced at a given
    size and batch, has the shapes and FLOPs of the same model built at that size."""

    def build(shape):
        L = keras3.layers
        inputs = keras3.Input(shape, name="image")
        x = L.Conv2D(8, 3, strides=2, padding="same", name="c1")(inputs)
        x = L.DepthwiseConv2D(3, name="dw")(x)
        return keras3.Model(inputs, L.GlobalAveragePooling2D(name="gap")(x))

    build((None, None, 3)).save(tmp_path / "open.keras")
    unknown = kerascope.inspect(tmp_path / "open.keras")
    assert unknown["c1"].output_shapes == [[None, None, None, 8]] and unknown.root.flops is None
    fixed = build((40, 30, 3))
    report = kerascope.inspect(
        tmp_path / "open.keras", input_shapes={"image": [None, 40, 30, 3]}, batch_size=3
    )
    truth = keras_output_shapes(fixed)
    for path, shapes in truth.items():
        assert report[path].output_shapes == [[3, *shapes[0][1:]]], path
    assert report.root.flops == 3 * profiler_flops(fixed)
    assert report.assumptions["input_shapes"] == {"image": [3, 40, 30, 3]}
    assert report.assumptions["default_batch_for"] == []
    single = kerascope.inspect(tmp_path / "open.keras", input_shapes={None: [1, 40, 30, 3]})
    assert single.root.flops == profiler_flops(fixed)


def test_live_shapes_are_kept(keras3):
    model = BUILDERS["conv2d"](keras3)
    report = kerascope.inspect(model, batch_size=4)
    truth = keras_output_shapes(model)["conv_same"]
    assert truth[0][0] is None and report["conv_same"].output_shapes == truth, "Keras's own shapes, kept"
    assert report.root.flops == profiler_flops(model, batch=4)


def test_bad_what_if_is_one_error(keras3, tmp_path):
    model = BUILDERS["merging"](keras3)
    model.save(tmp_path / "m.keras")
    with pytest.raises(kerascope.KerascopeError, match="3 inputs"):
        kerascope.inspect(tmp_path / "m.keras", input_shapes={None: [1, 4, 3]})
    with pytest.raises(kerascope.KerascopeError, match="no input named"):
        kerascope.inspect(tmp_path / "m.keras", input_shapes={"nope": [1, 4, 3]})
    with pytest.raises(kerascope.KerascopeError, match="batch size"):
        kerascope.inspect(tmp_path / "m.keras", batch_size=0)


def test_cli_flags(keras3, tmp_path, capsys):
    from kerascope.cli import main

    model = BUILDERS["sequential"](keras3)
    model.save(tmp_path / "seq.keras")
    columns = "path,output_shape,macs,flops,weight_bytes,activation_bytes"
    code = main(
        ["inspect", str(tmp_path / "seq.keras"), "--batch-size", "2", "--format", "csv", "--columns", columns]
    )
    out = capsys.readouterr().out
    assert code == 0
    rows = dict(line.split(",", 1) for line in out.strip().splitlines()[1:])
    assert rows["probs"].startswith('"(2, 10)"') or rows["probs"].startswith("(2, 10)")
    assert main(["inspect", str(tmp_path / "seq.keras"), "--input-shape", "x=1,2", "--format", "json"]) == 2
    assert "no input named" in capsys.readouterr().err
    assert main(["inspect", str(tmp_path / "seq.keras"), "--input-shape", "1,16,16,1", "-f", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["totals"]["flops"] == profiler_flops(model)


# -- findings and bounds --------------------------------------------------------------
def test_stored_shape_that_disagrees_is_kept_and_reported(keras3, tmp_path):
    model = BUILDERS["sequential"](keras3)
    model.save(tmp_path / "seq.keras")
    # In a Sequential the next layer's build shape is this layer's stored output.
    rewrite_config(
        tmp_path / "seq.keras",
        tmp_path / "edited.keras",
        lambda c: layer_config(c, "flat")["build_config"].update(input_shape=[None, 7, 7, 9]),
    )
    report = kerascope.inspect(tmp_path / "edited.keras")
    assert report["c2"].output_shapes == [[None, 7, 7, 9]], "the stored shape is kept"
    found = [f for f in report.findings if f.code == Code.SHAPE_MISMATCH]
    # c2's rule disagrees with the edited shape, and so (fed that shape) does flat's with logits' build shape.
    assert [f.path for f in found] == ["c2", "flat"] and "(None, 7, 7, 8)" in found[0].message


def test_a_stored_shape_that_is_no_shape_is_reported_and_derived_instead(keras3, tmp_path):
    """A build shape of numbers no shape holds (a float, text with terminal escapes):
    a finding, and the layer's output shape is Keras's rule's, never the stored text."""
    model = BUILDERS["sequential"](keras3)
    model.save(tmp_path / "seq.keras")
    rewrite_config(
        tmp_path / "seq.keras",
        tmp_path / "edited.keras",
        lambda c: layer_config(c, "flat")["build_config"].update(input_shape=[None, 1e308, "\x1b[31m", 8]),
    )
    report = kerascope.inspect(tmp_path / "edited.keras")
    assert report["c2"].output_shapes == keras_output_shapes(model)["c2"]
    assert report["c2"].origin["shapes"] == Origin.DERIVED
    found = [f for f in report.findings if f.code == Code.SHAPE_OUT_OF_RANGE]
    assert [f.path for f in found] == ["c2"] and "not a list of whole numbers" in found[0].message


@pytest.mark.parametrize(
    "edit",
    [
        lambda c: layer_config(c, "reshape")["config"].update(target_shape=[10**12, -1]),
        lambda c: layer_config(c, "dense")["config"].update(units=10**15),
        lambda c: layer_config(c, "x")["config"].update(batch_shape=[None, 10**4000, 4]),
        lambda c: layer_config(c, "x")["config"].update(batch_shape=[None] + [2] * 100_000),
        lambda c: layer_config(c, "flat")["config"].update(dims=[2] * 100_000),
        lambda c: layer_config(c, "dense")["inbound_nodes"][0]["args"][0]["config"].update(
            keras_history=["ln", 0, 0]
        ),
        lambda c: layer_config(c, "repeat")["config"].update(n=True),
    ],
    ids=["huge-reshape", "huge-units", "huge-dimension", "huge-rank", "huge-permute", "cycle", "bool-as-int"],
)
def test_hostile_numbers_give_unknown_not_a_blow_up(keras3, tmp_path, edit):
    model = BUILDERS["core"](keras3)
    model.save(tmp_path / "core.keras")
    rewrite_config(tmp_path / "core.keras", tmp_path / "bad.keras", edit)
    report = kerascope.inspect(tmp_path / "bad.keras", time_limit=60)  # a blow-up would give up
    json.dumps(report.to_dict())  # every figure is a plain, bounded number
    flops = report.root.flops
    assert flops is None or flops < 2**64


def _custom_in_the_middle(keras, functional):
    """Dense(3) -> a custom layer that doubles the features -> Dense(2): the engine has
    no rule for the custom class, so its output shape is only what the file stores."""

    class Twice(keras.layers.Layer):
        def call(self, inputs):
            return keras.layers.Concatenate()([inputs, inputs])

    layers = [keras.layers.Dense(3, name="d1"), Twice(name="twice"), keras.layers.Dense(2, name="d2")]
    if not functional:
        return keras.Sequential([keras.Input((4,)), *layers], name="seq")
    tensor = inputs = keras.Input((4,), name="x")
    for layer in layers:
        tensor = layer(tensor)
    return keras.Model(inputs, tensor, name="func")


@pytest.mark.parametrize(
    ("package", "functional", "file_name"),
    [
        ("keras3", False, "model.keras"),
        ("keras3", True, "model.keras"),
        ("keras3", True, "model.h5"),
        ("keras3", True, "model.json"),
        ("tf_keras", False, "savedmodel"),
    ],
)
def test_stored_shapes_carry_the_read_past_a_custom_layer(request, tmp_path, package, functional, file_name):
    """Where the file stores a shape (a consumer's input tensor in a Keras 3 graph, the
    next layer's build shape in a Sequential, beside the config in a SavedModel), the
    report has it, marked as stored, even past a class the engine cannot size."""
    keras = request.getfixturevalue(package)
    model = _custom_in_the_middle(keras, functional)
    if file_name == "model.json":
        (tmp_path / file_name).write_text(model.to_json())
    else:
        model.save(tmp_path / file_name, **({"save_format": "tf"} if file_name == "savedmodel" else {}))
    report = kerascope.inspect(tmp_path / file_name)
    assert report["twice"].class_name == "Twice"
    assert report["twice"].output_shapes == [[None, 6]] == keras_output_shapes(model)["twice"]
    assert report["twice"].origin["shapes"] == Origin.CONFIG
    assert_shapes_match(report, keras_output_shapes(model), f"{package} {file_name}")


def test_a_shape_no_file_stores_is_unknown(keras3, tmp_path):
    """Keras 3 writes a Sequential to `.h5` with no shape past its input: the custom
    layer's output, and so everything after it, is unknown, not guessed."""
    model = _custom_in_the_middle(keras3, functional=False)
    model.save(tmp_path / "model.h5")
    report = kerascope.inspect(tmp_path / "model.h5")
    assert report["d1"].output_shapes == keras_output_shapes(model)["d1"] == [[None, 3]]
    assert report["twice"].output_shapes is None
    assert report["d2"].output_shapes is None


@pytest.mark.parametrize(
    ("package", "file_name"),
    [("keras3", "model.keras"), ("keras3", "model.h5"), ("tf_keras", "model.h5"), ("tf_keras", "model.json")],
)
def test_a_sequential_whose_first_layer_passes_its_input_on(request, tmp_path, package, file_name):
    """A Sequential's InputLayer stores its shape as a list; a first layer whose output
    is its input (Rescaling, Dropout, Normalization) carries it on as a shape (a real
    Keras 2.12 file crashed the engine: corpus h5_full/41Leahcim__astronomy_pipeline__model.keras)."""
    keras = request.getfixturevalue(package)
    L = keras.layers
    model = keras.Sequential(
        [
            keras.Input((19,), name="features"),
            L.Rescaling(0.5, name="scale"),
            L.Dropout(0.1, name="drop"),
            L.Dense(3, name="out"),
        ]
    )
    if file_name == "model.json":
        (tmp_path / file_name).write_text(model.to_json())
    else:
        model.save(tmp_path / file_name)
    report = kerascope.inspect(tmp_path / file_name)
    assert_shapes_match(report, keras_output_shapes(model), f"{package} {file_name}")
    assert report["scale"].output_shapes == [[None, 19]]
