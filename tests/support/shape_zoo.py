"""Small real models covering Keras's built-in layer classes, for the shape engine,
built by whichever Keras package is passed in (Keras 3 or tf_keras), and what
Keras itself says each layer's outputs are.

A builder returns None when the package lacks a layer (a Keras 3-only class).
"""

from __future__ import annotations

from typing import Any


def _has(keras: Any, *names: str) -> bool:
    return all(hasattr(keras.layers, name) for name in names)


def core(keras: Any) -> Any:
    L = keras.layers
    x = keras.Input((6, 4), name="x")
    y = L.Dense(5, activation="relu", name="dense")(x)
    y = L.Dropout(0.1, name="drop")(y)
    y = L.LayerNormalization(name="ln")(y)
    y = L.BatchNormalization(name="bn")(y)
    y = L.Activation("softmax", name="act")(y)
    y = L.Permute((2, 1), name="permute")(y)
    y = L.Reshape((-1, 2), name="reshape")(y)
    y = L.Flatten(name="flat")(y)
    y = L.RepeatVector(3, name="repeat")(y)
    y = L.EinsumDense("abc,cd->abd", output_shape=(None, 7), bias_axes="d", name="einsum")(y)
    y = L.GaussianNoise(0.1, name="noise")(y)
    y = L.SpatialDropout1D(0.1, name="sdrop")(y)
    z = L.Dense(7, name="side")(L.GlobalAveragePooling1D(name="gap1")(y))
    return keras.Model(x, [y, z], name="core")


def conv2d(keras: Any, data_format: str = "channels_last") -> Any:
    L = keras.layers
    shape = (17, 15, 3) if data_format == "channels_last" else (3, 17, 15)
    x = keras.Input(shape, name="image")
    kw = {"data_format": data_format}
    y = L.ZeroPadding2D(((1, 2), (0, 3)), name="pad", **kw)(x)
    y = L.Conv2D(8, 3, strides=2, padding="same", name="conv_same", **kw)(y)
    y = L.Conv2D(8, (3, 2), dilation_rate=2, name="conv_dilated", **kw)(y)
    y = L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", name="depthwise", **kw)(y)
    y = L.SeparableConv2D(6, 3, strides=1, padding="valid", name="separable", **kw)(y)
    y = L.Conv2DTranspose(4, 3, strides=2, name="transpose", **kw)(y)
    y = L.Conv2DTranspose(4, 3, strides=2, padding="same", output_padding=1, name="transpose_op", **kw)(y)
    y = L.Cropping2D(((1, 0), (2, 1)), name="crop", **kw)(y)
    y = L.UpSampling2D((2, 1), name="up", **kw)(y)
    y = L.MaxPooling2D(3, strides=2, name="maxpool", **kw)(y)
    y = L.AveragePooling2D(2, padding="same", name="avgpool", **kw)(y)
    a = L.GlobalMaxPooling2D(name="gmp", **kw)(y)
    b = L.GlobalAveragePooling2D(name="gap", **kw)(y)
    c = L.GlobalAveragePooling2D(keepdims=True, name="gap_keep", **kw)(y)
    return keras.Model(x, [a, b, c], name=f"conv2d_{data_format}")


def conv1d_3d(keras: Any) -> Any:
    L = keras.layers
    seq = keras.Input((20, 3), name="seq")
    y = L.Conv1D(4, 3, padding="causal", dilation_rate=2, name="causal")(seq)
    y = L.Conv1D(4, 5, strides=3, name="strided")(y)
    y = L.ZeroPadding1D((1, 2), name="pad1")(y)
    y = L.Cropping1D((0, 1), name="crop1")(y)
    y = L.UpSampling1D(3, name="up1")(y)
    y = L.MaxPooling1D(2, name="pool1")(y)
    y = L.AveragePooling1D(3, strides=1, padding="same", name="avg1")(y)
    y = L.SeparableConv1D(5, 3, name="sep1")(y)
    y = L.Conv1DTranspose(3, 4, strides=2, name="tconv1")(y) if _has(keras, "Conv1DTranspose") else y
    y = L.GlobalMaxPooling1D(name="gmp1")(y)
    vol = keras.Input((9, 8, 7, 2), name="volume")
    v = L.Conv3D(3, 3, strides=(1, 2, 2), padding="same", name="conv3")(vol)
    v = L.ZeroPadding3D(1, name="pad3")(v)
    v = L.Cropping3D(((1, 1), (0, 2), (1, 0)), name="crop3")(v)
    v = L.MaxPooling3D(2, name="pool3")(v)
    v = L.UpSampling3D(2, name="up3")(v)
    v = L.Conv3DTranspose(2, 3, strides=2, name="tconv3")(v)
    v = L.AveragePooling3D(2, name="avg3")(v)
    v = L.GlobalAveragePooling3D(name="gap3")(v)
    return keras.Model([seq, vol], [y, v], name="conv1d_3d")


def recurrent(keras: Any) -> Any:
    L = keras.layers
    x = keras.Input((7, 3), name="steps")
    a = L.LSTM(5, return_sequences=True, name="lstm_seq")(x)
    b, h, c = L.LSTM(4, return_state=True, name="lstm_state")(a)
    g = L.GRU(6, return_sequences=True, name="gru")(x)
    s = L.SimpleRNN(2, name="simple")(g)
    bi = L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode="sum", name="bi_sum")(x)
    bi2 = L.Bidirectional(L.LSTM(3), name="bi_concat")(bi)
    cells = L.RNN([L.LSTMCell(4), L.GRUCell(2)], return_sequences=True, name="stacked")(x)
    td = L.TimeDistributed(L.Dense(3), name="td")(cells)
    rv = L.RepeatVector(7, name="rv")(s)
    frames = keras.Input((4, 10, 9, 2), name="frames")
    cl = L.ConvLSTM2D(3, 3, strides=2, padding="same", return_sequences=True, name="convlstm")(frames)
    cl2 = L.ConvLSTM2D(2, 3, name="convlstm_last")(cl)
    tdc = L.TimeDistributed(L.Conv2D(2, 3), name="td_conv")(cl)
    return keras.Model([x, frames], [b, h, c, bi2, td, rv, cl2, tdc], name="recurrent_mix")


def attention(keras: Any) -> Any:
    L = keras.layers
    q = keras.Input((5, 8), name="query")
    v = keras.Input((7, 6), name="value")
    a = L.MultiHeadAttention(2, 4, name="mha")(q, v)
    b = L.MultiHeadAttention(2, 3, output_shape=10, name="mha_out")(q, v)
    c = L.Attention(name="dot_att")([q, L.Dense(8, name="proj")(v)])
    d = L.AdditiveAttention(name="add_att")([q, L.Dense(8, name="proj2")(v)])
    e = L.Dot(axes=(2, 2), name="dot")([q, L.Dense(8, name="proj3")(v)])
    f = L.Dot(axes=1, normalize=True, name="cos")([L.Flatten(name="fq")(q), L.Flatten(name="fq2")(q)])
    out = [a, b, c, d, e, f]
    if _has(keras, "GroupedQueryAttention"):
        out.append(L.GroupedQueryAttention(4, 4, 2, name="gqa")(q, v))
    return keras.Model([q, v], out, name="attention_mix")


def merging(keras: Any) -> Any:
    L = keras.layers
    a = keras.Input((4, 3), name="a")
    b = keras.Input((4, 3), name="b")
    c = keras.Input((1, 3), name="c")
    out = [
        L.Add(name="add")([a, b]),
        L.Subtract(name="sub")([a, b]),
        L.Multiply(name="mul")([a, c]),
        L.Average(name="avg")([a, b]),
        L.Maximum(name="max")([a, b]),
        L.Minimum(name="min")([a, b, a]),
        L.Concatenate(axis=1, name="cat1")([a, c]),
        L.Concatenate(name="cat_last")([a, b]),
    ]
    return keras.Model([a, b, c], out, name="merging")


def embedding_and_preprocessing(keras: Any) -> Any:
    L = keras.layers
    tokens = keras.Input((12,), dtype="int32", name="tokens")
    e = L.Embedding(50, 6, name="embed")(tokens)
    e = L.Conv1D(4, 3, name="conv")(e)
    image = keras.Input((20, 18, 3), name="image")
    r = L.Resizing(8, 10, name="resize")(image)
    r = L.CenterCrop(6, 7, name="crop")(r)
    r = L.Rescaling(1 / 255, name="scale")(r)
    ints = keras.Input((3,), dtype="int32", name="ints")
    one_hot = L.CategoryEncoding(num_tokens=5, output_mode="multi_hot", name="multi_hot")(ints)
    count = L.CategoryEncoding(num_tokens=5, output_mode="count", name="count")(ints)
    floats = keras.Input((4,), name="floats")
    d = L.Discretization(bin_boundaries=[0.0, 1.0, 2.0], name="bins")(floats)
    lookup = L.IntegerLookup(vocabulary=[1, 2, 3], output_mode="multi_hot", name="lookup")(ints)
    return keras.Model([tokens, image, ints, floats], [e, r, one_hot, count, d, lookup], name="prep")


def keras3_ops(keras: Any) -> Any:
    """Keras 3 operations on symbolic tensors, stored as op layers in the config."""
    if not hasattr(keras, "ops"):
        return None
    ops = keras.ops
    x = keras.Input((4, 6), name="x")
    y = ops.mean(x + 1.0, axis=1, keepdims=True)
    y = ops.reshape(y, (-1, 2, 3))
    y = ops.transpose(y, (0, 2, 1))
    y = ops.concatenate([y, y], axis=-1)
    y = ops.expand_dims(ops.sum(y, axis=-1), -1) * 2.0
    y = keras.layers.Dense(3, name="dense")(ops.squeeze(y, -1))
    return keras.Model(x, ops.relu(y), name="ops")


def sequential(keras: Any) -> Any:
    L = keras.layers
    return keras.Sequential(
        [
            keras.Input((16, 16, 1)),
            L.Conv2D(4, 3, activation="relu", name="c1"),
            L.MaxPooling2D(name="p1"),
            L.Conv2D(8, 3, padding="same", name="c2"),
            L.Flatten(name="flat"),
            L.Dense(10, name="logits"),
            L.Softmax(name="probs"),
        ],
        name="seq",
    )


def sequential_same_shape_first(keras: Any) -> Any:
    """An InputLayer followed by layers that pass its shape on unchanged: the stored
    input shape reaches them as the file spells it (a real Keras 2.12 file's pattern)."""
    L = keras.layers
    return keras.Sequential(
        [
            keras.Input((19,)),
            L.Normalization(axis=-1, name="norm"),
            L.Dropout(0.1, name="drop"),
            L.Dense(4, activation="elu", name="dense"),
        ],
        name="seq_same_first",
    )


BUILDERS = {
    "core": core,
    "conv2d": conv2d,
    "conv2d_first": lambda keras: conv2d(keras, "channels_first"),
    "conv1d_3d": conv1d_3d,
    "recurrent": recurrent,
    "attention": attention,
    "merging": merging,
    "prep": embedding_and_preprocessing,
    "ops": keras3_ops,
    "sequential": sequential,
    "sequential_same_shape_first": sequential_same_shape_first,
}


def _plain(shape: Any) -> Any:
    if isinstance(shape, (list, tuple)) and all(d is None or isinstance(d, int) for d in shape):
        return [None if d is None else int(d) for d in shape]
    if hasattr(shape, "as_list"):
        return shape.as_list()
    return [_plain(item) for item in shape]


def _shapes(value: Any) -> Any:
    """Shapes of a tensor or a structure of tensors; one tensor in a list unwrapped."""
    if isinstance(value, (list, tuple)):
        found = [_shapes(item) for item in value]
        return found[0] if len(found) == 1 else found
    return _plain(value.shape)


def keras_output_shapes(model: Any, prefix: str = "") -> dict[str, list[Any]]:
    """Each layer's output shapes per call, as Keras's own nodes hold them, by report path
    (nested models' layers under their model's path). Keras 3 operations included."""
    found: dict[str, list[Any]] = {}
    layers = list(getattr(model, "operations", None) or model.layers)
    for layer in layers:
        path = f"{prefix}{layer.name}"
        nodes = [node for node in layer._inbound_nodes if _in_model(node, model)] or layer._inbound_nodes
        found[path] = [
            _shapes(node.outputs if hasattr(node, "outputs") else node.output_tensors) for node in nodes
        ]
        if hasattr(layer, "layers") and getattr(layer, "_is_graph_network", True):
            found.update(keras_output_shapes(layer, f"{path}/"))
    return found


def _in_model(node: Any, model: Any) -> bool:
    keys = getattr(model, "_network_nodes", None)
    if not keys:
        return True
    layer = getattr(node, "operation", None) or getattr(node, "layer", None)
    index = layer._inbound_nodes.index(node)
    return f"{layer.name}_ib-{index}" in keys or f"{id(layer)}_ib-{index}" in keys
