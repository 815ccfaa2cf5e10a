"""Arrays and Keras variables in a pickle, read from what the pickle walker
(`pickles.py`) recorded: nothing is imported or called.

Keras 3 writes `model.weights.npz` with `np.savez(**{path: {"0": kernel, ...}})`:
each member is a 0-d object array, which numpy stores as a pickle of a dict, and
the dict holds whatever the layer stored: numpy arrays, or Keras `Variable`
objects (pickled with their backend's variable inside). Keras itself loads npz
files with `allow_pickle=False`, so it refuses the files it writes; older Keras
unpickles them, importing whatever they name. kerascope does neither: the walker
runs the pickle's opcodes over plain values, in which an import is only a name and
a call only a record.

An array is recognised by the calls numpy makes to rebuild one: up to protocol 4,
`_reconstruct`, then the state `(version, shape, dtype, fortran_order, data)` (its
bytes, at protocols 0 to 2, made by `_codecs.encode` from text); at protocol 5,
`_frombuffer(data, dtype, shape, order)`. A Keras variable is recognised by the
`_shape` and `_dtype` it records in its state. A pickle the walk cannot follow
to its end, or a value that is not the array it should be, raises `NotArrays`, and
the caller says the weights are unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from kerascope.decoders.pickles import Call, Global, walk_pickle

# What numpy's pickles of arrays call, under the module names numpy 1.x and 2.x use.
_RECONSTRUCT = {"numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct"}
_FROMBUFFER = {"numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer"}
_NDARRAY = "numpy.ndarray"
_DTYPE = "numpy.dtype"
# How protocols 0 to 2 write bytes: text turned back into bytes (`_codecs.encode(text,
# "latin1")`), which touches nothing else.
_BYTES = "_codecs.encode"
ARRAY_GLOBALS = _RECONSTRUCT | _FROMBUFFER | {_NDARRAY, _DTYPE, _BYTES}
# Everything the pickles numpy and Keras write of arrays and variables import, and no
# more: numpy's array reconstruction (protocol 5's `_frombuffer`, scalars), Keras's
# `Variable`, and what its backends pickle a variable's value as: TensorFlow's
# `ResourceVariable` and dtype lookup bound by `functools.partial`, JAX's array
# reconstruction (as Keras 3.15 writes `model.weights.npz`). `partial` only binds
# arguments to the others and JAX's `_reconstruct_array` calls a function the pickle
# imports, so a pickle importing nothing beyond these calls nothing beyond them.
RECONSTRUCTION_GLOBALS = ARRAY_GLOBALS | {
    "numpy.core.multiarray.scalar",
    "numpy._core.multiarray.scalar",
    "keras.src.backend.Variable",
    "functools.partial",
    "tensorflow.python.ops.resource_variable_ops.ResourceVariable",
    "tensorflow.python.framework.dtypes.as_dtype",
    "jax._src.array._reconstruct_array",
}


class NotArrays(ValueError):
    """The pickle cannot be followed as data, or a value is not the array it should be."""


@dataclass
class ArrayHeader:
    shape: list[int]
    dtype: str


@dataclass
class Pickled:
    value: Any
    imports: list[str]  # what unpickling would import, each once


def read_pickled(stream: IO[bytes], length: int) -> Pickled:
    """The value a pickle of `length` bytes at the stream's position describes: plain
    values, with every call left as a `Call` and large bytes as `Skipped`."""
    walked = walk_pickle(stream, length)
    if not walked.complete:
        raise NotArrays(f"the pickle cannot be followed: {walked.problem}")
    return Pickled(walked.value, walked.imports)


def array_header(value: Any) -> ArrayHeader | None:
    """The shape and dtype of an array numpy pickled, or None when `value` is not one."""
    if not (isinstance(value, Call) and isinstance(value.function, Global)):
        return None
    if value.function.name in _FROMBUFFER:
        arguments = value.arguments
        if not (isinstance(arguments, tuple) and len(arguments) in (4, 5)):
            raise NotArrays("an array without numpy's arguments")
        _, dtype, shape = arguments[:3]
        if not _is_shape(shape):
            raise NotArrays("an array whose shape is not sizes")
        return ArrayHeader(list(shape), _dtype_name(dtype))
    if value.function.name not in _RECONSTRUCT:
        return None
    state = value.state
    if not (isinstance(state, tuple) and len(state) == 5):
        raise NotArrays("an array without numpy's state")
    _, shape, dtype, _, _ = state
    if not _is_shape(shape):
        raise NotArrays("an array whose shape is not sizes")
    return ArrayHeader(list(shape), _dtype_name(dtype))


def object_items(value: Any) -> list[Any]:
    """The objects an object array holds (a 0-d one holds one: Keras's dict)."""
    header = array_header(value)
    data = value.state[4] if header is not None else None
    if header is None or header.dtype != "object" or not isinstance(data, list):
        raise NotArrays("not an object array")
    return data


def variable_header(value: Any) -> tuple[str | None, ArrayHeader, bool | None] | None:
    """A Keras `Variable` (name, shape and dtype, trainable) from the state its
    pickle records, or None when `value` is not one."""
    if not (
        isinstance(value, Call)
        and isinstance(value.function, Global)
        and value.function.name.startswith("keras")
    ):
        return None
    state = value.state
    if not isinstance(state, dict):
        return None
    shape, dtype = state.get("_shape"), state.get("_dtype")
    if not _is_shape(shape) or not isinstance(dtype, str):
        return None
    name, trainable = state.get("_name"), state.get("_trainable")
    return (
        name if isinstance(name, str) else None,
        ArrayHeader(list(shape), dtype),
        trainable if isinstance(trainable, bool) else None,
    )


def _is_shape(shape: Any) -> bool:
    return isinstance(shape, tuple) and all(
        isinstance(size, int) and not isinstance(size, bool) and 0 <= size < 1 << 48 for size in shape
    )


def _dtype_name(dtype: Any) -> str:
    if not (isinstance(dtype, Call) and isinstance(dtype.function, Global) and dtype.function.name == _DTYPE):
        raise NotArrays("an array whose dtype is not numpy's")
    code = dtype.arguments[0] if isinstance(dtype.arguments, tuple) and dtype.arguments else None
    if not isinstance(code, str):
        raise NotArrays("a dtype without a type code")
    if code.startswith("O"):
        return "object"
    kinds = {"f": "float", "i": "int", "u": "uint", "c": "complex"}
    if code == "b1":
        return "bool"
    if code[:1] in kinds and code[1:].isdigit():
        return f"{kinds[code[0]]}{int(code[1:]) * 8}"
    return code
