"""Keras's core layers (`keras/src/layers/core/`): inputs, Dense, EinsumDense,
Embedding, Lambda, Identity, Masking."""

from __future__ import annotations

import re
from math import prod
from typing import Any

from kerascope.families import dims
from kerascope.families.call import Call, Outputs
from kerascope.families.dims import Shape, as_shape, int_arg, is_int
from kerascope.families.knowledge import Build, LayerKnowledge, Price, Variable
from kerascope.families.registry import register
from kerascope.families.rules import (
    activation_flops,
    count,
    free,
    last_dim,
    positive,
    same_shape,
    with_activation,
)
from kerascope.model.vocabulary import Kind


# -- Dense: keras/src/layers/core/dense.py, class Dense --------------------------------
def _dense(call: Call) -> Shape:
    units = int_arg(call.get("units"))
    if units is None or units < 1 or not call.x:
        return None
    return (*call.x[:-1], dims.check(units))


def _dense_cost(call: Call, outputs: Outputs) -> Price | None:
    elements_out = count(outputs[0])
    macs = call.x[-1] * elements_out  # type: ignore[index]
    return with_activation(call, macs, 2 * macs, elements_out)


def _dense_weights(build: Build) -> list[Variable] | None:
    """`build()`: kernel (input features, units), then bias (units,) with `use_bias`."""
    units = positive(build.config, "units")
    if units is None:
        return None
    found = [Variable("kernel", [last_dim(build), units])]
    if build.config.get("use_bias", True):
        found.append(Variable("bias", [units]))
    return found


# -- EinsumDense: keras/src/layers/core/einsum_dense.py, class EinsumDense --------------
_EINSUM = re.compile(r"^(\.\.\.)?([a-zA-Z]+)(\.\.\.)?,([a-zA-Z]+)->(\.\.\.)?([a-zA-Z]+)(\.\.\.)?$")


def einsum_parts(equation: object) -> tuple[str, str, str, str | None] | None:
    """(input spec, kernel spec, output spec, where an ellipsis sits) of an EinsumDense equation."""
    if not isinstance(equation, str) or len(equation) > 200:
        return None
    match = _EINSUM.match(equation.replace(" ", ""))
    if match is None:
        return None
    left, source, right, kernel, out_left, target, out_right = match.groups()
    if bool(left) != bool(out_left) or bool(right) != bool(out_right) or (left and right):
        return None
    return source, kernel, target, "left" if left else "right" if right else None


def _partial_output(config: dict[str, Any]) -> Shape:
    """The configured `output_shape` (an int or a list), without the batch dimension."""
    requested = config.get("output_shape")
    partial = [requested] if is_int(requested) else requested
    return as_shape(partial) if isinstance(partial, list) else None


def _keras_output(
    x: tuple[int | None, ...], partial: tuple[int | None, ...], source: str, left: bool
) -> Shape:
    """The output shape `_analyze_split_string` works with: the batch dimension, the
    configured `output_shape`, and the dimensions an ellipsis elides, appended, or
    (a left ellipsis) inserted one by one at position 1."""
    elided = len(x) - len(source)
    if elided < 0:
        return None
    if left:
        return (x[0], *reversed(x[1:elided]), *partial)
    return (x[0], *partial, *x[len(x) - elided :])


def _einsum_full_output(call: Call) -> tuple[Shape, tuple[str, str, str, str | None]] | None:
    """Keras 3's output shape, where the equation and `output_shape` agree on its rank."""
    parts = einsum_parts(call.get("equation"))
    partial = _partial_output(call.config)
    if parts is None or partial is None or call.x is None:
        return None
    x, (source, _, target, ellipsis) = call.x, parts
    elided = len(x) - len(source)
    if elided < 0 or (elided and not ellipsis) or len(partial) + 1 != len(target):
        return None
    return _keras_output(x, partial, source, ellipsis == "left"), parts


def _einsum_dense(call: Call) -> Shape:
    """Keras 3 leaves None where the configuration says None; Keras 2 takes those
    from the input."""
    found = _einsum_full_output(call)
    if found is None:
        return None
    full, (source, _, target, ellipsis) = found
    if call.keras3:
        return full
    x = call.x
    elided = len(x) - len(source)  # type: ignore[arg-type]
    offset = elided if ellipsis == "left" else 0
    from_input = {letter: x[i + offset] for i, letter in enumerate(source)}  # type: ignore[index]
    return tuple(
        from_input.get(target[i - offset], d) if d is None and 0 <= i - offset < len(target) else d
        for i, d in enumerate(full)  # type: ignore[arg-type]
    )


def _einsum_dense_cost(call: Call, outputs: Outputs) -> Price | None:
    parts = einsum_parts(call.config.get("equation"))
    x, out = call.x, outputs[0]
    if parts is None or x is None or out is None:
        return None
    source, kernel, target, ellipsis = parts
    elided = len(x) - len(source)
    offset = elided if ellipsis == "left" else 0
    sizes = {letter: x[offset + i] for i, letter in enumerate(source)}
    out_offset = len(out) - len(target) if ellipsis == "left" else 0
    sizes.update({letter: out[out_offset + i] for i, letter in enumerate(target)})
    if any(letter not in sizes for letter in kernel) or any(size is None for size in sizes.values()):
        return None
    extra = prod(x[:elided]) if ellipsis == "left" else prod(x[len(x) - elided :]) if elided else 1
    macs = prod(sizes.values()) * extra  # type: ignore[arg-type]
    elements_out = count(out)
    flops = 2 * macs + (elements_out if call.config.get("bias_axes") else 0)
    activation = activation_flops(call, elements_out)
    return None if activation is None else Price(macs, flops + activation)


def _einsum_dense_weights(build: Build) -> list[Variable] | None:
    """`build()` through `_analyze_split_string`: the kernel sized by the letters of
    its spec (an output letter from the output shape, else from the input), then the
    bias from the first bias letter to the output's end (1 where a letter has none)."""
    parts = einsum_parts(build.config.get("equation"))
    kernel: list[int | None] | None = None if parts is None else [None] * len(parts[1])
    bias: list[int | None] | None = None
    bias_axes = build.config.get("bias_axes")
    x, partial = build.input_shape, _partial_output(build.config)
    full = (
        None
        if parts is None or x is None or partial is None
        else _keras_output(x, partial, parts[0], parts[3] == "left")
    )
    if parts is not None and x is not None and full is not None:
        source, letters, target, ellipsis = parts
        elided = len(x) - len(source)
        shift = elided if ellipsis == "left" else 0
        at_input = {c: i + shift - (len(x) if shift else 0) for i, c in enumerate(source)}
        at_output = {c: i + shift for i, c in enumerate(target)}
        kernel = [full[at_output[c]] if c in at_output else x[at_input[c]] for c in letters]
        if isinstance(bias_axes, str) and bias_axes and set(bias_axes) <= set(target):
            first = min(target.find(c) for c in bias_axes)
            bias = [full[at_output[c]] if c in bias_axes else 1 for c in target[first:]]
            bias += [] if shift else [1] * elided
    variables = [Variable("kernel", kernel)]
    if bias_axes:
        variables.append(Variable("bias", bias))
    return variables


# -- Embedding: keras/src/layers/core/embedding.py, class Embedding ---------------------
def _embedding(call: Call) -> Shape:
    width = int_arg(call.get("output_dim"))
    if width is None or width < 1 or call.x is None:
        return None
    return (*call.x, width)


def _embedding_cost(call: Call, outputs: Outputs) -> Price:
    return Price(0, 2 * count(call.x))


def _embedding_weights(build: Build) -> list[Variable] | None:
    """`build()`: embeddings (input_dim, output_dim); its input shape plays no part."""
    return [
        Variable("embeddings", [positive(build.config, "input_dim"), positive(build.config, "output_dim")])
    ]


# -- Lambda: keras/src/layers/core/lambda_layer.py, class Lambda -------------------------
def _lambda(call: Call) -> Shape:
    """Known only when the config stores a plain `output_shape` (not a function)."""
    stored = call.config.get("output_shape")
    if not isinstance(stored, list) or not stored or call.x is None:
        return None
    shape = as_shape(stored)
    return None if shape is None else (call.x[0], *shape)


register(
    LayerKnowledge("InputLayer", Kind.INPUT, same_shape, free, generated_names=("input", "input_layer")),
    LayerKnowledge("Dense", Kind.DENSE, _dense, _dense_cost, _dense_weights),
    LayerKnowledge("EinsumDense", Kind.DENSE, _einsum_dense, _einsum_dense_cost, _einsum_dense_weights),
    LayerKnowledge(
        "Embedding",
        Kind.EMBEDDING,
        _embedding,
        _embedding_cost,
        _embedding_weights,
        keeps_arguments=frozenset({"output_dim"}),
    ),
    LayerKnowledge("Lambda", Kind.LAMBDA, _lambda),
    LayerKnowledge("Identity", Kind.UTILITY, same_shape, free),
    LayerKnowledge("Masking", Kind.UTILITY, same_shape),
)
