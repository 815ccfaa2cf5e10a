"""The value engine as a command: `python values_cli.py KIND PATH [LIMITS-JSON]` prints
every tensor's statistics (or why its values are unavailable) as JSON, or one line on
standard error and exit 2, as `kerascope` reports bad input; until `--values` joins the
command line, the hostile-input tests run it to measure time and memory in a child
process. KIND: `hdf5`, `keras` (the HDF5 weights inside a `.keras`), `npz`, `bundle`
(a checkpoint prefix), `tfjs` (a `model.json`), `safetensors`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kerascope.decoders.bundle_values import bundle_tensors
from kerascope.decoders.hdf5_values import hdf5_tensors
from kerascope.decoders.npy_values import npz_tensors
from kerascope.decoders.safetensors_values import safetensors_tensors
from kerascope.decoders.source import LocalSource
from kerascope.decoders.tensor_values import StoredFile, ValuesUnavailable, values
from kerascope.decoders.tfjs_values import tfjs_tensors
from kerascope.decoders.value_stats import tensor_stats
from kerascope.errors import KerascopeError, one_line
from kerascope.limits import Limits, time_limit

# Seconds a run may take, far above what any takes (the hostile-input tests' budget).
BUDGET = 60


def locate(kind: str, path: Path, limits: Limits) -> dict:
    if kind == "hdf5":
        return hdf5_tensors(StoredFile(LocalSource(path)), limits)
    if kind == "keras":
        return hdf5_tensors(StoredFile(LocalSource(path), archived=("model.weights.h5",)), limits)
    if kind == "npz":
        return npz_tensors(StoredFile(LocalSource(path)), limits)
    if kind == "bundle":
        return bundle_tensors(LocalSource(path.parent), limits, path.name)
    if kind == "tfjs":
        return tfjs_tensors(LocalSource(path), limits)
    return safetensors_tensors(StoredFile(LocalSource(path)), limits)


def main() -> int:
    kind, path = sys.argv[1], Path(sys.argv[2])
    limits = Limits(**json.loads(sys.argv[3])) if len(sys.argv) > 3 else Limits()
    try:
        with time_limit(BUDGET):  # a budget the code enforces and reports, as the command's --time-limit
            found = {}
            for key, location in locate(kind, path, limits).items():
                try:
                    found[key] = tensor_stats(values(location, limits)).as_dict()
                except ValuesUnavailable as error:
                    found[key] = {"unavailable": str(error)}
    except KerascopeError as error:
        print(f"kerascope: {path.name}: {one_line(str(error))}", file=sys.stderr)
        return 2
    print(json.dumps(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
