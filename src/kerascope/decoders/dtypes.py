"""One vocabulary of element types for every format, and how each one's stored bytes
become numbers.

Each format spells a type its own way: numpy's type strings in `.npy` headers
(`<f4`), TensorFlow's `DataType` numbers in checkpoints and graphs, safetensors'
codes (`BF16`), HDF5 datatype messages (decoded through numpy's types by pyfive).
A report names every one of them the same way (numpy's name, `float32`, and
`bfloat16`, which numpy lacks), so a Keras 2 `.h5` and a `.safetensors` of one
model agree. The table says how many bytes each element takes and, for the types
that hold numbers, how to read them: bfloat16 is the upper half of a float32, so
its values are read as float32, exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ElementType:
    name: str
    itemsize: int
    stored: str | None  # numpy's type of the stored bytes, byte order left open; None: not numbers


_TYPES = {
    element.name: element
    for element in (
        ElementType("float16", 2, "f2"),
        ElementType("bfloat16", 2, "u2"),
        ElementType("float32", 4, "f4"),
        ElementType("float64", 8, "f8"),
        ElementType("int8", 1, "i1"),
        ElementType("int16", 2, "i2"),
        ElementType("int32", 4, "i4"),
        ElementType("int64", 8, "i8"),
        ElementType("uint8", 1, "u1"),
        ElementType("uint16", 2, "u2"),
        ElementType("uint32", 4, "u4"),
        ElementType("uint64", 8, "u8"),
        ElementType("bool", 1, "u1"),
        ElementType("complex64", 8, None),
        ElementType("complex128", 16, None),
        ElementType("float8_e4m3fn", 1, None),
        ElementType("float8_e5m2", 1, None),
    )
}

# TensorFlow's `DataType` enum (types.proto) 1..33 by `tf.as_dtype(n).name`; 101.. are the `_ref` forms.
_TENSORFLOW = (
    "float32", "float64", "int32", "uint8", "int16", "int8", "string", "complex64", "int64", "bool",
    "qint8", "quint8", "qint32", "bfloat16", "qint16", "quint16", "uint16", "complex128", "float16",
    "resource", "variant", "uint32", "uint64", "float8_e5m2", "float8_e4m3fn", "float8_e4m3fnuz",
    "float8_e4m3b11fnuz", "float8_e5m2fnuz", "int4", "uint4", "int2", "uint2", "float4_e2m1fn",
)  # fmt: skip
_REF = 100

# safetensors' codes (safetensors/src/tensor.rs `Dtype`).
_SAFETENSORS = {
    "F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16",
    "F8_E4M3": "float8_e4m3fn", "F8_E5M2": "float8_e5m2",
    "I64": "int64", "I32": "int32", "I16": "int16", "I8": "int8",
    "U64": "uint64", "U32": "uint32", "U16": "uint16", "U8": "uint8", "BOOL": "bool",
}  # fmt: skip

_DESCR_KINDS = {"f": "float", "i": "int", "u": "uint", "c": "complex", "V": "void"}


def from_tensorflow(number: int) -> str | None:
    """TensorFlow's name for a `DataType` number (`float32`, `bfloat16_ref`), None for 0 or unknown."""
    if 1 <= number <= len(_TENSORFLOW):
        return _TENSORFLOW[number - 1]
    if _REF + 1 <= number <= _REF + len(_TENSORFLOW):
        return f"{_TENSORFLOW[number - _REF - 1]}_ref"
    return None


def from_safetensors(code: str) -> str | None:
    return _SAFETENSORS.get(code)


def from_descr(descr: str) -> str:
    """numpy's type string, as an `.npy` header (`<f4`, `|b1`) or a pickled dtype (`f4`,
    `O8`) writes it, as a name (`float32`, `bool`, `object`), read without numpy's parser.
    A string it cannot name comes back as it is."""
    text = descr.lstrip("<>|=")
    kind, size = text[:1], text[1:]
    if kind == "O":
        return "object"
    if kind == "b" and size == "1":
        return "bool"
    if kind in _DESCR_KINDS and size.isdigit():
        return f"{_DESCR_KINDS[kind]}{int(size) * 8}"
    return descr


def from_numpy(dtype: np.dtype) -> str:
    """numpy's own name for a type (`float32`, `bool`, `bytes80`), its type string for
    raw bytes (`|V2`)."""
    return dtype.name if dtype.kind != "V" else str(dtype)


def element(name: str | None) -> ElementType | None:
    """The element type called `name`, None for one this table does not know."""
    return _TYPES.get(name or "")


def itemsize(name: str | None) -> int | None:
    found = element(name)
    return found.itemsize if found is not None else None


def holds_numbers(name: str | None) -> bool:
    """Whether kerascope reads values of this type (strings, resources, complex and
    8-bit floats it does not)."""
    found = element(name)
    return found is not None and found.stored is not None


def values_dtype(name: str) -> np.dtype:
    """The numpy type values of the element type `name` are read as (float32 for bfloat16)."""
    return np.dtype(np.float32) if name == "bfloat16" else np.dtype(bool if name == "bool" else name)


def decode(raw: bytes | memoryview, name: str, big_endian: bool = False) -> np.ndarray:
    """The values of whole elements of type `name` stored in `raw`, as a flat array in
    the machine's byte order (`values_dtype(name)`)."""
    found = _TYPES[name]
    if found.stored is None:
        raise ValueError(f"{name} values are not read")
    stored = np.dtype(("<", ">")[big_endian] + found.stored)
    array = np.frombuffer(raw, dtype=stored)
    if name == "bfloat16":
        return (array.astype(np.uint32) << 16).view(np.float32)
    if name == "bool":
        return array != 0
    return array if stored.isnative else array.astype(stored.newbyteorder("="))
