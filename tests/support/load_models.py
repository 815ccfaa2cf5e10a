"""The architectures the load-check matrix pairs, built by whichever Keras is passed in.

Every layer is named, so a layer's path (its names from the root) is the same
in the process that saves the weights and in the one that loads them, whatever
else those processes built before. Builders take the Keras package (`keras` 3
or `tf_keras`) first, like `support.model_zoo`'s.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Builder = Callable[[Any], Any]


@dataclass(frozen=True)
class Spec:
    """One layer to build: its class in `keras.layers`, its name, its arguments
    (a Spec among them, a wrapped layer, is built first)."""

    cls: str
    name: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def build(self, keras: Any) -> Any:
        kwargs = {k: v.build(keras) if isinstance(v, Spec) else v for k, v in self.kwargs.items()}
        return getattr(keras.layers, self.cls)(name=self.name, **kwargs)


def spec(cls: str, name: str, **kwargs: Any) -> Spec:
    return Spec(cls, name, kwargs)


def dense(name: str, units: int, **kwargs: Any) -> Spec:
    return spec("Dense", name, units=units, **kwargs)


def _chain(
    keras: Any,
    shape: tuple[int, ...],
    layers: Sequence[Spec],
    kind: str = "functional",
    dtype: str = "float32",
    name: str = "model",
) -> Any:
    if kind == "sequential":
        return keras.Sequential(
            [keras.Input(shape=shape, dtype=dtype), *(s.build(keras) for s in layers)], name=name
        )
    inputs = keras.Input(shape=shape, name=f"{name}_x" if name != "model" else "x", dtype=dtype)
    outputs = inputs
    for layer in layers:
        outputs = layer.build(keras)(outputs)
    return keras.Model(inputs, outputs, name=name)


def chain(
    shape: tuple[int, ...], layers: Sequence[Spec], kind: str = "functional", dtype: str = "float32"
) -> Builder:
    """A builder of the model that applies `layers` in turn to one input of `shape`
    (`kind`: "functional" or "sequential")."""
    return functools.partial(_chain, shape=shape, layers=tuple(layers), kind=kind, dtype=dtype)


# -- nested models ------------------------------------------------------------------
def _nested(keras: Any, inner_name: str, inner_width: int, inner_kind: str) -> Any:
    inner_layers = [dense("inner_a", inner_width), dense("inner_b", 6)]
    if inner_kind == "sequential":
        inner = keras.Sequential(
            [keras.Input(shape=(6,)), *(s.build(keras) for s in inner_layers)], name=inner_name
        )
    else:
        inner_in = keras.Input(shape=(6,), name="inner_x")
        hidden = inner_in
        for layer in inner_layers:
            hidden = layer.build(keras)(hidden)
        inner = keras.Model(inner_in, hidden, name=inner_name)
    inputs = keras.Input(shape=(4,), name="x")
    hidden = keras.layers.Dense(6, name="stem")(inputs)
    outputs = keras.layers.Dense(3, name="head")(inner(hidden))
    return keras.Model(inputs, outputs, name="model")


def nested(inner_name: str = "inner", inner_width: int = 5, inner_kind: str = "functional") -> Builder:
    """stem → a nested model (inner_a, inner_b) → head."""
    return functools.partial(_nested, inner_name=inner_name, inner_width=inner_width, inner_kind=inner_kind)


def flat_nested(keras: Any) -> Any:
    """The layers of `nested()` with the nested model taken apart: one level."""
    return _chain(keras, (4,), [dense("stem", 6), dense("inner_a", 5), dense("inner_b", 6), dense("head", 3)])


# -- shared layers (`support.model_zoo.shared` and `shared_across_models` besides) ---------------
def two_towers(keras: Any) -> Any:
    """`support.model_zoo.shared` with its shared Dense made two."""
    left, right = keras.Input(shape=(5,), name="left"), keras.Input(shape=(5,), name="right")
    towers = [keras.layers.Dense(3, name="tower"), keras.layers.Dense(3, name="tower_right")]
    merged = keras.layers.Concatenate(name="merge")([towers[0](left), towers[1](right)])
    return keras.Model([left, right], keras.layers.Dense(1, name="out")(merged), name="siamese")


# -- attention ------------------------------------------------------------------------
def _attention(keras: Any, heads: int, key_dim: int) -> Any:
    inputs = keras.Input(shape=(5, 8), name="x")
    attended = keras.layers.MultiHeadAttention(heads, key_dim, name="mha")(inputs, inputs)
    outputs = keras.layers.Dense(2, name="head")(keras.layers.LayerNormalization(name="norm")(attended))
    return keras.Model(inputs, outputs, name="model")


def attention(heads: int = 2, key_dim: int = 4) -> Builder:
    """MultiHeadAttention (self-attention) → LayerNormalization → Dense."""
    return functools.partial(_attention, heads=heads, key_dim=key_dim)


# -- subclassed models -------------------------------------------------------------------
@functools.cache
def _classes(keras: Any) -> dict[str, type]:
    """The subclassed models, defined once per Keras package and registered with it."""
    register = keras.saving.register_keras_serializable(package="kerascope_truth")
    serialize, deserialize = keras.saving.serialize_keras_object, keras.saving.deserialize_keras_object

    class Tower(keras.Model):
        """Two Dense layers kept in attributes whose names the caller picks
        (Keras 3 saves a subclassed model's layers under `layers/` or under an
        attribute that sorts before `layers`)."""

        def __init__(self, width: int = 6, body_attr: str = "body", head_attr: str = "head", **kwargs: Any):
            super().__init__(**kwargs)
            self.width, self.body_attr, self.head_attr = width, body_attr, head_attr
            setattr(self, body_attr, keras.layers.Dense(width, name="body"))
            setattr(self, head_attr, keras.layers.Dense(3, name="head"))

        def call(self, inputs: Any) -> Any:
            return getattr(self, self.head_attr)(getattr(self, self.body_attr)(inputs))

        def get_config(self) -> dict[str, Any]:
            return {
                "name": self.name,
                "width": self.width,
                "body_attr": self.body_attr,
                "head_attr": self.head_attr,
            }

    class EncoderDecoder(keras.Model):
        """A model given its encoder and decoder (two Functional models) as
        constructor arguments, which its config carries serialized."""

        def __init__(self, encoder: Any, decoder: Any, **kwargs: Any):
            super().__init__(**kwargs)
            self.encoder = encoder if not isinstance(encoder, dict) else deserialize(encoder)
            self.decoder = decoder if not isinstance(decoder, dict) else deserialize(decoder)

        def call(self, inputs: Any) -> Any:
            return self.decoder(self.encoder(inputs))

        def get_config(self) -> dict[str, Any]:
            return {"name": self.name, "encoder": serialize(self.encoder), "decoder": serialize(self.decoder)}

    return {cls.__name__: register(cls) for cls in (Tower, EncoderDecoder)}


def _built(keras: Any, model: Any, shape: tuple[int, ...]) -> Any:
    """`model` called once, so its variables exist."""
    model(np.zeros((2, *shape), dtype="float32"))
    return model


def _tower(keras: Any, width: int, body_attr: str, head_attr: str) -> Any:
    model = _classes(keras)["Tower"](width, body_attr, head_attr, name="model")
    return _built(keras, model, (4,))


def tower(width: int = 6, body_attr: str = "body", head_attr: str = "head") -> Builder:
    """A subclassed model: Dense `body` (width) → Dense `head` (3), in the given attributes."""
    return functools.partial(_tower, width=width, body_attr=body_attr, head_attr=head_attr)


def _encoder_decoder(keras: Any, code_width: int) -> Any:
    encoder = _chain(keras, (4,), [dense("enc_a", 6), dense("enc_b", code_width)], name="encoder")
    decoder = _chain(keras, (code_width,), [dense("dec", 4)], name="decoder")
    model = _classes(keras)["EncoderDecoder"](encoder, decoder, name="model")
    return _built(keras, model, (4,))


def encoder_decoder(code_width: int = 3) -> Builder:
    """A subclassed model holding two Functional models given to its constructor."""
    return functools.partial(_encoder_decoder, code_width=code_width)


# -- KerasHub ---------------------------------------------------------------------------------
BERT = {
    "vocabulary_size": 40,
    "num_layers": 2,
    "num_heads": 2,
    "hidden_dim": 8,
    "intermediate_dim": 16,
    "max_sequence_length": 6,
}


def bert_backbone(keras: Any, **changes: Any) -> Any:
    """A tiny KerasHub BERT backbone (the config of `support.model_zoo.tiny_bert_backbone`)."""
    import keras_hub

    return keras_hub.models.BertBackbone(**{**BERT, **changes})
