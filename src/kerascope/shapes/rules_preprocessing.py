"""Shape rules of preprocessing layers that change shapes, and of the Keras 3
operations (`keras.ops`) a functional config records as layers."""

from __future__ import annotations

from kerascope.shapes import dims
from kerascope.shapes.call import Call, Shape, shape_rule
from kerascope.shapes.dims import int_arg, is_int, normalize_axis
from kerascope.shapes.rules_core import broadcast, concat, resolve_minus_one


def _image_size(call: Call) -> Shape:
    x = call.x
    height, width = int_arg(call.get("height")), int_arg(call.get("width"))
    if x is None or len(x) not in (3, 4) or height is None or width is None:
        return None
    if call.channels_first():
        return (*x[:-2], height, width)
    return (*x[:-3], height, width, x[-1])


shape_rule("Resizing", "CenterCrop", "RandomCrop")(_image_size)


def _depth_output(x: Shape, mode: object, depth: int | None) -> Shape:
    """Keras's lookup/encoding rule: `int` keeps the shape; `one_hot` adds (or
    replaces a trailing 1 with) the depth; the others replace the last dimension."""
    if x is None:
        return None
    if mode == "int":
        return x
    if mode == "one_hot":
        return (*x[:-1], depth) if len(x) > 1 and x[-1] == 1 else (*x, depth)
    if mode in ("multi_hot", "count", "tf_idf"):
        return (*x[:-1], depth) if len(x) > 1 else (*x, depth)
    return None


def _vocabulary_depth(call: Call) -> int | None:
    if call.flag("pad_to_max_tokens"):
        return int_arg(call.get("max_tokens"))
    return int_arg(call.get("vocabulary_size"))


@shape_rule("StringLookup", "IntegerLookup")
def lookup(call: Call) -> Shape:
    return _depth_output(call.x, call.get("output_mode", "int"), _vocabulary_depth(call))


@shape_rule("TextVectorization")
def text_vectorization(call: Call) -> Shape:
    x, mode = call.x, call.get("output_mode", "int")
    if x is None:
        return None
    if mode == "int":
        length = int_arg(call.get("output_sequence_length"))
        return (x[0], length)
    shaped: Shape = (*x, 1) if len(x) <= 1 else x
    if call.config.get("split", "whitespace") is not None:
        shaped = (*x, None)
    return _depth_output(shaped, mode, _vocabulary_depth(call))


@shape_rule("CategoryEncoding")
def category_encoding(call: Call) -> Shape:
    x, depth = call.x, int_arg(call.get("num_tokens"))
    mode = call.get("output_mode", "multi_hot")
    if x is None:
        return None
    if mode == "one_hot":
        return (*x[:-1], depth) if x and x[-1] == 1 else (*x, depth)
    if mode in ("multi_hot", "count"):
        return (*x[:-1], depth) if len(x) > 1 else (*x, depth)
    return None


@shape_rule("Hashing")
def hashing(call: Call) -> Shape:
    return (
        category_encoding(
            Call(
                "CategoryEncoding",
                {"num_tokens": call.get("num_bins"), "output_mode": call.get("output_mode", "int")},
                call.inputs,
            )
        )
        if call.get("output_mode", "int") != "int"
        else call.x
    )


@shape_rule("Discretization")
def discretization(call: Call) -> Shape:
    mode = call.get("output_mode", "int")
    if mode == "int":
        return call.x
    boundaries = call.config.get("bin_boundaries")
    depth = len(boundaries) + 1 if isinstance(boundaries, list) else int_arg(call.get("num_bins"))
    return category_encoding(
        Call("CategoryEncoding", {"num_tokens": depth, "output_mode": mode}, call.inputs)
    )


@shape_rule("HashedCrossing")
def hashed_crossing(call: Call) -> Shape:
    x = call.x
    if x is None:
        return None
    if call.get("output_mode", "int") == "int":
        return x
    return (x[0], int_arg(call.get("num_bins")))


# -- Keras 3 operations ---------------------------------------------------------------
UNARY_OPS = [
    "Abs",
    "Absolute",
    "Negative",
    "Square",
    "Sqrt",
    "Rsqrt",
    "Exp",
    "Expm1",
    "Log",
    "Log1p",
    "Log2",
    "Log10",
    "Sign",
    "Sin",
    "Cos",
    "Tan",
    "Tanh",
    "Sinh",
    "Cosh",
    "Arcsin",
    "Arccos",
    "Arctan",
    "Floor",
    "Ceil",
    "Round",
    "Clip",
    "Cast",
    "Relu",
    "Relu6",
    "Sigmoid",
    "HardSigmoid",
    "Silu",
    "HardSilu",
    "Gelu",
    "Elu",
    "Selu",
    "Softplus",
    "Softsign",
    "LeakyRelu",
    "Celu",
    "Glu",
    "Mish",
    "Erf",
    "Reciprocal",
    "Copy",
    "ConvertToTensor",
    "StopGradient",
    "Softmax",
    "LogSoftmax",
    "LogicalNot",
    "IsNan",
    "IsInf",
    "IsFinite",
    "Real",
    "Imag",
    "Conj",
    "Nan_to_num",
    "NanToNum",
    "Trunc",
]
BINARY_OPS = [
    "Add",
    "Subtract",
    "Multiply",
    "Divide",
    "TrueDivide",
    "FloorDivide",
    "Mod",
    "Power",
    "Maximum",
    "Minimum",
    "Equal",
    "NotEqual",
    "Greater",
    "GreaterEqual",
    "Less",
    "LessEqual",
    "LogicalAnd",
    "LogicalOr",
    "LogicalXor",
    "Arctan2",
    "Hypot",
]
shape_rule(*(f"op:{name}" for name in UNARY_OPS))(lambda call: call.x)
shape_rule(*(f"op:{name}" for name in BINARY_OPS))(
    lambda call: broadcast(call.inputs) if len(call.inputs) > 1 else call.x
)


@shape_rule("op:Mean", "op:Sum", "op:Max", "op:Min", "op:Prod", "op:Std", "op:Var", "op:Any", "op:All")
def reduction(call: Call) -> Shape:
    x, axis = call.x, call.config.get("axis")
    if x is None:
        return None
    keep = call.flag("keepdims")
    if axis is None:
        return tuple(1 for _ in x) if keep else ()
    axes = [axis] if is_int(axis) else axis
    if not isinstance(axes, list) or not all(is_int(a) for a in axes):
        return None
    chosen = {normalize_axis(a, len(x)) for a in axes}
    if None in chosen:
        return None
    return tuple(1 if i in chosen else d for i, d in enumerate(x) if keep or i not in chosen)


@shape_rule("op:Reshape")
def reshape_op(call: Call) -> Shape:
    target = call.config.get("newshape", call.config.get("new_shape"))
    if call.x is None or not isinstance(target, list) or len(target) > dims.MAX_RANK:
        return None
    if not all(d is None or is_int(d) for d in target) or sum(d == -1 for d in target) > 1:
        return None
    values = [None if d is None else int_arg(d) for d in target]
    if None in values:
        return tuple(None if d in (None, -1) else d for d in values)
    return resolve_minus_one(values, call.x)  # type: ignore[arg-type]


@shape_rule("op:Transpose")
def transpose_op(call: Call) -> Shape:
    x, axes = call.x, call.config.get("axes")
    if x is None:
        return None
    if axes is None:
        return tuple(reversed(x))
    if not isinstance(axes, list) or sorted(a % len(x) if is_int(a) else -1 for a in axes) != list(
        range(len(x))
    ):
        return None
    return tuple(x[a % len(x)] for a in axes)


@shape_rule("op:Concatenate")
def concatenate_op(call: Call) -> Shape:
    return concat(call.inputs, call.get("axis", 0))


@shape_rule("op:ExpandDims")
def expand_dims_op(call: Call) -> Shape:
    x, axis = call.x, call.config.get("axis")
    if x is None or not is_int(axis):
        return None
    index = normalize_axis(axis, len(x) + 1)
    return None if index is None else (*x[:index], 1, *x[index:])


@shape_rule("op:Squeeze")
def squeeze_op(call: Call) -> Shape:
    x, axis = call.x, call.config.get("axis")
    if x is None:
        return None
    if axis is None:
        return None if None in x else tuple(d for d in x if d != 1)
    axes = [axis] if is_int(axis) else axis
    if not isinstance(axes, list) or not all(is_int(a) for a in axes):
        return None
    chosen = {normalize_axis(a, len(x)) for a in axes}
    if None in chosen:
        return None
    return tuple(d for i, d in enumerate(x) if i not in chosen)


@shape_rule("op:Matmul")
def matmul_op(call: Call) -> Shape:
    if len(call.inputs) != 2 or call.inputs[0] is None or call.inputs[1] is None:
        return None
    first, second = call.inputs
    if len(first) < 2 or len(second) < 2:
        return None
    batch = (
        broadcast([(None, *first[:-2]), (None, *second[:-2])])
        if len(first) > 2 or len(second) > 2
        else (None,)
    )
    if batch is None:
        return None
    return (*batch[1:], first[-2], second[-1])
