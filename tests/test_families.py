"""What `kerascope.families` knows about each built-in class, against Keras itself: the
sublayers a layer's own code creates (attribute, class, name, order), and the variables
its `build()` creates (names, shapes from config and input shape, which train)."""

from __future__ import annotations

import json

import pytest

from kerascope.analysis.keras_names import NameKind, is_keras_name
from kerascope.families import Build, known, registry
from kerascope.families.knowledge import no_weights

from support.shape_zoo import BUILDERS


def _tracked(layer):
    """The layers Keras tracks directly inside `layer`, in the order it tracks them."""
    return list(layer._flatten_layers(include_self=False, recursive=False))


def _built_with_sublayers(keras):
    """One built instance of every class whose record lists sublayers it creates or is
    given in its config, by registry key, with the input shapes it was built on."""
    L = keras.layers
    steps = keras.Input((5, 3), name="steps")
    frames = keras.Input((4, 6, 6, 2), name="frames")
    query = keras.Input((5, 8), name="query")
    memory = keras.Input((7, 6), name="memory")
    built = {
        "SimpleRNN": (L.SimpleRNN(2, name="simple"), [steps]),
        "LSTM": (L.LSTM(3, name="long"), [steps]),
        "GRU": (L.GRU(4, reset_after=False, name="gated"), [steps]),
        "ConvLSTM1D": (L.ConvLSTM1D(2, 3, name="conv1"), [keras.Input((4, 6, 2), name="line")]),
        "ConvLSTM2D": (L.ConvLSTM2D(2, 3, name="conv2"), [frames]),
        "RNN": (L.RNN([L.LSTMCell(3, name="first"), L.GRUCell(2, name="second")], name="stack"), [steps]),
        "Bidirectional": (
            L.Bidirectional(L.LSTM(3, return_sequences=True, name="inner"), name="both"),
            [steps],
        ),
        "TimeDistributed": (L.TimeDistributed(L.Dense(2, name="per_step"), name="timed"), [steps]),
        "MultiHeadAttention": (
            L.MultiHeadAttention(2, 4, value_dim=3, output_shape=5, name="heads"),
            [query, memory],
        ),
    }
    if hasattr(L, "ConvLSTM3D"):
        built["ConvLSTM3D"] = (
            L.ConvLSTM3D(2, 3, name="conv3"),
            [keras.Input((3, 5, 5, 5, 2), name="volume")],
        )
    if hasattr(L, "GroupQueryAttention"):
        built["MultiHeadAttention"] = (
            L.MultiHeadAttention(2, 4, value_dim=3, output_shape=5, use_gate=True, name="heads"),
            [query, memory],
        )
        built["GroupedQueryAttention"] = (
            L.GroupQueryAttention(4, 4, 2, use_gate=True, name="grouped"),
            [query, query],
        )
        built["TextVectorization"] = (
            L.TextVectorization(vocabulary=["a", "b"], name="text"),
            [keras.Input((1,), dtype="string", name="strings")],
        )
    for layer, inputs in built.values():
        layer(*inputs)
    return {key: (layer, [tuple(x.shape) for x in inputs]) for key, (layer, inputs) in built.items()}


def _created(keras, key, layer):
    """The sublayers the record says Keras (3, or TF-Keras) creates in `layer`, and the
    objects Keras holds at each one's attribute (an item of a list for a container)."""
    keras3 = keras.__name__ == "keras"
    subs = known(key).created(_stored_config(layer), keras3)
    held, positions = [], {}
    for sub in subs:
        attribute = sub.attribute_in(keras3)
        value = getattr(layer, attribute)
        if sub.container:
            positions[attribute] = positions.get(attribute, -1) + 1
            value = value[positions[attribute]]
        held.append(value)
    return subs, held


@pytest.mark.parametrize("package", ["keras3", "tf_keras"])
def test_every_sublayer_is_the_one_keras_creates(package, request):
    """Each record's sublayers are exactly what Keras tracks inside a built instance, in
    Keras's order: held in that attribute, of that class, with that name; in Keras 3
    and in TF-Keras, which keep some elsewhere or not at all."""
    keras = request.getfixturevalue(package)
    built = _built_with_sublayers(keras)
    if package == "keras3":
        with_sublayers = {entry.key for entry in registry.every() if entry.sublayers or entry.inner}
        assert set(built) == with_sublayers - {"StackedRNNCells"}, (
            "every record with sublayers is checked here"
        )
    for key, (layer, _) in built.items():
        subs, held = _created(keras, key, layer)
        assert sorted(map(id, held)) == sorted(map(id, _tracked(layer))), key
        if package == "keras3":
            assert [id(item) for item in held] == [id(item) for item in _tracked(layer)], key
        for sub, item in zip(subs, held, strict=True):
            assert type(item).__name__ in (sub.class_name, _PYTHON_CLASS.get(sub.class_name)), (key, sub)
            if sub.name is not None:
                assert item.name == sub.name, (key, sub.attribute)
            if sub.class_name == "StackedRNNCells":
                _, cells = _created(keras, "StackedRNNCells", item)
                assert [id(cell) for cell in cells] == [id(cell) for cell in item.cells]


# A class a config names by its public alias.
_PYTHON_CLASS = {"GroupQueryAttention": "GroupedQueryAttention"}


def _single_layers(keras):
    """Layers whose weights the shape zoo does not already cover, by input shape."""
    L = keras.layers
    return [
        (L.Conv2D(4, 3, groups=2, use_bias=False, name="single_0"), (8, 8, 4)),
        (L.Conv3DTranspose(2, 2, data_format="channels_first", name="single_1"), (3, 4, 4, 4)),
        (L.DepthwiseConv1D(3, depth_multiplier=2, name="single_2"), (9, 3)),
        (L.SeparableConv2D(4, 3, depth_multiplier=3, name="single_3"), (8, 8, 2)),
        (L.BatchNormalization(axis=1, center=False, name="single_4"), (3, 5, 5)),
        (L.LayerNormalization(axis=[1, 2], rms_scaling=True, name="single_5"), (4, 5, 6)),
        (L.GroupNormalization(groups=2, scale=False, name="single_6"), (5, 4)),
        (L.RMSNormalization(name="single_7"), (6, 4)),
        (L.PReLU(shared_axes=[1, 2], name="single_8"), (4, 4, 3)),
        (L.PReLU(name="single_9"), (4, 3)),
        (L.Normalization(axis=[1, -1], name="single_10"), (4, 5, 3)),
        (L.Normalization(mean=[0.1, 0.2], variance=[1.0, 2.0], name="single_11"), (3, 2)),
        (L.Embedding(10, 4, name="single_12"), (5,)),
        (L.EinsumDense("abc,cde->abde", output_shape=(None, 3, 2), bias_axes="e", name="single_13"), (6, 4)),
        (L.EinsumDense("...b,bc->...c", output_shape=5, bias_axes="c", name="single_14"), (3, 4, 2)),
        (L.EinsumDense("ab...,bc->ac...", output_shape=(5, 3), bias_axes="c", name="single_15"), (4, 3)),
        (L.GRU(3, reset_after=False, name="single_16"), (5, 2)),
        (L.SimpleRNN(2, use_bias=False, name="single_17"), (5, 2)),
    ]


def _stored_config(layer):
    """A layer's config as a file stores it: JSON (tuples and TensorFlow shapes become lists)."""
    return json.loads(json.dumps(layer.get_config(), default=lambda value: value.as_list()))


def _built_on(layer):
    """The (first) input shape Keras built `layer` on, as its build recorded it."""
    recorded = getattr(layer, "_build_shapes_dict", None)
    if not recorded:
        return None
    shape = next(iter(recorded.values()))
    return tuple(shape[0]) if shape and isinstance(shape[0], (list, tuple)) else tuple(shape)


def _layers(keras):
    """Every layer of the shape zoo and the single layers above, built by a call."""
    found = [layer for build in BUILDERS.values() for layer in build(keras).layers]
    for layer, shape in _single_layers(keras):
        dtype = "int32" if isinstance(layer, keras.layers.Embedding) else "float32"
        layer(keras.Input(shape, dtype=dtype, name=f"{layer.name}_input"))
        found.append(layer)
    return found


@pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`")
def test_weights_from_config_and_input_shape_are_keras_own(keras3):
    """Every weight rule gives, from a layer's config and input shape, the variables its
    `build()` creates: the same names in the same order, the same shapes, the same
    trainability; for sublayers the same, from the config their parent passes on."""
    checked = set()
    for layer in _layers(keras3):
        key, shape = type(layer).__name__, _built_on(layer)
        entry = known(key)
        if entry is None or shape is None:
            continue
        if entry.weights is not None:
            variables = entry.weights(Build(_stored_config(layer), shape))
            assert [(v.name, v.shape, v.trainable) for v in variables] == [
                (v.path.split("/")[-1], list(v.shape), v.trainable)
                for v in layer.weights
                if not any(v is w for sub in _tracked(layer) for w in sub.weights)
            ], key
            checked.add(key)
            checked.add(key)
    assert {
        entry.key
        for entry in registry.every()
        if entry.weights is not None and entry.weights is not no_weights
    } - checked == {"SyncBatchNormalization", "CuDNNLSTM", "CuDNNGRU"} | _CELLS
    # SyncBatchNormalization is TF-Keras only and its rule BatchNormalization's; TF 1's CuDNN
    # layers are not in today's Keras; the cells are checked inside their layers, below.


_CELLS = {"LSTMCell", "GRUCell", "SimpleRNNCell", "ConvLSTMCell"}


@pytest.mark.parametrize("package", ["keras3", "tf_keras"])
def test_sublayers_are_built_on_what_their_parent_passes_on(package, request):
    """Each sublayer's variables follow, exactly, from its parent's config and input
    shapes through what the record says the parent passes on to it (`built_on`)."""
    keras = request.getfixturevalue(package)
    for key, (layer, shapes) in _built_with_sublayers(keras).items():
        parent = Build(_stored_config(layer), shapes[0], inputs=shapes)
        stack = [(key, layer, parent)]
        while stack:
            at_key, at, build = stack.pop()
            subs, held = _created(keras, at_key, at)
            for sub, inner in zip(subs, held, strict=True):
                given = sub.built_on(build)
                config = {**given.config, **(sub.serialized or {}).get("config", {})}
                inner_build = Build(config, given.input_shape, inputs=given.inputs)
                rule = known(sub.class_name).weights
                variables = rule(inner_build)
                assert [(v.name, v.shape, v.trainable) for v in variables] == [
                    (v.name.split("/")[-1].removesuffix(":0"), list(v.shape), v.trainable)
                    for v in inner.weights
                    if not any(v is w for deeper in _tracked(inner) for w in deeper.weights)
                ], (key, sub.attribute)
                stack.append((sub.class_name, inner, inner_build))


def test_every_class_key_is_a_name_keras_serializes():
    """A class key, or an older name, that no Keras generation resolves is a typo: the
    class-name tables (`data/keras_names.json`, generated from Keras's sources) say."""
    keys = [entry.key for entry in registry.every() if ":" not in entry.key]
    assert keys
    assert [key for key in [*keys, *registry.older_names()] if not is_keras_name(key, NameKind.LAYER)] == []


@pytest.mark.parametrize("key", ["Dense", "op:Add", "app:LayerScale", "Conv2D"])
def test_one_entry_per_key(key):
    """A key is registered once; registering it again is refused."""
    entry = known(key)
    assert entry is not None and entry.key == key
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(entry)
