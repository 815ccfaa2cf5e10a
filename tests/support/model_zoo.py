"""Small real models, built by whichever Keras module is passed in.

Each builder takes the Keras package (`keras` 3, `tf.keras` or `tf_keras`) so the
same architectures are walked through every generation the tool supports.
"""

from __future__ import annotations

from typing import Any


def nested(keras: Any) -> Any:
    """A Functional model holding a Sequential holding a Functional."""
    layers = keras.layers
    inner_in = keras.Input(shape=(8,), name="inner_in")
    inner = keras.Model(inner_in, layers.Dense(8, name="inner_dense")(inner_in), name="innermost")
    middle = keras.Sequential(
        [keras.Input(shape=(8,)), inner, layers.Dense(4, name="mid_dense")], name="middle"
    )
    outer_in = keras.Input(shape=(8,), name="outer_in")
    return keras.Model(outer_in, layers.Dense(2, name="head")(middle(outer_in)), name="outer")


def shared(keras: Any) -> Any:
    """One Dense called on two inputs: one layer, two call sites."""
    layers = keras.layers
    left, right = keras.Input(shape=(5,), name="left"), keras.Input(shape=(5,), name="right")
    tower = layers.Dense(3, name="tower")
    merged = layers.Concatenate(name="merge")([tower(left), tower(right)])
    return keras.Model([left, right], layers.Dense(1, name="out")(merged), name="siamese")


def multi_io(keras: Any) -> Any:
    layers = keras.layers
    text, numbers = keras.Input(shape=(10,), name="text"), keras.Input(shape=(3,), name="numbers")
    joined = layers.Concatenate(name="joined")([layers.Dense(4, name="embed")(text), numbers])
    label = layers.Dense(2, activation="softmax", name="label")(joined)
    score = layers.Dense(1, name="score")(joined)
    return keras.Model([text, numbers], [label, score], name="multi_io")


def recurrent(keras: Any) -> Any:
    """Bidirectional(LSTM) and TimeDistributed(Dense): wrappers with inner layers."""
    layers = keras.layers
    inputs = keras.Input(shape=(7, 3), name="sequence")
    encoded = layers.Bidirectional(layers.LSTM(4, return_sequences=True, name="lstm"), name="bi")(inputs)
    outputs = layers.TimeDistributed(layers.Dense(2, name="per_step"), name="timed")(encoded)
    return keras.Model(inputs, outputs, name="recurrent")


def transformer(keras: Any) -> Any:
    """A custom block holding MultiHeadAttention, whose query/key/value no config lists."""
    layers = keras.layers

    class TransformerBlock(layers.Layer):
        def __init__(self, heads: int = 2, width: int = 8, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.heads, self.width = heads, width
            self.attention = layers.MultiHeadAttention(heads, width, name="attention")
            self.norm = layers.LayerNormalization(name="norm")
            self.feed_forward = layers.Dense(width, name="feed_forward")

        def call(self, inputs: Any) -> Any:
            attended = self.attention(inputs, inputs)
            return self.feed_forward(self.norm(inputs + attended))

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "heads": self.heads, "width": self.width}

    inputs = keras.Input(shape=(6, 8), name="tokens")
    outputs = TransformerBlock(name="block")(inputs)
    return keras.Model(inputs, outputs, name="encoder")


def subclassed(keras: Any) -> Any:
    layers = keras.layers

    class Classifier(keras.Model):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.body = keras.Sequential([layers.Dense(6, activation="relu"), layers.Dense(6)], name="body")
            self.norm = layers.BatchNormalization(name="norm")
            self.head = layers.Dense(3, name="head")

        def call(self, inputs: Any) -> Any:
            return self.head(self.norm(self.body(inputs)))

    model = Classifier(name="classifier")
    model(keras.ops.zeros((2, 5)) if hasattr(keras, "ops") else __import__("numpy").zeros((2, 5)))
    return model


def raising_config(keras: Any) -> Any:
    """A model around a custom layer whose get_config() raises."""
    layers = keras.layers

    class Fragile(layers.Layer):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.proj = layers.Dense(2, name="proj")

        def call(self, inputs: Any) -> Any:
            return self.proj(inputs)

        def get_config(self) -> dict[str, Any]:
            raise RuntimeError("Fragile cannot describe itself")

    inputs = keras.Input(shape=(4,), name="x")
    hidden = layers.Dense(4, name="before")(inputs)
    return keras.Model(inputs, Fragile(name="fragile")(hidden), name="fragile_model")


def containers(keras: Any) -> Any:
    """A custom layer holding a list of sublayers and a list of its own variables
    (one not trainable), a BatchNormalization, and a frozen Dense."""
    layers = keras.layers

    class Stack(layers.Layer):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.blocks = [layers.Dense(4, name="block_0"), layers.Dense(4, name="block_1")]

        def build(self, input_shape: Any) -> None:
            self.scales = [self.add_weight(name=f"scale_{i}", shape=(4,)) for i in range(2)]
            self.offset = self.add_weight(name="offset", shape=(2,), trainable=False)

        def call(self, inputs: Any) -> Any:
            for block, scale in zip(self.blocks, self.scales, strict=True):
                inputs = block(inputs) * scale
            return inputs

    inputs = keras.Input(shape=(4,), name="features")
    hidden = layers.BatchNormalization(name="norm")(Stack(name="stack")(inputs))
    frozen = layers.Dense(3, name="frozen")
    outputs = frozen(hidden)
    frozen.trainable = False
    return keras.Model(inputs, outputs, name="containers")


def shared_across_models(keras: Any) -> Any:
    """One Dense inside an inner model and called again by the outer model."""
    dense = keras.layers.Dense(4, name="shared")
    inner_in = keras.Input(shape=(4,), name="inner_in")
    inner = keras.Model(inner_in, dense(inner_in), name="inner")
    outer_in = keras.Input(shape=(4,), name="outer_in")
    return keras.Model(outer_in, dense(inner(outer_in)), name="sharing")


BUILDERS = {
    "nested": nested,
    "shared": shared,
    "multi_io": multi_io,
    "recurrent": recurrent,
    "transformer": transformer,
    "subclassed": subclassed,
    "raising_config": raising_config,
}


def tiny_bert_backbone(vocabulary_size: int = 50, sequence_length: int = 8, num_layers: int = 2) -> Any:
    """A tiny KerasHub BERT backbone: transformer layers that create their attention
    projections in code, none of them in any config."""
    import keras_hub

    return keras_hub.models.BertBackbone(
        vocabulary_size=vocabulary_size,
        num_layers=num_layers,
        num_heads=2,
        hidden_dim=8,
        intermediate_dim=16,
        max_sequence_length=sequence_length,
    )


def tiny_gpt2_backbone() -> Any:
    """A tiny KerasHub GPT-2 backbone, which KerasHub can export to Transformers."""
    import keras_hub

    return keras_hub.models.GPT2Backbone(
        vocabulary_size=30,
        num_layers=1,
        num_heads=2,
        hidden_dim=8,
        intermediate_dim=16,
        max_sequence_length=8,
    )


def bert_classifier() -> Any:
    """A tiny KerasHub BERT classifier around `tiny_bert_backbone`."""
    import keras_hub

    return keras_hub.models.BertTextClassifier(
        backbone=tiny_bert_backbone(), num_classes=3, preprocessor=None
    )


def siamese_network(keras: Any, width: int = 32, extra: bool = False) -> Any:
    """A siamese image network: one convolutional tower (a nested model) applied to
    two images, their embeddings compared by distance and scored. `width` and
    `extra` make a second version to diff against the first."""
    layers = keras.layers
    image = keras.Input(shape=(64, 64, 3), name="image")
    x = layers.Conv2D(width, 3, strides=2, activation="relu", name="conv1")(image)
    x = layers.BatchNormalization(name="bn1")(x)
    x = layers.Conv2D(width * 2, 3, strides=2, activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(name="pool")(x)
    if extra:
        x = layers.Conv2D(width * 2, 3, padding="same", activation="relu", name="conv3")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    embedding = layers.Dense(64, name="embedding")(x)
    tower = keras.Model(image, embedding, name="tower")
    left = keras.Input(shape=(64, 64, 3), name="left_image")
    right = keras.Input(shape=(64, 64, 3), name="right_image")
    distance = layers.Subtract(name="difference")([tower(left), tower(right)])
    distance = layers.Lambda(lambda t: keras.ops.abs(t), name="absolute")(distance)
    score = layers.Dense(1, activation="sigmoid", name="same_person")(distance)
    return keras.Model([left, right], score, name="siamese")
