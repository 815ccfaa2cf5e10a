"""Coverage-guided fuzzing of the value decoders with atheris: HDF5 data layouts, chunk
indexes and filter pipelines, `.npy`/`.npz` members, safetensors, TensorFlow.js
manifests with their shards, tensor-bundle indexes with their data shards.

Each input is a file: its first byte picks how it is presented (`present`), the rest is
its content. Every tensor it holds is located and its statistics streamed. The contract
under test: a value, ValuesUnavailable or another KerascopeError, within the limits,
and never anything else.

    python fuzz/make_seeds.py fuzz/value_seeds --values
    python fuzz/fuzz_values.py fuzz/value_seeds -max_total_time=3600 -timeout=10 -rss_limit_mb=1024

A hang, a crash or an exhausted memory is a finding: once fixed, its input goes to
tests/data/fuzz/ with the others.
"""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["kerascope", "pyfive", "numcodecs"]):
    from kerascope.decoders.bundle_values import bundle_tensors
    from kerascope.decoders.hdf5_values import hdf5_tensors
    from kerascope.decoders.npy_values import npz_tensors
    from kerascope.decoders.safetensors_values import safetensors_tensors
    from kerascope.decoders.source import LocalSource
    from kerascope.decoders.tensor_values import StoredFile, values
    from kerascope.decoders.tfjs_values import tfjs_tensors
    from kerascope.decoders.value_stats import tensor_stats
    from kerascope.errors import KerascopeError
    from kerascope.limits import Limits

LIMITS = Limits(**json.loads((Path(__file__).parent / "limits.json").read_text()), max_tensor_bytes=16 << 20)
WORKSPACE = Path(tempfile.mkdtemp(prefix="kerascope-values-fuzz-"))
HDF5, NPZ, SAFETENSORS, TFJS, BUNDLE = range(5)
SPLIT = b"\n--shard--\n"  # a TensorFlow.js or bundle seed: the JSON or index, then the shard


def present(data: bytes) -> dict:
    """The tensors of `data` presented as the file its first byte names."""
    mark = data[0] % 5 if data else HDF5
    body = data[1:]
    if mark in (TFJS, BUNDLE):
        head, _, shard = body.partition(SPLIT)
        if mark == TFJS:
            (WORKSPACE / "model.json").write_bytes(head)
            (WORKSPACE / "group1-shard1of1.bin").write_bytes(shard)
            return tfjs_tensors(LocalSource(WORKSPACE / "model.json"), LIMITS)
        (WORKSPACE / "ckpt.index").write_bytes(head)
        (WORKSPACE / "ckpt.data-00000-of-00001").write_bytes(shard)
        return bundle_tensors(LocalSource(WORKSPACE), LIMITS, "ckpt")
    path = WORKSPACE / "input"
    path.write_bytes(body)
    locate = {HDF5: hdf5_tensors, NPZ: npz_tensors, SAFETENSORS: safetensors_tensors}[mark]
    return locate(StoredFile(LocalSource(path)), LIMITS)


def test_one_input(data: bytes) -> None:
    with contextlib.suppress(KerascopeError):
        for location in present(data).values():
            with contextlib.suppress(KerascopeError):
                tensor_stats(values(location, LIMITS))


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
