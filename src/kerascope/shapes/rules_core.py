"""Shape rules of Keras's core, activation, normalization, regularization,
embedding, reshaping and merging layers (Keras 1, 2 and 3)."""

from __future__ import annotations

import re

from kerascope.shapes import dims
from kerascope.shapes.call import Call, Shape, shape_rule
from kerascope.shapes.dims import as_shape, int_arg, is_int, mul, normalize_axis

SAME_SHAPE = [
    "Activation",
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "GaussianDropout",
    "GaussianNoise",
    "AlphaDropout",
    "ActivityRegularization",
    "Masking",
    "Identity",
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "ThresholdedReLU",
    "Softmax",
    "BatchNormalization",
    "LayerNormalization",
    "GroupNormalization",
    "UnitNormalization",
    "RMSNormalization",
    "SyncBatchNormalization",
    "SpectralNormalization",
    "Rescaling",
    "Normalization",
    "Equalization",
    "AutoContrast",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "RandomContrast",
    "RandomBrightness",
    "RandomGrayscale",
    "RandomSharpness",
    "RandomColorJitter",
    "RandomHue",
    "RandomSaturation",
    "RandomPosterization",
    "Solarization",
    "RandomInvert",
    "RandomGaussianBlur",
    "RandomErasing",
    "RandomShear",
    "RandomElasticTransform",
    "RandomPerspective",
    "RandomColorDegeneration",
    "MaxNumBoundingBoxes",
]
APPLICATION_SAME_SHAPE = ("app:LayerScale", "app:StochasticDepth")


@shape_rule(*SAME_SHAPE, *APPLICATION_SAME_SHAPE)
def same_shape(call: Call) -> Shape:
    return call.x


@shape_rule("app:CustomScaleLayer")
def custom_scale(call: Call) -> Shape:
    """InceptionResNetV2's `x[0] + x[1] * scale`."""
    return broadcast(call.inputs)


@shape_rule("InputLayer")
def input_layer(call: Call) -> Shape:
    return call.x


@shape_rule("Dense")
def dense(call: Call) -> Shape:
    units = int_arg(call.get("units"))
    if units is None or units < 1 or not call.x:
        return None
    return (*call.x[:-1], dims.check(units))


@shape_rule("EinsumDense")
def einsum_dense(call: Call) -> Shape:
    """Keras's own rule: batch dimension, then the configured `output_shape`,
    then any dimensions an ellipsis elides. Keras 3 leaves None where the
    configuration says None; Keras 2 takes those from the input."""
    parts = einsum_parts(call.get("equation"))
    requested = call.config.get("output_shape")
    partial = [requested] if is_int(requested) else requested
    if parts is None or not isinstance(partial, list) or call.x is None:
        return None
    partial_shape = as_shape(partial)
    if partial_shape is None:
        return None
    x, (source, _, target, ellipsis) = call.x, parts
    elided = len(x) - len(source)
    if elided < 0 or (elided and not ellipsis) or len(partial_shape) + 1 != len(target):
        return None
    if ellipsis == "left":  # Keras inserts the elided dimensions one by one at position 1
        full = (x[0], *reversed(x[1:elided]), *partial_shape)
    else:
        full = (x[0], *partial_shape, *x[len(x) - elided :])
    if call.keras3:
        return full
    offset = elided if ellipsis == "left" else 0
    from_input = {letter: x[i + offset] for i, letter in enumerate(source)}
    return tuple(
        from_input.get(target[i - offset], d) if d is None and 0 <= i - offset < len(target) else d
        for i, d in enumerate(full)
    )


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


@shape_rule("Lambda")
def lambda_layer(call: Call) -> Shape:
    """Known only when the config stores a plain `output_shape` (not a function)."""
    stored = call.config.get("output_shape")
    if not isinstance(stored, list) or not stored or call.x is None:
        return None
    shape = as_shape(stored)
    return None if shape is None else (call.x[0], *shape)


@shape_rule("Embedding")
def embedding(call: Call) -> Shape:
    width = int_arg(call.get("output_dim"))
    if width is None or width < 1 or call.x is None:
        return None
    return (*call.x, width)


# -- reshaping ------------------------------------------------------------------------
@shape_rule("Reshape")
def reshape(call: Call) -> Shape:
    target = call.config.get("target_shape")
    if not isinstance(target, list) or call.x is None or len(target) > dims.MAX_RANK:
        return None
    if not all(is_int(d) for d in target) or sum(d == -1 for d in target) > 1:
        return None
    return (call.x[0], *resolve_minus_one([int_arg(d) for d in target], call.x[1:]))


def resolve_minus_one(target: list[int | None], source: Shape) -> tuple[int | None, ...]:
    """A reshape target with its -1 worked out from the source, when every size is known."""
    known = dims.elements(source)
    if -1 not in target:
        if any(d is not None and d < 0 for d in target):
            return tuple(None for _ in target)
        product = dims.elements(tuple(target))
        if known is not None and product is not None and known != product:
            return tuple(None for _ in target)
        return tuple(target)
    rest = dims.elements(tuple(d for d in target if d != -1))
    if known is None or not rest or known % rest:
        return tuple(None if d == -1 else d for d in target)
    return tuple(dims.check(known // rest) if d == -1 else d for d in target)


@shape_rule("Flatten")
def flatten(call: Call) -> Shape:
    if not call.x:
        return None
    return (call.x[0], mul(*call.x[1:])) if len(call.x) > 1 else (call.x[0], 1)


@shape_rule("Permute")
def permute(call: Call) -> Shape:
    order = call.config.get("dims")
    x = call.x
    if not isinstance(order, list) or x is None or sorted(order) != list(range(1, len(x))):
        return None
    return (x[0], *(x[d] for d in order))


@shape_rule("RepeatVector")
def repeat_vector(call: Call) -> Shape:
    count = int_arg(call.get("n"))
    if count is None or count < 0 or call.x is None or len(call.x) != 2:
        return None
    return (call.x[0], count, call.x[1])


def _pairs(value: object, rank: int) -> list[tuple[int, int]] | None:
    """Cropping/padding amounts: an int, one int per axis, or a (before, after) pair per axis."""
    if is_int(value):
        return [(int_arg(value), int_arg(value))] * rank  # type: ignore[list-item]
    if not isinstance(value, list) or len(value) != rank:
        if rank == 1 and isinstance(value, list) and len(value) == 2 and all(is_int(v) for v in value):
            return [(int_arg(value[0]), int_arg(value[1]))]  # type: ignore[list-item]
        return None
    pairs = []
    for item in value:
        if is_int(item):
            pairs.append((int_arg(item), int_arg(item)))
        elif isinstance(item, list) and len(item) == 2 and all(is_int(v) for v in item):
            pairs.append((int_arg(item[0]), int_arg(item[1])))
        else:
            return None
    return pairs  # type: ignore[return-value]


def _spatial_edit(call: Call, rank: int, key: str, sign: int) -> Shape:
    x = call.x
    pairs = _pairs(call.config.get(key), rank)
    if x is None or len(x) != rank + 2 or pairs is None:
        return None
    first = 2 if call.channels_first() and rank > 1 else 1
    out = list(x)
    for axis, (before, after) in enumerate(pairs):
        size = x[first + axis]
        out[first + axis] = None if size is None else dims.check(size + sign * (before + after))
    return tuple(out)


for _rank in (1, 2, 3):
    shape_rule(f"Cropping{_rank}D")(lambda call, rank=_rank: _spatial_edit(call, rank, "cropping", -1))
    shape_rule(f"ZeroPadding{_rank}D")(lambda call, rank=_rank: _spatial_edit(call, rank, "padding", 1))


def _upsample(call: Call, rank: int) -> Shape:
    x = call.x
    factor = call.config.get("size", call.config.get("length", 2))  # Keras 1 said `length`
    sizes = dims.int_tuple(factor, rank)
    if x is None or len(x) != rank + 2 or sizes is None:
        return None
    first = 2 if call.channels_first() and rank > 1 else 1
    out = list(x)
    for axis, factor in enumerate(sizes):
        out[first + axis] = mul(x[first + axis], factor)
    return tuple(out)


for _rank in (1, 2, 3):
    shape_rule(f"UpSampling{_rank}D")(lambda call, rank=_rank: _upsample(call, rank))


# -- merging --------------------------------------------------------------------------
def broadcast(shapes: list[Shape]) -> Shape:
    """Keras's merge rule: the batch size if the inputs name one, then the other
    dimensions broadcast from the right, unknown wherever one input's is unknown."""
    if not shapes or any(s is None or not s for s in shapes):
        return None
    batches = {s[0] for s in shapes} - {None}  # type: ignore[index]
    batch = batches.pop() if len(batches) == 1 else None
    rank = max(len(s) for s in shapes)  # type: ignore[arg-type]
    out: list[int | None] = []
    for position in range(1, rank):
        sizes = [s[len(s) - rank + position] for s in shapes if len(s) - rank + position >= 1]  # type: ignore[arg-type,index]
        if any(size is None for size in sizes):
            out.append(None)
            continue
        wide = {size for size in sizes if size != 1}
        if len(wide) > 1:
            return None
        out.append(wide.pop() if wide else 1)
    return (batch, *out)


@shape_rule("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")
def elementwise_merge(call: Call) -> Shape:
    return broadcast(call.inputs)


@shape_rule("Concatenate")
def concatenate(call: Call) -> Shape:
    return concat(call.inputs, call.get("axis", -1))


def concat(shapes: list[Shape], axis: object) -> Shape:
    if not shapes or any(s is None for s in shapes):
        return None
    rank = len(shapes[0])  # type: ignore[arg-type]
    index = normalize_axis(axis, rank)
    if index is None or any(len(s) != rank for s in shapes):  # type: ignore[arg-type]
        return None
    out = list(shapes[0])  # type: ignore[arg-type]
    out[index] = dims.add(*(s[index] for s in shapes))  # type: ignore[index]
    return tuple(out)


@shape_rule("Dot")
def dot(call: Call) -> Shape:
    if len(call.inputs) != 2 or any(s is None for s in call.inputs):
        return None
    first, second = list(call.inputs[0]), list(call.inputs[1])  # type: ignore[arg-type]
    axes = call.config.get("axes", -1)
    if is_int(axes):
        pair = [axes % len(first), axes % len(second)] if axes < 0 else [axes, axes]
    elif isinstance(axes, list) and len(axes) == 2 and all(is_int(a) for a in axes):
        pair = [normalize_axis(axes[0], len(first)), normalize_axis(axes[1], len(second))]
    else:
        return None
    if None in pair or not (0 <= pair[0] < len(first) and 0 <= pair[1] < len(second)) or len(second) < 2:
        return None
    first.pop(pair[0])
    second.pop(pair[1])
    second.pop(0)
    out = first + second
    return tuple([*out, 1] if len(out) == 1 else out)


@shape_rule("Merge")
def keras1_merge(call: Call) -> Shape:
    """Keras 1's one merge layer, whose `mode` names the operation."""
    mode = call.config.get("mode")
    if mode == "concat":
        return concat(call.inputs, call.get("concat_axis", -1))
    if mode in ("sum", "mul", "ave", "max"):
        return broadcast(call.inputs)
    return None
