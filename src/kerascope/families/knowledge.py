"""What kerascope knows about one of Keras's own layer classes, as one record.

A family module (`core`, `convolution`, ...) holds one `LayerKnowledge` per
class it knows, and registers them with `registry.register`. The record is
keyed as the shape engine looks a layer up (`registry.key_of`): the class name
in Keras 2/3 spelling (`Dense`), `op:` and the class for a Keras 3 operation a
functional config records as a layer (`op:Add`), `app:` and the class for a
helper layer of `keras.applications` (`app:LayerScale`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from kerascope.families.call import Call, Outputs
from kerascope.families.dims import Shape
from kerascope.model.vocabulary import Kind

if TYPE_CHECKING:
    from kerascope.model.records import WeightInfo


class Price(NamedTuple):
    """What one call costs: multiply-accumulates, and FLOPs as TensorFlow's profiler
    counts them (`kerascope.shapes.cost` has the convention); `estimated` where the
    profiler's figure is not the real work."""

    macs: int
    flops: int
    estimated: bool = False


class Build(NamedTuple):
    """What a layer's `build()` sees: its config (Keras 2/3 spelling) and its input
    shape (None where unknown), and every input's shape where it takes several (a
    MultiHeadAttention's query, value and key). `stored` holds the variables a file
    stores for the layer, when the rule names a file's variables: where a shape would
    come from an input shape nobody knows, the stored ones still say which variables
    share a shape (a normalization's vectors). `keras3`: whether Keras 3 builds it
    (True) or TF-Keras, where a few variables have other names."""

    config: dict[str, Any]
    input_shape: Shape = None
    stored: Sequence[WeightInfo] = ()
    inputs: Sequence[Shape] = ()
    keras3: bool = True


class Variable(NamedTuple):
    """One variable a layer's `build()` creates: its name, its shape (None where the
    rank is unknown, a None dimension where its size is), and whether it trains while
    the layer does (a BatchNormalization's moving statistics never do)."""

    name: str
    shape: list[int | None] | None
    trainable: bool = True


def _passes_nothing(parent: Build) -> Build:
    return Build({})


@dataclass(frozen=True)
class Sublayer:
    """A layer Keras creates inside a built-in layer, which no model config lists.

    `attribute`: where Keras 3 keeps it (the group of its weights in a Keras 3 file);
    `class_name`: Keras's class for it, a registry key; `name`: the name Keras gives
    it, or None where Keras generates one from the class (`softmax_3`);
    `built_on`: what its `build()` sees (the config its parent passes on, its input
    shape), from what its parent's sees; `only_if`: a parent config flag without
    which Keras does not create it.

    Where Keras keeps it differs between generations: `aliases` are other attributes
    of Keras 3's layer that reach the same object, walked after `attribute` when
    Keras 3 saves and loads (MultiHeadAttention's `_query_dense` behind the public
    `query_dense`), or that an earlier Keras 3 saved it under; `tf_keras_attribute`
    is where TF-Keras keeps it (None: the same attribute); `in_keras3` and
    `in_tf_keras` say which of today's Keras 3 and TF-Keras create it at all.

    A sublayer a wrapper or a recurrent layer is given in its config (a
    Bidirectional's layer, an RNN's cell) is `serialized` there: its class and
    config are the file's own word. `container`: Keras keeps it in a list attribute
    (a StackedRNNCells' `cells`), its group named by its class and a counter."""

    attribute: str
    class_name: str
    name: str | None
    built_on: Callable[[Build], Build] = _passes_nothing
    only_if: str | None = None
    aliases: tuple[str, ...] = ()
    tf_keras_attribute: str | None = None
    in_keras3: bool = True
    in_tf_keras: bool = True
    serialized: dict[str, Any] | None = None
    container: bool = False

    def attribute_in(self, keras3: bool) -> str:
        """Where that Keras keeps it."""
        return self.attribute if keras3 or self.tf_keras_attribute is None else self.tf_keras_attribute

    def made_by(self, keras3: bool) -> bool:
        """Whether that Keras (today's Keras 3, or TF-Keras) creates it."""
        return self.in_keras3 if keras3 else self.in_tf_keras


ShapeRule = Callable[[Call], "Outputs | Shape | None"]
CostRule = Callable[[Call, Outputs], "Price | None"]
WeightRule = Callable[[Build], "list[Variable] | None"]
InnerRule = Callable[[dict[str, Any], bool], "tuple[Sublayer, ...]"]


def no_weights(build: Build) -> list[Variable]:
    """A layer whose `build()` creates no variable of its own (a pooling, a reshape,
    a wrapper whose variables are its inner layer's)."""
    return []


@dataclass(frozen=True)
class LayerKnowledge:
    """Everything kerascope knows about one built-in class.

    - `key`: the registry key (see the module's docstring).
    - `kind`: what it does, for views to colour it by.
    - `shape`: its output shapes from its inputs (`call.Call`), or None: unknown.
    - `cost`: what one call costs given its output shapes, or None: unknown.
    - `weights`: the variables its `build()` creates, in Keras's creation order
      (the order a `.keras` file stores them as `vars/0`, `vars/1`, ...), or None:
      unknown (`no_weights`, the default, for a layer that creates none).
    - `sublayers`: the layers its own code creates, in creation order.
    - `inner`: the layers it is given in its config (a wrapper's layer, an RNN's
      cell), from its config and whether Keras 3 (True) or TF-Keras reads it.
    - `cost_covers_sublayers`: its cost rule prices its sublayers' work too, so
      theirs is not added again (a recurrent layer's cell, attention's projections).
    - `call_arguments`: its output shapes depend on a call's keyword arguments
      (`return_attention_scores`), so the engine passes them on.
    - `integer_outputs`: in its default `int` output mode it outputs integers,
      whatever its dtype policy says.
    - `vocabulary_file`: a string `vocabulary` in its config is a path it reads.
    - `older_names`: class names earlier Keras versions serialized it under
      (Keras 1's `Convolution2D` for `Conv2D`).
    - `generated_names`: names Keras gives an unnamed instance besides its class in
      snake case (an InputLayer's `input_1`, a Functional's `model`).
    - `keeps_arguments`: Keras 1 argument names it still uses as they are (an
      Embedding's `output_dim` is not Keras 1's `units`).
    - `moves_batch_axis`: its outputs need not keep the batch axis first (TF-Keras's
      wrapped TensorFlow operations).
    """

    key: str
    kind: Kind
    shape: ShapeRule | None = None
    cost: CostRule | None = None
    weights: WeightRule | None = no_weights
    sublayers: tuple[Sublayer, ...] = ()
    inner: InnerRule | None = None
    cost_covers_sublayers: bool = False
    call_arguments: bool = False
    integer_outputs: bool = False
    vocabulary_file: bool = False
    older_names: tuple[str, ...] = ()
    generated_names: tuple[str, ...] = ()
    keeps_arguments: frozenset[str] = frozenset()
    moves_batch_axis: bool = False

    def created(self, config: dict[str, Any], keras3: bool) -> tuple[Sublayer, ...]:
        """The sublayers that Keras (today's Keras 3, or TF-Keras) creates in a layer
        of this class with this config (Keras 2/3 spelling): those its code creates,
        then those its config gives it."""
        own = tuple(
            sub
            for sub in self.sublayers
            if sub.made_by(keras3) and (sub.only_if is None or config.get(sub.only_if))
        )
        given = self.inner(config, keras3) if self.inner is not None else ()
        return own + tuple(sub for sub in given if sub.made_by(keras3))
