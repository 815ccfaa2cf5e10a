"""How fast the pure-Python HDF5 path reads, in-process, against h5py (libhdf5) doing
the least a reader must do: visiting every object, with each dataset's shape and
dtype and each object's attributes.

Three files: NASNetMobile and ConvNeXtTiny saved by Keras 3 (`.keras`: the weights
are read in place inside the zip, through the same window for both readers), and
NASNetMobile saved by tf_keras as a legacy `.h5`. For each, after one warm-up read:

  kerascope.inspect        the whole static read (config, weights, merge, report)
  kerascope HDF5 walk      the HDF5 part alone: the index, every dataset described,
                           every attribute's text read
  h5py visititems          the baseline: every dataset's shape and dtype, dict(attrs)

Target: kerascope.inspect no slower than the h5py walk plus 10 %, and faster.

    python benchmarks/hdf5_reader.py [--repeat 15]

Model files are built with Keras on first use and kept in benchmarks/.cache/.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

CACHE = Path(__file__).resolve().parent / ".cache"
QUIET = {
    **os.environ,
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "tensorflow"),
}
FILES = {
    "NASNetMobile (.keras)": (CACHE / "nasnetmobile.keras", "keras", "NASNetMobile"),
    "ConvNeXtTiny (.keras)": (CACHE / "convnexttiny.keras", "keras", "ConvNeXtTiny"),
    "NASNetMobile (tf_keras .h5)": (CACHE / "nasnetmobile_tf_keras.h5", "tf_keras", "NASNetMobile"),
}
BUILD = """
import sys
for path, package, name in zip(sys.argv[1::3], sys.argv[2::3], sys.argv[3::3]):
    keras = __import__(package)
    getattr(keras.applications, name)(weights=None).save(path)
"""


def build_files() -> None:
    CACHE.mkdir(exist_ok=True)
    missing = [
        item for path, package, name in FILES.values() if not path.exists() for item in (path, package, name)
    ]
    if missing:
        subprocess.run([sys.executable, "-c", BUILD, *map(str, missing)], check=True, env=QUIET)


@contextmanager
def hdf5_stream(path: Path) -> Iterator[IO[bytes]]:
    """The HDF5 bytes of `path`: the file itself, or the weights member of a `.keras`
    read in place through kerascope's archive window (the same for both readers)."""
    from kerascope.decoders.zip_members import open_member
    from kerascope.limits import DEFAULT_LIMITS

    if not zipfile.is_zipfile(path):
        with path.open("rb", buffering=0) as stream:
            yield stream
        return
    with path.open("rb", buffering=0) as raw, zipfile.ZipFile(raw) as archive:
        info = archive.getinfo("model.weights.h5")
        with open_member(raw, archive, info, DEFAULT_LIMITS) as stream:
            yield stream


def h5py_walk(path: Path) -> int:
    import h5py

    seen = []

    def visit(name: str, item: object) -> None:
        shape_and_type = (item.shape, item.dtype) if isinstance(item, h5py.Dataset) else None
        seen.append((name, shape_and_type, dict(item.attrs)))

    with hdf5_stream(path) as stream, h5py.File(stream, "r") as handle:
        handle.visititems(visit)
    return len(seen)


def kerascope_walk(path: Path) -> int:
    from kerascope.decoders.hdf5 import H5Index, open_file
    from kerascope.decoders.hdf5_attributes import Allowance
    from kerascope.limits import DEFAULT_LIMITS

    with hdf5_stream(path) as stream:
        index = H5Index(open_file(stream, DEFAULT_LIMITS), DEFAULT_LIMITS, [])
        for item in list(index.kind):
            if index.is_dataset(item):
                index.weight(item, None)
            attrs = index.attrs(item)
            for name in attrs:
                attrs.strings(name, Allowance(attrs.limit))
        return len(index.kind)


def kerascope_inspect(path: Path) -> int:
    import kerascope

    return len(kerascope.inspect(path).layers)


def timed(read: Callable[[Path], int], path: Path, repeat: int) -> tuple[float, float]:
    """Best and median seconds of `repeat` reads, after one warm-up read."""
    read(path)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        read(path)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description="in-process HDF5 read times: pyfive path against h5py")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    build_files()
    for label, (path, _, _) in FILES.items():
        print(f"\n{label}: {path.name}, {path.stat().st_size / 2**20:,.1f} MiB")
        results = {}
        for name, read in (
            ("kerascope.inspect", kerascope_inspect),
            ("kerascope HDF5 walk", kerascope_walk),
            ("h5py visititems", h5py_walk),
        ):
            results[name] = timed(read, path, args.repeat)
            best, median = results[name]
            print(f"  {name:<22}: best {best * 1000:7.1f} ms   median {median * 1000:7.1f} ms")
        # Best times: on a shared machine the least disturbed run is the fairest comparison.
        baseline = results["h5py visititems"][0]
        for name in ("kerascope.inspect", "kerascope HDF5 walk"):
            ratio = results[name][0] / baseline
            print(f"  {name} / h5py visititems (best times): {ratio:.2f}x  (target <= 1.10x)")


if __name__ == "__main__":
    main()
