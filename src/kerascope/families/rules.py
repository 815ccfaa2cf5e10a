"""Small rules and helpers several families share: a layer whose output is its
input, one whose ops the profiler counts as nothing, an activation's FLOPs, and
the config readings weight rules repeat (a positive count, a kernel size, the
size of a normalization's axes)."""

from __future__ import annotations

from math import prod
from typing import Any

from kerascope.families.call import Call, Outputs
from kerascope.families.dims import Shape, elements, int_arg, is_int, normalize_axis
from kerascope.families.knowledge import Build, Price

# Profiler FLOPs per element of each activation as Keras 3's TensorFlow backend computes it.
ACTIVATION_FLOPS = {
    "linear": 0,
    "relu": 0,
    "relu6": 0,
    "sigmoid": 0,
    "tanh": 0,
    "elu": 0,
    "selu": 0,
    "softplus": 0,
    "softsign": 0,
    "exponential": 0,
    "leaky_relu": 0,
    "log_softmax": 0,
    "softmax": 5,
    "silu": 2,
    "swish": 2,
    "gelu": 4,
    "hard_silu": 3,
    "hard_swish": 3,
    "hard_sigmoid": 2,
    "mish": 1,
}


def same_shape(call: Call) -> Shape:
    """The output is shaped as the first input."""
    return call.x


def free(call: Call, outputs: Outputs) -> Price:
    """No op the profiler counts (copies, reshapes, pads, gathers, relu)."""
    return Price(0, 0)


def count(shape: Shape) -> int:
    """The elements of a shape the cost rules were handed fully known."""
    return elements(shape) or 0


def activation_flops(call: Call, elements_out: int) -> int | None:
    """The FLOPs of a layer's `activation` argument over its outputs; None when unknown."""
    name = call.config.get("activation", "linear")
    if name is None:
        return 0
    per_element = ACTIVATION_FLOPS.get(name) if isinstance(name, str) else None
    return None if per_element is None else per_element * elements_out


def with_activation(
    call: Call, macs: int, flops: int, elements_out: int, estimated: bool = False
) -> Price | None:
    """A matrix product's or convolution's price with its bias (`use_bias`) and activation added."""
    extra = activation_flops(call, elements_out)
    if extra is None:
        return None
    bias = elements_out if call.config.get("use_bias", True) else 0
    return Price(macs, flops + bias + extra, estimated)


def axis_size(call: Call, default: Any = -1) -> int | None:
    """The elements along a layer's `axis` (an int or a list) of its first input."""
    x, axis = call.x, call.config.get("axis", default)
    if x is None:
        return None
    axes = axis if isinstance(axis, list) else [axis]
    found = [normalize_axis(a, len(x)) for a in axes]
    if None in found:
        return None
    return prod(x[a] for a in found)  # type: ignore[misc]


# -- what weight rules read ----------------------------------------------------------
def positive(config: dict[str, Any], key: str) -> int | None:
    """A count argument (units, filters), or None when it is not a positive whole number."""
    value = int_arg(config.get(key))
    return value if value is not None and value >= 1 else None


def kernel_size(config: dict[str, Any], rank: int) -> list[int | None]:
    value = config.get("kernel_size")
    if is_int(value):
        return [value] * rank
    if isinstance(value, list) and len(value) == rank and all(is_int(v) for v in value):
        return list(value)
    return [None] * rank


def last_dim(build: Build) -> int | None:
    """The input's last dimension (its features or channels), where known."""
    shape = build.input_shape
    return shape[-1] if shape else None


def channels(build: Build, rank: int) -> int | None:
    """The input channels of a `rank`-D convolution's input, where known."""
    shape = build.input_shape
    if shape is None or len(shape) != rank + 2:
        return None
    return shape[1] if build.config.get("data_format") == "channels_first" else shape[-1]


def axes_shape(build: Build, default: Any = -1) -> list[int | None] | None:
    """The shape of a normalization's per-axis vectors: the input's sizes along
    `axis` where the input shape is known; else the one shape every stored variable
    has (or one no variable can match, when they differ)."""
    shape = build.input_shape
    if shape is not None:
        axis = build.config.get("axis", default)
        axes = sorted(axis) if isinstance(axis, list) else [axis]  # Keras sorts a list as given
        found = [normalize_axis(a, len(shape)) for a in axes]
        return None if None in found else [shape[a] for a in found]  # type: ignore[index]
    if not build.stored:
        return None
    first = build.stored[0].shape
    return list(first) if all(w.shape == first for w in build.stored) else [-1]
