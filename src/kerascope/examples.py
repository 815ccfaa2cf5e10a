"""The example models the demo shows, built with whichever Keras is given.

They are small on purpose, and each shows something `model.summary()` cannot:
`custom_wrapper` wraps a custom layer whose internal Dense no config lists, and
`encoder` holds a custom block whose attention creates query/key/value layers.
`scripts/make_examples.py` saves them into `example_files/` for the demo.
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
