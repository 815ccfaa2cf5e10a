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
from dataclasses import dataclass, field
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
    shape (None where unknown). `stored` holds the variables a file stores for the
    layer, when the rule names a file's variables: where a shape would come from an
    input shape nobody knows, the stored ones still say which variables share a
    shape (a normalization's vectors)."""

    config: dict[str, Any]
    input_shape: Shape = None
    stored: Sequence[WeightInfo] = ()


class Variable(NamedTuple):
    """One variable a layer's `build()` creates: its name, its shape (None where the
    rank is unknown, a None dimension where its size is), and whether it trains while
    the layer does (a BatchNormalization's moving statistics never do)."""

    name: str
    shape: list[int | None] | None
    trainable: bool = True


@dataclass(frozen=True)
class Sublayer:
    """A layer Keras creates in a built-in layer's own code, which no config lists.

    `attribute`: where the parent keeps it (the group of its weights in a `.keras`
    file); `class_name`: Keras's class for it, a registry key; `name`: the name
    Keras gives it, or None where Keras generates one from the class (`softmax_3`);
    `config`: the part of its config the parent decides, from the parent's config;
    `only_if`: a parent config flag without which Keras does not create it.
    """

    attribute: str
    class_name: str
    name: str | None
    config: Callable[[dict[str, Any]], dict[str, Any]] = field(default=lambda parent: {})
    only_if: str | None = None


ShapeRule = Callable[[Call], "Outputs | Shape | None"]
CostRule = Callable[[Call, Outputs], "Price | None"]
WeightRule = Callable[[Build], "list[Variable] | None"]


@dataclass(frozen=True)
class LayerKnowledge:
    """Everything kerascope knows about one built-in class.

    - `key`: the registry key (see the module's docstring).
    - `kind`: what it does, for views to colour it by.
    - `shape`: its output shapes from its inputs (`call.Call`), or None: unknown.
    - `cost`: what one call costs given its output shapes, or None: unknown.
    - `weights`: the variables its `build()` creates, in Keras's creation order
      (the order a `.keras` file stores them as `vars/0`, `vars/1`, ...), or None.
    - `sublayers`: the layers its own code creates, in creation order.
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
    weights: WeightRule | None = None
    sublayers: tuple[Sublayer, ...] = ()
    cost_covers_sublayers: bool = False
    call_arguments: bool = False
    integer_outputs: bool = False
    vocabulary_file: bool = False
    older_names: tuple[str, ...] = ()
    generated_names: tuple[str, ...] = ()
    keeps_arguments: frozenset[str] = frozenset()
    moves_batch_axis: bool = False

    def sublayer(self, name: str | None) -> Sublayer | None:
        """The sublayer Keras gives this name, if it gives one."""
        return next((sub for sub in self.sublayers if sub.name is not None and sub.name == name), None)
