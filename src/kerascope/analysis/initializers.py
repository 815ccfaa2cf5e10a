"""What Keras's initializers give a weight at its start, as the value rules need it:
whether a whole tensor of zeros, or of one value, is what the initializer makes,
and the scale (root mean square) it gives a tensor of a given shape.

A weight's initializer is the one its layer's config names for it
(`kernel_initializer` for `kernel`, `recurrent_initializer` for
`recurrent_kernel`, `depthwise_initializer` for `depthwise_kernel`: every built-in
layer spells it so); a sublayer a file stores without a config (Keras 3's
`lstm/cell`) takes it from the nearest layer above that has one. Where no config
names it (a weights-only file, a custom class), it is the default Keras gives a
weight of that name in every built-in layer: Glorot-uniform kernels, orthogonal
recurrent kernels, uniform(-0.05, 0.05) embeddings, ones for `gamma` and
`moving_variance`, zeros for `bias`, `beta` and `moving_mean`. A weight of any
other name, or an initializer of a class Keras does not have, is unknown, and no
rule judges it.

The scales are Keras's own formulas (`keras/src/initializers`): variance scaling
draws with standard deviation sqrt(scale / n), n the fan its mode names (Glorot:
scale 1 over the average of fan in and fan out; He: 2 over fan in; LeCun: 1 over
fan in), the fans computed as `compute_fans` does; a truncated normal keeps 0.88 of
its standard deviation; an orthogonal matrix of gain g has RMS g / sqrt(max(rows,
columns)) over the tensor flattened to (all but the last axis, the last axis).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from kerascope.model.records import LayerNode, ModelReport, WeightInfo, short_name

ZEROS, CONSTANT, RANDOM = "zeros", "constant", "random"
TRUNCATED = 0.87962566103423978  # the std of a normal truncated at two standard deviations, per unit
# The initializer Keras gives a weight of each name in every built-in layer.
DEFAULTS = {
    "kernel": "GlorotUniform",
    "depthwise_kernel": "GlorotUniform",
    "pointwise_kernel": "GlorotUniform",
    "recurrent_kernel": "Orthogonal",
    "embeddings": "uniform",  # RandomUniform(-0.05, 0.05)
    "gamma": "Ones",
    "moving_variance": "Ones",
    "bias": "Zeros",
    "beta": "Zeros",
    "moving_mean": "Zeros",
}
# Variance scaling: (scale, mode) of each named form.
_SCALED = {
    "glorotuniform": (1.0, "fan_avg"),
    "glorotnormal": (1.0, "fan_avg"),
    "heuniform": (2.0, "fan_in"),
    "henormal": (2.0, "fan_in"),
    "lecununiform": (1.0, "fan_in"),
    "lecunnormal": (1.0, "fan_in"),
}
_ZEROS = {"zeros", "zero"}
_ONES = {"ones", "one"}
_OTHER_RANDOM = {
    "variancescaling",
    "randomnormal",
    "normal",
    "randomuniform",
    "uniform",
    "truncatednormal",
    "orthogonal",
    "identity",
}


@dataclass(frozen=True)
class Initializer:
    """An initializer as a config names it (`name`), what it gives (`ZEROS`, `CONSTANT`
    or `RANDOM`), and its arguments."""

    name: str
    kind: str
    arguments: dict[str, Any]

    def rms(self, shape: list[int | None]) -> float | None:
        """The root mean square of the values it gives a tensor of `shape`; None when
        Keras gives no formula for it here (a shape it refuses, an argument not a number)."""
        if any(size is None or size <= 0 for size in shape):
            return None
        dims = [int(size) for size in shape]  # type: ignore[arg-type]
        key = _key(self.name)
        number = self._number
        if key in _SCALED or key == "variancescaling":
            scale, mode = _SCALED.get(key) or (number("scale", 1.0), self.arguments.get("mode", "fan_in"))
            fan_in, fan_out = _fans(dims)
            fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}.get(mode)
            return None if scale is None or fan is None or scale < 0 else math.sqrt(scale / max(1.0, fan))
        if key in ("randomnormal", "normal", "truncatednormal"):
            mean, stddev = number("mean", 0.0), number("stddev", 0.05)
            if mean is None or stddev is None:
                return None
            spread = stddev * (TRUNCATED if key == "truncatednormal" else 1.0)
            return math.sqrt(mean * mean + spread * spread)
        if key in ("randomuniform", "uniform"):
            low, high = number("minval", -0.05), number("maxval", 0.05)
            if key == "uniform" and "scale" in self.arguments:  # Keras 1: uniform(scale)
                high = number("scale", 0.05)
                low = None if high is None else -high
            return (
                None if low is None or high is None else math.sqrt((low * low + low * high + high * high) / 3)
            )
        if key in ("orthogonal", "identity"):
            gain = number("gain", 1.0)
            rows, columns = math.prod(dims[:-1]) if len(dims) > 1 else 1, dims[-1] if dims else 1
            if gain is None:
                return None
            if key == "orthogonal":
                return abs(gain) / math.sqrt(max(rows, columns))
            return abs(gain) * math.sqrt(min(rows, columns) / (rows * columns)) if len(dims) == 2 else None
        return None

    def _number(self, name: str, default: float) -> float | None:
        value = self.arguments.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return None
        return float(value)


def initializer_of(report: ModelReport, node: LayerNode, weight: WeightInfo) -> Initializer | None:
    """The initializer that gave `weight` of `node` its start, or None when unknown."""
    name = short_name(weight)
    if name is None:
        return None
    keys = [f"{name}_initializer", f"{name.removesuffix('_kernel')}_initializer"]
    holder: LayerNode | None = node
    while holder is not None:
        config = holder.config
        if isinstance(config, dict):
            stored = next((config[key] for key in keys if key in config), None)
            if stored is not None:
                return parse(stored)
            break  # a layer with a config that names none: its own code chose, unknown here
        holder = report.parent(holder)
    default = DEFAULTS.get(name)
    return parse(default) if default else None


def parse(stored: Any) -> Initializer | None:
    """An initializer as a config stores it: a name (`"glorot_uniform"`), or a
    serialized object (`{"class_name": "GlorotUniform", "config": {...}}`)."""
    if isinstance(stored, str):
        name, arguments = stored, {}
    elif isinstance(stored, dict) and isinstance(stored.get("class_name"), str):
        name = stored["class_name"]
        arguments = stored.get("config") if isinstance(stored.get("config"), dict) else {}
    else:
        return None
    key = _key(name)
    if key in _ZEROS:
        return Initializer(name, ZEROS, arguments)
    if key in _ONES:
        return Initializer(name, CONSTANT, arguments)
    if key == "constant":
        value = arguments.get("value", 0.0)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        return Initializer(name, ZEROS if value == 0 else CONSTANT, arguments)
    if key in _SCALED or key in _OTHER_RANDOM:
        return Initializer(name, RANDOM, arguments)
    return None


def _key(name: str) -> str:
    """`GlorotUniform`, `glorot_uniform` and `keras.initializers.GlorotUniform` alike."""
    return name.rpartition(".")[2].replace("_", "").lower()


def _fans(shape: list[int]) -> tuple[float, float]:
    """Fan in and fan out as Keras's `compute_fans` counts them."""
    if not shape:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = math.prod(shape[:-2])
    return float(shape[-2] * receptive), float(shape[-1] * receptive)
