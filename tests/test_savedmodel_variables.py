"""SavedModels read without TensorFlow: the variables index, the variables each
layer holds, the serving signatures and the graph's ops, each compared with what
TensorFlow and Keras themselves say about SavedModels written in this test run."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import jsonschema
import numpy as np
import pytest

import kerascope
from kerascope.decoders.tensor_bundle import read_bundle_index
from kerascope.limits import DEFAULT_LIMITS
from kerascope.model.records import ModelReport, json_schema

from support.model_zoo import BUILDERS, containers, shared_across_models
from support.parity import assert_static_matches_live

TF_KERAS_MODELS = ["nested", "shared", "multi_io", "recurrent", "transformer", "subclassed", "containers"]
EXPORTED_MODELS = ["nested", "shared", "multi_io", "recurrent", "transformer", "subclassed", "containers"]


def _build(keras, name):
    return containers(keras) if name == "containers" else BUILDERS[name](keras)


@pytest.fixture(scope="module")
def tf(tf_keras):
    import tensorflow

    return tensorflow


@pytest.fixture(scope="module")
def tf_keras_saved(tf_keras, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tf_keras_savedmodels")
    saved = {}
    for name in TF_KERAS_MODELS:
        model = _build(tf_keras, name)
        model.save(folder / name, save_format="tf")
        saved[name] = (model, folder / name)
    return saved


@pytest.fixture(scope="module")
def exported(keras3, tmp_path_factory):
    folder = tmp_path_factory.mktemp("keras3_exports")
    saved = {}
    for name in EXPORTED_MODELS:
        model = _build(keras3, name)
        model.export(folder / name, verbose=False)
        saved[name] = (model, folder / name)
    return saved


@pytest.fixture(scope="module")
def module_saved(tf, tmp_path_factory):
    """`tf.saved_model.save` of a plain tf.Module: nested modules, a frozen variable, an int step."""

    class Dense(tf.Module):
        def __init__(self, units, name):
            super().__init__(name=name)
            self.kernel = tf.Variable(tf.ones((3, units)), name="kernel")
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")

    class Net(tf.Module):
        def __init__(self):
            super().__init__()
            self.first, self.second = Dense(4, "first"), Dense(2, "second")
            self.scale = tf.Variable(2.0, trainable=False, name="scale")
            # Checkpoint keys escape '/' and '.' in local names: 'extras/a.Sb..c/.ATTRIBUTES/...'.
            self.extras = {"a/b.c": tf.Variable([1.0, 2.0], name="escaped")}

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def __call__(self, x):
            tf.print("served", x)  # to standard error: not a file
            return {"y": tf.matmul(x, self.first.kernel) * self.scale, "z": tf.matmul(x, self.second.kernel)}

    net = Net()
    path = tmp_path_factory.mktemp("modules") / "net"
    tf.saved_model.save(net, str(path))
    return net, path


def every_savedmodel(tf_keras_saved, exported, module_saved):
    return [path for _, path in [*tf_keras_saved.values(), *exported.values(), module_saved]]


# -- the index -------------------------------------------------------------------------
def test_every_index_entry_is_what_tensorflow_reads(tf, tf_keras_saved, exported, module_saved):
    for path in every_savedmodel(tf_keras_saved, exported, module_saved):
        index = path / "variables" / "variables.index"
        bundle = read_bundle_index(index.read_bytes(), DEFAULT_LIMITS)
        reader = tf.train.load_checkpoint(str(path / "variables" / "variables"))
        shapes, dtypes = reader.get_variable_to_shape_map(), reader.get_variable_to_dtype_map()
        assert {entry.key for entry in bundle.entries} == set(shapes), path
        for entry in bundle.entries:
            assert entry.shape == list(shapes[entry.key]), (path, entry.key)
            assert entry.dtype == dtypes[entry.key].name, (path, entry.key)
        assert bundle.num_shards == 1 and not bundle.big_endian and bundle.version == 1


# -- tf_keras SavedModels: variables placed on their layers -----------------------------
@pytest.mark.parametrize("name", TF_KERAS_MODELS)
def test_tf_keras_savedmodel_params_are_keras_own(tf_keras_saved, name):
    model, path = tf_keras_saved[name]
    report = kerascope.inspect(path)
    assert report.format == "savedmodel"
    custom = {
        type(layer).__name__ for layer in model._flatten_layers() if "model_zoo" in type(layer).__module__
    }
    assert {f.code for f in report.findings} <= {"CUSTOM_CLASS"}, "no finding but the custom classes"
    assert all(any(name in f.message for f in report.findings) for name in custom)
    assert report.total_params == model.count_params()
    assert report.trainable_params == sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert report.non_trainable_params == sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    owned = Counter((w.name, tuple(w.shape), w.dtype) for node in report.nodes for w in node.weights)
    assert owned == Counter((w.name.removesuffix(":0"), tuple(w.shape), w.dtype.name) for w in model.weights)


@pytest.mark.parametrize("name", TF_KERAS_MODELS)
def test_tf_keras_savedmodel_weights_per_layer_match_the_live_model(tf_keras_saved, name):
    model, path = tf_keras_saved[name]
    static, live = kerascope.inspect(path), kerascope.inspect(model)
    if name != "subclassed":  # whose layers the metadata alone describes, their roles not all known
        assert_static_matches_live(static, live)
    # A subclassed model's hidden Sequential has its own InputLayer live, which the file does not track.
    assert {node.path for node in static.nodes} <= {node.path for node in live.nodes}
    for node in static.nodes:
        twin = live[node.path]
        assert [(w.name, w.shape, w.dtype) for w in node.weights] == [
            (w.name, w.shape, w.dtype) for w in twin.weights
        ], node.path
        assert (node.total_params, node.trainable_params) == (twin.total_params, twin.trainable_params), (
            node.path
        )


def test_variables_in_a_custom_layers_lists_and_frozen_layers(tf_keras_saved):
    model, path = tf_keras_saved["containers"]
    report = kerascope.inspect(path)
    stack = model.get_layer("stack")
    assert [w.shape for w in report["stack"].weights] == [list(w.shape) for w in stack._trainable_weights] + [
        list(w.shape) for w in stack._non_trainable_weights
    ]
    assert report["stack/block_1"].total_params == stack.blocks[1].count_params()
    assert report["stack"].non_trainable_params == 2
    assert report["frozen"].trainable_params == 0 and report["frozen"].non_trainable_params == 15
    assert [w.trainable for w in report["norm"].weights] == [True, True, False, False]


def test_a_variable_in_a_tf_module_a_layer_holds(tf, tf_keras, tmp_path):
    """Keras counts a variable inside a tf.Module attribute as the layer's own."""

    class Holder(tf_keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.box = tf.Module()
            self.box.scale = tf.Variable(tf.ones((3,)), name="scale")

        def call(self, inputs):
            return inputs * self.box.scale

    inputs = tf_keras.Input(shape=(3,))
    model = tf_keras.Model(inputs, tf_keras.layers.Dense(2, name="d")(Holder(name="holder")(inputs)))
    model.save(tmp_path / "holder", save_format="tf")
    static, live = kerascope.inspect(tmp_path / "holder"), kerascope.inspect(model)
    assert [f.code for f in static.findings] == ["CUSTOM_CLASS"] and "Holder" in static.findings[0].message
    assert static.total_params == model.count_params()
    assert [(w.name, w.shape) for w in static["holder"].weights] == [
        (w.name, w.shape) for w in live["holder"].weights
    ]


def test_a_variable_two_layers_hold_is_listed_under_each_and_counted_once(tf_keras, tmp_path):
    """A layer holding another layer's kernel (tied weights): Keras lists the kernel in
    both layers' weights and counts it once in the model's; so does the report."""
    dense = tf_keras.layers.Dense(3, name="dense")
    dense.build((None, 3))

    class Tied(tf_keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.tied_kernel = dense.kernel

        def call(self, inputs):
            return tf_keras.backend.dot(inputs, self.tied_kernel)

    inputs = tf_keras.Input(shape=(3,))
    tied = Tied(name="tied")
    model = tf_keras.Model(inputs, tied(dense(inputs)))
    model.save(tmp_path / "tied", save_format="tf")
    report = kerascope.inspect(tmp_path / "tied")
    assert report.total_params == model.count_params()
    assert report["dense"].total_params == dense.count_params()
    assert report["tied"].total_params == tied.count_params()
    assert [f.code for f in report.findings] == ["CUSTOM_CLASS"]
    assert sorted(w.name for w in report["dense"].weights) == sorted(
        w.name.removesuffix(":0") for w in dense.weights
    )
    assert [w.name for w in report["tied"].weights] == [dense.kernel.name.removesuffix(":0")]


def test_a_layer_two_models_share_is_counted_once(tf_keras, tmp_path):
    """The config lists the shared Dense in both models; the metadata describes it once.
    tf_keras loads it as one layer: both places hold its variables, counted once,
    as Keras counts them (the inner model's total includes it, as its own
    `count_params()` does). No finding: Keras loads this file."""
    model = shared_across_models(tf_keras)
    model.save(tmp_path / "sharing", save_format="tf")
    report = kerascope.inspect(tmp_path / "sharing")
    assert report["shared"].total_params == model.get_layer("shared").count_params()
    assert report["inner/shared"].weights == report["shared"].weights
    assert report["inner"].total_params == model.get_layer("inner").count_params()
    assert report.total_params == model.count_params()
    assert report.findings == []
    loaded = tf_keras.models.load_model(tmp_path / "sharing")
    assert loaded.count_params() == report.total_params


def test_missing_variables_folder_derives_params_from_the_config(tf_keras_saved, exported, tmp_path):
    """Without its variables, a Keras SavedModel's parameters follow from its config
    (derived, and marked so); an export has no config: its parameters are unknown."""
    for name, source in (("keras", tf_keras_saved["nested"][1]), ("export", exported["nested"][1])):
        copy = tmp_path / name
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns("variables"))
        report = kerascope.inspect(copy)
        assert "serving_default" in report.signatures
        if name == "export":
            assert report.total_params is None and all(not node.weights for node in report.nodes)
            continue
        assert report.total_params == tf_keras_saved["nested"][0].count_params()
        weighted = [node for node in report.nodes if node.weights]
        assert weighted and all(node.origin["weights"] == "derived" for node in weighted)


def test_files_of_two_saves_disagree(tf_keras, tmp_path):
    """The same layers with other units: the object graph and the checkpoint disagree on
    shapes; the checkpoint's variables are not the layer's, whose own follow from its config."""
    for units in (2, 3):
        model = tf_keras.Sequential([tf_keras.Input(shape=(4,)), tf_keras.layers.Dense(units, name="d")])
        model.save(tmp_path / f"units{units}", save_format="tf")
    shutil.rmtree(tmp_path / "units2" / "variables")
    shutil.copytree(tmp_path / "units3" / "variables", tmp_path / "units2" / "variables")
    report = kerascope.inspect(tmp_path / "units2")
    assert report.total_params == 4 * 2 + 2 and report["d"].origin["weights"] == "derived"
    assert {f.code for f in report.findings} == {"WEIGHTS_MISMATCH"}
    assert "the object graph says [4, 2], the checkpoint [4, 3]" in report.findings[0].message


def test_metadata_of_another_save_attaches_nothing(tf_keras, tmp_path):
    """The metadata of one save beside the variables of another: none of those
    variables is attached; the parameters are those the metadata's config derives."""
    tf_keras.Sequential([tf_keras.Input(shape=(4,)), tf_keras.layers.Dense(2)]).save(
        tmp_path / "a", save_format="tf"
    )
    described = BUILDERS["nested"](tf_keras)
    described.save(tmp_path / "b", save_format="tf")
    shutil.copy(tmp_path / "b" / "keras_metadata.pb", tmp_path / "a" / "keras_metadata.pb")
    report = kerascope.inspect(tmp_path / "a")
    assert report.total_params == described.count_params()
    assert all(node.origin.get("weights") != "weights" for node in report.nodes if node.weights)
    assert [f.code for f in report.findings] == ["WEIGHTS_MISMATCH"]
    assert "not of one save" in report.findings[0].message


# -- SavedModels without Keras metadata ------------------------------------------------
def signature_truth(tf, path):
    """Each serving signature as TensorFlow loads it: (dtype, shape) of inputs and outputs."""

    def spec(tensor):
        return tensor.dtype.name, tensor.shape.as_list() if tensor.shape.rank is not None else None

    loaded = tf.saved_model.load(str(path))
    truth = {}
    for name, function in loaded.signatures.items():
        args, kwargs = function.structured_input_signature
        assert args == ()
        truth[name] = (
            {key: spec(value) for key, value in kwargs.items()},
            {key: spec(value) for key, value in function.structured_outputs.items()},
        )
    return truth


def report_signatures(report):
    return {
        name: tuple(
            {key: (tensor["dtype"], tensor["shape"]) for key, tensor in signature[side].items()}
            for side in ("inputs", "outputs")
        )
        for name, signature in report.signatures.items()
    }


@pytest.mark.parametrize("name", EXPORTED_MODELS)
def test_keras3_export(tf, exported, name):
    model, path = exported[name]
    report = kerascope.inspect(path)
    assert report.format == "savedmodel-export"
    assert report.findings == []
    assert len(report.nodes) == 1 and report.root.class_name is None and report.root.config is None
    # An export keeps `model.variables`: the weights, and state such as an LSTM's seed
    # generators, which are counted apart: the parameters are count_params()'s.
    assert report.total_params == model.count_params()
    assert report.trainable_params == sum(int(np.prod(v.shape)) for v in model.trainable_weights)
    # Named as TensorFlow named the variables, which is not always Keras's path for them.
    assert Counter((tuple(w.shape), w.dtype) for w in report.root.weights) == Counter(
        (tuple(v.shape), v.dtype) for v in model.weights
    )
    assert all(w.name for w in report.root.weights)
    assert set(report.signatures) == {"serve", "serving_default"}
    assert report_signatures(report) == signature_truth(tf, path)


def test_keras3_export_counts_random_seed_states_apart_from_parameters(keras3, tmp_path):
    """An export keeps `model.variables`: a Dropout's seed state is one, though no
    weight; it is counted as state, so the parameters are `count_params()`'s."""
    inputs = keras3.Input(shape=(4,))
    outputs = keras3.layers.Dense(2)(keras3.layers.Dropout(0.5)(keras3.layers.Dense(4)(inputs)))
    model = keras3.Model(inputs, outputs)
    model.export(tmp_path / "dropout", verbose=False)
    seeds = [v for v in model.variables if v.path.endswith("seed_generator_state")]
    assert len(model.variables) == len(model.weights) + len(seeds) == len(model.weights) + 1
    report = kerascope.inspect(tmp_path / "dropout")
    assert report.total_params == model.count_params()
    assert report.metadata["random_seeds"] == {
        "variables": len(seeds),
        "parameters": sum(int(np.prod(v.shape)) for v in seeds),
    }
    assert not any(w.name.endswith("seed_generator_state") for w in report.root.weights)


def test_tf_module_saved_with_tf_saved_model_save(tf, module_saved):
    net, path = module_saved
    report = kerascope.inspect(path)
    assert report.format == "savedmodel-export"
    assert report.findings == []
    assert Counter((w.name, tuple(w.shape), w.dtype) for w in report.root.weights) == Counter(
        (v.name.removesuffix(":0"), tuple(v.shape), v.dtype.name) for v in net.variables
    )
    assert report.total_params == sum(int(np.prod(v.shape)) for v in net.variables)
    assert report.trainable_params == sum(int(np.prod(v.shape)) for v in net.trainable_variables)
    assert report_signatures(report) == signature_truth(tf, path)
    assert report.signatures["serving_default"]["inputs"]["x"]["name"] == "serving_default_x:0"
    keys = tf.train.load_checkpoint(str(path / "variables" / "variables")).get_variable_to_shape_map()
    assert "extras/a.Sb..c/.ATTRIBUTES/VARIABLE_VALUE" in keys


def test_tf_keras_model_saved_with_tf_saved_model_save(tf, tf_keras, tmp_path):
    model = containers(tf_keras)
    tf.saved_model.save(model, str(tmp_path / "plain"))
    report = kerascope.inspect(tmp_path / "plain")
    assert report.format == "savedmodel-export"
    assert report.total_params == model.count_params()
    assert report.trainable_params == sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_tensorflow_1_savedmodel(tf, tmp_path):
    path = tmp_path / "tf1"
    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
        w = tf.compat.v1.get_variable("w", [3, 2])
        y = tf.matmul(x, w, name="y")
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            builder = tf.compat.v1.saved_model.Builder(str(path))
            signature = tf.compat.v1.saved_model.predict_signature_def({"x": x}, {"y": y})
            builder.add_meta_graph_and_variables(
                session, ["serve"], signature_def_map={"serving_default": signature}
            )
            builder.save()
    report = kerascope.inspect(path)
    assert [(w.name, w.shape, w.dtype) for w in report.root.weights] == [("w", [3, 2], "float32")]
    assert report.total_params == 6 and report.trainable_params is None
    assert report.signatures["serving_default"]["inputs"]["x"] == {
        "name": "x:0",
        "dtype": "float32",
        "shape": [None, 3],
    }
    assert report.findings == []


def test_tf_serving_layout_reads_the_highest_version(exported, module_saved, tmp_path):
    served = tmp_path / "served_model"
    shutil.copytree(exported["nested"][1], served / "7")
    shutil.copytree(module_saved[1], served / "12")
    (served / "notes").mkdir()
    report = kerascope.inspect(served)
    assert report.source == str(served / "12")
    assert report.root.name == "served_model"
    assert set(report.signatures) == {"serving_default"}


@pytest.mark.parametrize("kind", ["keras", "export"])
def test_report_round_trip_and_schema(tf_keras_saved, exported, kind):
    path = tf_keras_saved["recurrent"][1] if kind == "keras" else exported["recurrent"][1]
    report = kerascope.inspect(path)
    data = json.loads(report.to_json())
    jsonschema.validate(data, json_schema())
    again = ModelReport.from_json(report.to_json())
    assert again.to_dict() == report.to_dict()
    assert again.signatures == report.signatures


# -- graph ops that reach outside the graph -----------------------------------------------
@pytest.fixture(scope="module")
def unsafe_saved(tf, tmp_path_factory):
    folder = tmp_path_factory.mktemp("unsafe")
    text = tf.TensorSpec([], tf.string)
    numbers = tf.TensorSpec([None], tf.float32)

    class Unsafe(tf.Module):
        def __init__(self):
            self.v = tf.Variable(1.0)

        @tf.function(input_signature=[text])
        def read(self, path):
            return {"content": tf.io.read_file(path), "found": tf.io.matching_files(path)}

        @tf.function(input_signature=[text, text])
        def write(self, path, content):
            tf.io.write_file(path, content)
            return {"ok": tf.constant(True)}

        @tf.function(input_signature=[numbers])
        def python(self, x):
            eager = tf.py_function(lambda t: t * 2, [x], tf.float32)
            stateful = tf.numpy_function(lambda t: t * 2, [x], tf.float32)
            return {"eager": eager, "numpy": stateful}

        @tf.function(input_signature=[text, numbers])
        def checkpoint(self, prefix, x):
            tf.raw_ops.SaveV2(prefix=prefix, tensor_names=["x"], shape_and_slices=[""], tensors=[x])
            return {"ok": tf.constant(True)}

        @tf.function(input_signature=[numbers])
        def log(self, x):
            tf.print(x, output_stream="file:///tmp/kerascope-never-written.log")
            return {"x": x}

    module = Unsafe()
    signatures = {name: getattr(module, name) for name in ("read", "write", "python", "checkpoint", "log")}
    tf.saved_model.save(module, str(folder / "unsafe"), signatures=signatures)
    return folder / "unsafe"


def test_ops_that_touch_files_or_run_python_are_errors(unsafe_saved):
    result = kerascope.check(unsafe_saved)
    unsafe = {f.message.split()[2]: f for f in result.findings if f.code == "SAVEDMODEL_UNSAFE_OP"}
    assert set(unsafe) == {
        "ReadFile",
        "MatchingFiles",
        "WriteFile",
        "EagerPyFunc",
        "PyFunc",
        "SaveV2",
        "PrintV2",
    }
    assert all(f.severity == "error" for f in unsafe.values())
    assert "outside the checkpoint saver" in unsafe["SaveV2"].message
    assert "function __inference_read" in unsafe["ReadFile"].message
    assert result.fails("error")


def test_ordinary_savedmodels_have_no_unsafe_op(tf_keras_saved, exported, module_saved):
    """Every SavedModel's saver runs SaveV2/RestoreV2/MergeV2Checkpoints; that is no finding."""
    for path in every_savedmodel(tf_keras_saved, exported, module_saved):
        assert [f for f in kerascope.check(path).findings if f.code == "SAVEDMODEL_UNSAFE_OP"] == [], path


def test_saved_model_info_lists_the_graphs_ops(tf, module_saved):
    from tensorflow.core.protobuf import saved_model_pb2

    from kerascope.decoders.saved_model_proto import saved_model_info

    data = (module_saved[1] / "saved_model.pb").read_bytes()
    proto = saved_model_pb2.SavedModel.FromString(data)
    truth = set()
    for graph in proto.meta_graphs:
        truth |= {node.op for node in graph.graph_def.node}
        truth |= {node.op for function in graph.graph_def.library.function for node in function.node_def}
    info = saved_model_info(data, DEFAULT_LIMITS)
    assert info.ops == truth
    assert {"SaveV2", "RestoreV2", "MergeV2Checkpoints", "PrintV2"} <= info.ops
    assert info.tags == ["serve"]
    assert info.tensorflow_version == tf.__version__


# -- SavedModels other people published ---------------------------------------------------
def test_corpus_savedmodels_against_tensorflow(tf):
    """Each readable SavedModel of the real-world corpus: its parameters are the
    variables TensorFlow restores, its signatures TensorFlow's; without a variables
    folder, parameters are unknown."""
    from support.corpus import CORPUS, REPAIRED, corpus_rows, require_corpus

    require_corpus()
    rows = [row for row in corpus_rows() if row["format"] == "savedmodel"]
    assert rows
    for row in rows:
        path = CORPUS / row["file"]
        result = kerascope.check(path)
        report = result.report
        # Two files' line endings went through git: read from a repaired copy, and said so;
        # their variables are read without a word (their configs' own findings aside).
        assert ("FILE_REPAIRED" in {f.code for f in result.findings}) == (row["file"] in REPAIRED)
        assert [f for f in result.findings if f.code.startswith("WEIGHTS_")] == [], row["file"]
        if not (path / "variables").is_dir() or not (path / "saved_model.pb").is_file():
            # No variables: the parameters follow from the config, as Keras builds it.
            assert report.total_params == _config_params(tf, report), row["file"]
            continue
        if row["file"] in REPAIRED or not _has_object_graph(path):
            # TensorFlow.NET wrote it, and TensorFlow cannot load its checkpoint's object
            # graph; or TensorFlow 1 wrote it, with no object graph at all (its variables are
            # graph nodes `tf.saved_model.load` cannot make objects of): TensorFlow's own
            # checkpoint reader says what variables the folder holds.
            listed = tf.train.list_variables(str(path / "variables" / "variables"))
            assert report.total_params == sum(
                int(np.prod(shape)) for name, shape in listed if name != "_CHECKPOINTABLE_OBJECT_GRAPH"
            )
            continue
        loaded = tf.saved_model.load(str(path))  # nothing unsafe in its graph, as checked above
        assert report.total_params == sum(int(np.prod(v.shape)) for v in loaded.variables), row["file"]
        assert report.trainable_params == sum(int(np.prod(v.shape)) for v in loaded.trainable_variables)
        assert report_signatures(report) == signature_truth(tf, path), row["file"]


def _config_params(tf, report):
    """What tf_keras counts for the model the config describes: built whole where
    tf_keras can build it; else (a Lambda's code is not run here, and initializers
    named after functions the file does not hold change no shape) each layer that
    holds weights rebuilt alone from its config, on the input shape the file's own
    metadata records for it."""
    import tf_keras

    try:
        model = tf_keras.models.model_from_config(
            {"class_name": report.root.class_name, "config": report.root.config}
        )
        return model.count_params()
    except (ValueError, TypeError):
        pass
    total = 0
    for node in report.layers:
        if node.children or node.class_name in ("InputLayer", "Lambda"):
            continue
        config = {
            key: ("glorot_uniform" if isinstance(value, str) and key.endswith("_initializer") else value)
            for key, value in node.config.items()
        }
        layer = tf_keras.layers.deserialize({"class_name": node.class_name, "config": config})
        if node.build_input_shape is not None:
            layer.build(node.build_input_shape)
        total += sum(int(np.prod(weight.shape)) for weight in layer.weights)
    return total


def _has_object_graph(path):
    """Whether TensorFlow 2 wrote the SavedModel: its meta graph holds an object graph."""
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel.FromString((path / "saved_model.pb").read_bytes())
    return any(graph.HasField("object_graph_def") for graph in proto.meta_graphs)


def test_reading_savedmodels_imports_no_framework(tf_keras_saved, exported, module_saved, unsafe_saved):
    from support.fresh_process import frameworks_imported_reading

    paths = [*every_savedmodel(tf_keras_saved, exported, module_saved), unsafe_saved]
    assert frameworks_imported_reading(paths) == []
