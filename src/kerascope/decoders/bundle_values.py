"""The values of a TensorFlow checkpoint's tensors: a SavedModel's `variables/`, or any
tensor bundle, read through its index (`tensor_bundle.py`) without TensorFlow.

Each index entry says which data shard holds the tensor (`PREFIX.data-0000N-of-0000M`)
and at what offset and length; its bytes are the elements one after another, in the
byte order the bundle's header names, checked against the entry's CRC-32C as they
stream past, as TensorFlow's own reader checks them. Partitioned variables (their
bytes are in their slices' entries) and strings are not read.
"""

from __future__ import annotations

from kerascope.decoders import dtypes
from kerascope.decoders.source import Source
from kerascope.decoders.tensor_bundle import BundleIndex, read_bundle_index
from kerascope.decoders.tensor_values import (
    ByteRange,
    FlatLocation,
    StoredFile,
    TensorLocation,
    UnavailableLocation,
    unreadable_as_error,
)
from kerascope.limits import Limits

VARIABLES = "variables/variables"  # a SavedModel's checkpoint prefix


def bundle_tensors(folder: Source, limits: Limits, prefix: str = VARIABLES) -> dict[str, TensorLocation]:
    """Every tensor of the bundle `prefix` (`PREFIX.index` and its data shards, in
    `folder`) by its checkpoint key, each a location to read on request."""
    with unreadable_as_error(prefix):
        return _bundle_tensors(folder, limits, prefix)


def _bundle_tensors(folder: Source, limits: Limits, prefix: str = VARIABLES) -> dict[str, TensorLocation]:
    name = f"{prefix}.index"
    return bundle_locations(
        folder, prefix, read_bundle_index(folder.read(name, limits.max_member_bytes), limits, name)
    )


def bundle_locations(folder: Source, prefix: str, index: BundleIndex) -> dict[str, TensorLocation]:
    """The locations of an index already read."""
    found: dict[str, TensorLocation] = {}
    for entry in index.entries:
        shape, dtype = tuple(entry.shape), entry.dtype or "an unknown type"
        if entry.sliced:
            found[entry.key] = UnavailableLocation(
                entry.key, shape, dtype, "a partitioned variable, whose values are in its slices' entries"
            )
        elif not dtypes.holds_numbers(dtype):
            found[entry.key] = UnavailableLocation(entry.key, shape, dtype, f"{dtype} values are not read")
        else:
            shard = StoredFile(folder, f"{prefix}.data-{entry.shard_id:05d}-of-{index.num_shards:05d}")
            found[entry.key] = FlatLocation(
                entry.key,
                shape,
                dtype,
                ranges=(ByteRange(shard, entry.offset, entry.size),),
                big_endian=index.big_endian,
                crc32c=entry.crc32c,
            )
    return found
