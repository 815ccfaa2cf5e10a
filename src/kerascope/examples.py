"""The example models the demo shows, built with whichever Keras is given.

They are small on purpose, and each shows something `model.summary()` cannot:
`custom_wrapper` wraps a custom layer whose internal Dense no config lists, and
`encoder` holds a custom block whose attention creates query/key/value layers.
`scripts/make_examples.py` saves them into `example_files/` for the demo;
`build_finetuned` makes the pair README's `diff --values` compares
(`scripts/make_readme_examples.py`).
"""

from __future__ import annotations

from typing import Any


def build_examples(keras: Any) -> dict[str, Any]:
    """name -> model, built with the `keras` module passed in (Keras 3, tf.keras or tf_keras)."""
    layers = keras.layers

    class ScaledDense(layers.Layer):
        """A custom layer that creates its own Dense: hidden from its config."""

        def __init__(self, units: int, scale: float = 2.0, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.units = units
            self.scale = scale
            self.inner = layers.Dense(units, activation="relu", name="inner_dense")

        def call(self, inputs: Any) -> Any:
            return self.inner(inputs) * self.scale

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "units": self.units, "scale": self.scale}

    sequential = keras.Sequential(
        [
            keras.Input(shape=(4,), name="features"),
            layers.Dense(8, activation="relu", name="hidden"),
            layers.Dense(1, name="score"),
        ],
        name="two_dense",
    )

    inputs = keras.Input(shape=(4,), name="features")
    outputs = ScaledDense(3, name="scaled")(inputs)
    custom = keras.Model(inputs, outputs, name="custom_wrapper")

    inputs = keras.Input(shape=(6,), name="features")
    hidden = layers.Dense(16, activation="relu", name="dense_a")(inputs)
    hidden = layers.Dense(8, activation="tanh", name="dense_b")(hidden)
    outputs = layers.Dense(2, activation="softmax", name="dense_c")(hidden)
    three = keras.Model(inputs, outputs, name="three_dense")

    return {"two_dense": sequential, "custom_wrapper": custom, "three_dense": three}


def build_encoder(keras: Any) -> Any:
    """A Functional model around a custom encoder block with nested internal layers."""
    layers = keras.layers

    class EncoderBlock(layers.Layer):
        """Attention, normalization and a feed-forward Dense, all created inside."""

        def __init__(self, heads: int = 2, width: int = 16, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.heads, self.width = heads, width
            self.attention = layers.MultiHeadAttention(heads, width // heads, name="self_attention")
            self.norm = layers.LayerNormalization(name="norm")
            self.feed_forward = layers.Dense(width, activation="gelu", name="feed_forward")

        def call(self, inputs: Any) -> Any:
            attended = self.norm(inputs + self.attention(inputs, inputs))
            return attended + self.feed_forward(attended)

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "heads": self.heads, "width": self.width}

    tokens = keras.Input(shape=(12, 16), name="tokens")
    encoded = EncoderBlock(name="encoder_block")(tokens)
    pooled = layers.GlobalAveragePooling1D(name="pool")(encoded)
    outputs = layers.Dense(3, activation="softmax", name="classifier")(pooled)
    return keras.Model(tokens, outputs, name="encoder")


def build_finetuned(keras: Any, steps: int = 20) -> tuple[Any, Any]:
    """A small classifier, and a copy fine-tuned for `steps` steps with its feature
    extractor frozen (`encoder_1`, `encoder_2`, `norm`), as transfer learning does:
    what `kerascope diff pretrained.keras finetuned.keras --values` shows changed."""
    import numpy as np

    layers = keras.layers
    base = keras.Sequential(
        [
            keras.Input(shape=(16,), name="features"),
            layers.Dense(32, activation="relu", name="encoder_1"),
            layers.Dense(32, activation="relu", name="encoder_2"),
            layers.BatchNormalization(name="norm"),
            layers.Dense(16, activation="relu", name="head_hidden"),
            layers.Dense(3, activation="softmax", name="classifier"),
        ],
        name="transfer",
    )
    tuned = keras.models.clone_model(base)
    tuned.set_weights(base.get_weights())
    for name in ("encoder_1", "encoder_2", "norm"):
        tuned.get_layer(name).trainable = False
    tuned.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    features = rng.normal(size=(steps * 16, 16)).astype("float32")
    labels = (features[:, 0] > 0).astype("int32") + (features[:, 1] > 1).astype("int32")
    tuned.fit(features, labels, batch_size=16, epochs=1, shuffle=False, verbose=0)
    return base, tuned
