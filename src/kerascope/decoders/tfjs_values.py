"""The values of a TensorFlow.js model's weights, from its `model.json` manifest and the
binary shards beside it (`group1-shard1of1.bin`, ...).

As tfjs-core reads them (`tfjs-core/src/io/io_utils.ts`, `decodeWeights` and
`decodeWeight`): the weights of a manifest group lie one after another across the
concatenation of the group's shards, in the order the group lists them, each taking
its element count times the size of its stored type (the quantized type, if any).
Quantized weights (`tensorflowjs/quantization.py` writes them) are read back as tfjs
reads them: `uint8`/`uint16` values become `v * scale + min` in float64, stored as
float32, or for an `int32` weight rounded with JavaScript's `Math.round` (halves
upward); `float16` values become float32. String weights have lengths only their
bytes tell, so they, and the weights after them in their group, are not read.

Before anything is read, each group's shards must hold every byte the manifest
lists, and each quantization's type, `min` and `scale` must be numbers that keep
every value it can give within the weight's type. A group whose shard is not there
(a `model.json` copied alone) has its values unavailable, and says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from kerascope.decoders import dtypes
from kerascope.decoders.json_text import load_json
from kerascope.decoders.source import Source
from kerascope.decoders.tensor_values import (
    ByteRange,
    FlatLocation,
    StoredFile,
    TensorLocation,
    UnavailableLocation,
    unreadable_as_error,
)
from kerascope.errors import KerascopeError
from kerascope.limits import Limits

_QUANTIZED = {"uint8": 255, "uint16": 65535, "float16": None}  # stored type: its largest value
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_INT32 = (-(2**31), 2**31 - 1)


def tfjs_tensors(model_json: Source, limits: Limits) -> dict[str, TensorLocation]:
    """Every weight a TensorFlow.js `model.json` lists, by its manifest name."""
    with unreadable_as_error(model_json.label):
        return _tfjs_tensors(model_json, limits)


def _tfjs_tensors(model_json: Source, limits: Limits) -> dict[str, TensorLocation]:
    document = load_json(
        model_json.read("", limits.max_json_bytes, "max_json_bytes"), model_json.label, limits
    )
    manifest = document.get("weightsManifest") if isinstance(document, dict) else None
    if not isinstance(manifest, list):
        raise KerascopeError(f"{model_json.label} has no weightsManifest")
    return manifest_locations(model_json.parent(), manifest, limits)


def manifest_locations(folder: Source, manifest: list[Any], limits: Limits) -> dict[str, TensorLocation]:
    """The locations of the weights a `weightsManifest` lists, its shards in `folder`."""
    found: dict[str, TensorLocation] = {}
    for number, group in enumerate(manifest, 1):
        if not isinstance(group, dict) or not isinstance(group.get("weights"), list):
            raise KerascopeError(f"weightsManifest group {number} lists no weights")
        limits.check_layers(len(found) + len(group["weights"]))
        found.update(_group(folder, number, group, limits))
    return found


def _group(folder: Source, number: int, group: dict[str, Any], limits: Limits) -> dict[str, TensorLocation]:
    paths = group.get("paths")
    if not isinstance(paths, list) or not all(isinstance(path, str) and _plain_name(path) for path in paths):
        raise KerascopeError(f"weightsManifest group {number}'s paths are not file names beside the model")
    absent = next((path for path in paths if not folder.is_file(path)), None)
    if absent is not None:
        # A link out of the model's folder is refused, never opened: say so, not "absent".
        refused = next((line for line in folder.refused if line.startswith(f"{absent} ")), None)
        reason = refused or f"its shard {absent} is not beside the model"
        entries = [_entry(entry, number) for entry in group["weights"]]
        return {name: UnavailableLocation(name, shape, dtype, reason) for name, shape, dtype, _ in entries}
    shards = [StoredFile(folder, path) for path in paths]
    sizes = [shard.size(limits) for shard in shards]
    found: dict[str, TensorLocation] = {}
    offset = 0
    blocked = None  # a string weight, after which no offset is known
    for entry in group["weights"]:
        name, shape, dtype, quantization = _entry(entry, number)
        if blocked is not None or dtype == "string":
            blocked = blocked or name
            reason = (
                "string values are not read"
                if blocked == name
                else f"it follows the string weight {blocked!r}"
            )
            found[name] = UnavailableLocation(name, shape, dtype, reason)
            continue
        stored = quantization.stored if quantization else dtype
        size = math.prod(shape) * (dtypes.itemsize(stored) or 0)
        if not dtypes.holds_numbers(stored):
            found[name] = UnavailableLocation(name, shape, dtype, f"{stored} values are not read")
        else:
            ranges = _ranges(shards, sizes, offset, size)
            if ranges is None:
                raise KerascopeError(
                    f"weightsManifest group {number}: its shards ({', '.join(paths)}) hold {sum(sizes):,} bytes, "
                    f"but its weights up to {name!r} take {offset + size:,}"
                )
            found[name] = FlatLocation(name, shape, dtype, ranges=ranges, stored=stored, convert=quantization)
        offset += size
    return found


def _entry(entry: Any, number: int) -> tuple[str, tuple[int, ...], str, Dequantize | None]:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise KerascopeError(f"weightsManifest group {number} lists a weight without a name")
    name, shape, dtype = entry["name"], entry.get("shape", []), entry.get("dtype")
    if (
        not isinstance(shape, list)
        or len(shape) > 64
        or not all(
            isinstance(size, int) and not isinstance(size, bool) and 0 <= size < 1 << 48 for size in shape
        )
        or math.prod(shape) >= 1 << 48
    ):
        raise KerascopeError(f"weightsManifest weight {name!r} has no shape of sizes")
    if not isinstance(dtype, str):
        raise KerascopeError(f"weightsManifest weight {name!r} has no dtype")
    quantization = entry.get("quantization")
    return name, tuple(shape), dtype, None if quantization is None else _dequantize(quantization, name, dtype)


@dataclass(frozen=True)
class Dequantize:
    """A quantized weight's values as tfjs-core's `decodeWeight` computes them."""

    stored: str  # uint8, uint16 or float16
    scale: float = 1.0
    minimum: float = 0.0
    rounded: bool = False  # an int32 weight: Math.round of the affine value

    def __call__(self, quantized: np.ndarray) -> np.ndarray:
        if self.stored == "float16":
            return quantized.astype(np.float32)
        affine = quantized.astype(np.float64) * self.scale + self.minimum
        if not self.rounded:
            return affine.astype(np.float32)
        whole = np.floor(affine)
        return (whole + (affine - whole >= 0.5)).astype(np.int32)


def _dequantize(quantization: Any, name: str, dtype: str) -> Dequantize:
    where = f"weightsManifest weight {name!r}"
    stored = quantization.get("dtype") if isinstance(quantization, dict) else None
    if stored not in _QUANTIZED:
        raise KerascopeError(f"{where} is quantized to {stored!r}; tfjs reads uint8, uint16 and float16")
    if stored == "float16":
        if dtype != "float32":
            raise KerascopeError(f"{where}: float16 quantization of a {dtype} weight")
        return Dequantize(stored)
    if dtype not in ("float32", "int32"):
        raise KerascopeError(f"{where}: {stored} quantization of a {dtype} weight")
    scale, minimum = quantization.get("scale"), quantization.get("min")
    if not (_real(scale) and _real(minimum)):
        raise KerascopeError(f"{where}: its quantization has no numeric min and scale")
    top = float(minimum) + float(scale) * _QUANTIZED[stored]  # type: ignore[operator]
    low, high = min(minimum, top), max(minimum, top)
    bounds = _INT32 if dtype == "int32" else (-_FLOAT32_MAX, _FLOAT32_MAX)
    if not (bounds[0] <= low and high <= bounds[1]):
        raise KerascopeError(f"{where}: its quantization's min and scale give values beyond {dtype}")
    return Dequantize(stored, float(scale), float(minimum), dtype == "int32")


def _real(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _plain_name(path: str) -> bool:
    """A shard a manifest names is a file beside the model, never a path that leaves it."""
    return (
        bool(path) and "/" not in path and "\\" not in path and path not in (".", "..") and "\0" not in path
    )


def _ranges(
    shards: list[StoredFile], sizes: list[int], offset: int, size: int
) -> tuple[ByteRange, ...] | None:
    """Where bytes `offset` to `offset + size` of the shards' concatenation are; None
    where the shards end first."""
    ranges, start = [], 0
    for shard, length in zip(shards, sizes, strict=True):
        if size == 0 or offset + size <= start:
            break
        if offset < start + length:
            begin = max(offset, start) - start
            take = min(offset + size, start + length) - start - begin
            ranges.append(ByteRange(shard, begin, take))
        start += length
    held = sum(part.size for part in ranges)
    return tuple(ranges) if held == size else None
