"""Streaming every weight's statistics, against reading the same weights whole, as whole
processes on the same files in the same run:

  (a) a 1 GB `.keras` (one 16384 x 16384 float32 kernel): kerascope's value engine
      (`hdf5_tensors` + `tensor_stats` over every tensor) against the floor a script
      would write, h5py reading every dataset whole and numpy taking the same
      statistics. Targets: peak memory at most one piece of stored bytes plus 64 MiB
      above the process's own size once its imports are done; time within 1.5x of
      the floor (and, for scale, against h5py alone reading every dataset whole).
  (b) a `.keras` of eight 1024 x 1024 Dense layers served over HTTP (127.0.0.1,
      honouring `Range`, counting what it sends): the statistics of one layer's kernel
      fetch that kernel's stored bytes plus the metadata that finds it.

    python benchmarks/values_read.py [--repeat 3] [--skip-large]

Model files are built with Keras on first use and kept in benchmarks/.cache/.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from static_read import CACHE, QUIET  # noqa: E402

from support.range_server import range_server  # noqa: E402

BUILD = """
import sys, keras
layers, path = int(sys.argv[1]), sys.argv[2]
width = 16384 if layers == 1 else 1024
model = keras.Sequential([keras.Input(shape=(width,))] + [keras.layers.Dense(width, use_bias=layers > 1) for _ in range(layers)])
model.save(path)
"""

PEAK = """
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
print(json.dumps({"seconds": seconds, "base_mib": base, "peak_mib": int(status["VmHWM"].split()[0]) / 1024, "tensors": len(stats)}))
"""

OURS = (
    """
import json, sys, time
from pathlib import Path
from kerascope.decoders.hdf5_values import hdf5_tensors
from kerascope.decoders.source import LocalSource
from kerascope.decoders.tensor_values import StoredFile, values
from kerascope.decoders.value_stats import tensor_stats
from kerascope.limits import Limits
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
base = int(status["VmRSS"].split()[0]) / 1024
start = time.perf_counter()
limits = Limits()
located = hdf5_tensors(StoredFile(LocalSource(Path(sys.argv[1])), archived=("model.weights.h5",)), limits)
stats = {key: tensor_stats(values(location, limits)).as_dict() for key, location in located.items()}
seconds = time.perf_counter() - start
"""
    + PEAK
)

# The floor reads the weights member in place, as kerascope does (benchmarks/static_read.py says why).
FLOOR = (
    """
import io, json, struct, sys, time, zipfile
import h5py, numpy as np

class Window(io.RawIOBase):
    def __init__(self, path, offset, length):
        self.file, self.offset, self.length, self.position = open(path, "rb"), offset, length, 0
    def readable(self): return True
    def seekable(self): return True
    def tell(self): return self.position
    def seek(self, offset, whence=0):
        self.position = offset + (0, self.position, self.length)[whence]
        return self.position
    def readinto(self, buffer):
        self.file.seek(self.offset + self.position)
        count = self.file.readinto(memoryview(buffer)[: max(0, self.length - self.position)])
        self.position += count
        return count

def statistics(array):
    flat = array.reshape(-1)
    finite = flat[np.isfinite(flat)] if flat.dtype.kind == "f" else flat
    wide = finite.astype(np.float64)
    return {"count": finite.size, "min": float(finite.min()), "max": float(finite.max()), "mean": float(wide.mean()),
            "std": float(wide.std()), "nan": int(np.isnan(flat).sum()), "inf": int(np.isinf(flat).sum()),
            "zeros": int(flat.size - np.count_nonzero(flat))}

status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
base = int(status["VmRSS"].split()[0]) / 1024
start = time.perf_counter()
with zipfile.ZipFile(sys.argv[1]) as archive:
    info = archive.getinfo("model.weights.h5")
with open(sys.argv[1], "rb") as raw:
    raw.seek(info.header_offset + 26)
    name_length, extra_length = struct.unpack("<HH", raw.read(4))
stats = {}
with h5py.File(Window(sys.argv[1], info.header_offset + 30 + name_length + extra_length, info.file_size), "r") as handle:
    handle.visititems(lambda name, item: stats.__setitem__(name, statistics(item[()])) if isinstance(item, h5py.Dataset) else None)
seconds = time.perf_counter() - start
"""
    + PEAK
)

REMOTE = """
import json, sys
from kerascope.decoders.hdf5_values import hdf5_tensors
from kerascope.decoders.source import RemoteSource
from kerascope.decoders.tensor_values import StoredFile, values
from kerascope.decoders.value_stats import tensor_stats
from kerascope.limits import Limits
limits = Limits()
source = RemoteSource(sys.argv[1])
located = hdf5_tensors(StoredFile(source, archived=("model.weights.h5",)), limits)
listed = source.fetched
stats = tensor_stats(values(located[sys.argv[2]], limits))
print(json.dumps({"listed": listed, "read": source.fetched - listed, "count": stats.count, "tensors": len(located)}))
"""


def build(layers: int, path: Path) -> Path:
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        subprocess.run([sys.executable, "-c", BUILD, str(layers), str(path)], check=True, env=QUIET)
    return path


def measure(script: str, *argv: str) -> dict:
    done = subprocess.run([sys.executable, "-c", script, *argv], env=QUIET, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def large_file(repeat: int) -> None:
    path = build(1, CACHE / "one_gigabyte.keras")
    print(f"\n(a) every tensor's statistics: {path.name}, {path.stat().st_size / 2**20:,.1f} MiB")
    ours = min((measure(OURS, str(path)) for _ in range(repeat)), key=lambda run: run["seconds"])
    floor = min((measure(FLOOR, str(path)) for _ in range(repeat)), key=lambda run: run["seconds"])
    bare = FLOOR.replace("statistics(item[()])", "item[()].shape")
    read = min((measure(bare, str(path)) for _ in range(repeat)), key=lambda run: run["seconds"])
    from kerascope.decoders.tensor_values import READ_BYTES

    allowed = READ_BYTES / 2**20 + 64
    for name, run in (
        ("kerascope (streamed)", ours),
        ("h5py + numpy (whole)", floor),
        ("h5py read alone", read),
    ):
        print(
            f"  {name:21}: {run['seconds'] * 1000:7.0f} ms (best of {repeat}), {run['tensors']} tensors, "
            f"peak {run['peak_mib']:7.1f} MiB = {run['base_mib']:.1f} MiB after imports "
            f"+ {run['peak_mib'] - run['base_mib']:7.1f} MiB reading"
        )
    print(
        f"  time ratio {ours['seconds'] / floor['seconds']:.2f}x the floor (target <= 1.5x), "
        f"{ours['seconds'] / read['seconds']:.2f}x h5py's bare read; kerascope's reading took "
        f"{ours['peak_mib'] - ours['base_mib']:.1f} MiB (target <= one {READ_BYTES / 2**20:.0f} MiB piece + 64 MiB = {allowed:.0f} MiB)"
    )


def remote_layer() -> None:
    path = build(8, CACHE / "eight_dense.keras")
    key = "layers/dense_3/vars/0"
    stored = 1024 * 1024 * 4
    print(f"\n(b) one layer's statistics over HTTP: {path.name}, {path.stat().st_size:,} bytes, kernel {key}")
    with range_server(path.parent) as (base, served):
        run = measure(REMOTE, f"{base}/{path.name}", key)
        sent = served.bytes
    print(
        f"  finding every tensor (zip directory, HDF5 metadata): {run['listed']:,} bytes fetched\n"
        f"  the one kernel's statistics ({run['count']:,} values): {run['read']:,} bytes fetched for its "
        f"{stored:,} stored bytes ({run['read'] - stored:+,} beside them)\n"
        f"  the server sent {sent:,} bytes in all, {sent / path.stat().st_size:.1%} of the file"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="value reading benchmarks")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-large", action="store_true", help="leave out the 1 GB file")
    args = parser.parse_args()
    if not args.skip_large:
        large_file(args.repeat)
    remote_layer()


if __name__ == "__main__":
    main()
