"""Reading every weight's values through the command, against reading the same weights
whole, as whole processes on the same files in the same run:

  (a) a 1 GB `.keras` (one 16384 x 16384 float32 kernel): `kerascope inspect FILE
      --values` (every weight's statistics, the health findings, the JSON report)
      against the floor a script would write, h5py reading every dataset whole and
      numpy taking the same statistics, and against `kerascope inspect FILE` without
      values. Targets: peak memory at most one piece of stored bytes plus 64 MiB above
      the same command without values; time within 1.5x of the floor.
  (b) a `.keras` of eight 1024 x 1024 Dense layers served over HTTP (127.0.0.1,
      honouring `Range`, counting what it sends): `kerascope inspect URL --values
      --select dense_3` fetches that layer's stored bytes beside what the read without
      values fetched (the zip's directory, the config, the HDF5 metadata).

    python benchmarks/values_read.py [--repeat 3] [--skip-large]

Model files are built with Keras on first use and kept in benchmarks/.cache/.
"""

from __future__ import annotations

import argparse
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

# The floor reads the weights member in place, as kerascope does (benchmarks/static_read.py says why).
FLOOR = """
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

with zipfile.ZipFile(sys.argv[1]) as archive:
    info = archive.getinfo("model.weights.h5")
with open(sys.argv[1], "rb") as raw:
    raw.seek(info.header_offset + 26)
    name_length, extra_length = struct.unpack("<HH", raw.read(4))
stats = {}
with h5py.File(Window(sys.argv[1], info.header_offset + 30 + name_length + extra_length, info.file_size), "r") as handle:
    handle.visititems(lambda name, item: stats.__setitem__(name, statistics(item[()])) if isinstance(item, h5py.Dataset) else None)
print(len(stats))
"""


def build(layers: int, path: Path) -> Path:
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        subprocess.run([sys.executable, "-c", BUILD, str(layers), str(path)], check=True, env=QUIET)
    return path


def measure(argv: list[str]) -> dict:
    """A whole process: its wall time and its peak resident memory (its children's too:
    the command reads in a child it supervises)."""
    wrapper = (
        "import resource, subprocess, sys, time;"
        "start = time.perf_counter();"
        "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True);"
        "seconds = time.perf_counter() - start;"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024;"
        "print(done.returncode, seconds, peak, repr(done.stderr[-300:]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *argv], env=QUIET, capture_output=True, text=True, check=True
    )
    code, seconds, peak, stderr = done.stdout.split(" ", 3)
    assert code in ("0", "1"), stderr
    return {"seconds": float(seconds), "peak_mib": float(peak)}


def best(argv: list[str], repeat: int) -> dict:
    return min((measure(argv) for _ in range(repeat)), key=lambda run: run["seconds"])


def kerascope(*args: str) -> list[str]:
    return [sys.executable, "-m", "kerascope", *args]


def large_file(repeat: int) -> None:
    from kerascope.decoders.tensor_values import READ_BYTES

    path = build(1, CACHE / "one_gigabyte.keras")
    print(f"\n(a) every weight's values: {path.name}, {path.stat().st_size / 2**20:,.1f} MiB")
    runs = {
        "kerascope inspect --values": best(kerascope("inspect", str(path), "--values", "-f", "json"), repeat),
        "kerascope inspect (no values)": best(kerascope("inspect", str(path), "-f", "json"), repeat),
        "h5py + numpy (whole)": best([sys.executable, "-c", FLOOR, str(path)], repeat),
        "h5py read alone": best(
            [sys.executable, "-c", FLOOR.replace("statistics(item[()])", "item[()].shape"), str(path)], repeat
        ),
    }
    for name, run in runs.items():
        print(
            f"  {name:30}: {run['seconds'] * 1000:7.0f} ms (best of {repeat}, whole process), peak {run['peak_mib']:7.1f} MiB"
        )
    ours, plain, floor = (runs[name] for name in list(runs)[:3])
    extra = ours["peak_mib"] - plain["peak_mib"]
    allowed = READ_BYTES / 2**20 + 64
    print(
        f"  time: {ours['seconds'] / floor['seconds']:.2f}x the floor (target <= 1.5x); reading the values "
        f"took {ours['seconds'] - plain['seconds']:.2f} s beside the read without them\n"
        f"  memory: {extra:.1f} MiB above the command without values (target <= one "
        f"{READ_BYTES / 2**20:.0f} MiB piece + 64 MiB = {allowed:.0f} MiB); the floor peaked at "
        f"{floor['peak_mib']:.0f} MiB"
    )


def remote_layer() -> None:
    path = build(8, CACHE / "eight_dense.keras")
    stored = (1024 * 1024 + 1024) * 4
    print(f"\n(b) one layer's values over HTTP: {path.name}, {path.stat().st_size:,} bytes, layer dense_3")
    with range_server(path.parent) as (base, served):
        url = f"{base}/{path.name}"
        subprocess.run(kerascope("inspect", url, "-f", "json"), env=QUIET, capture_output=True, check=True)
        structure = served.bytes
        subprocess.run(
            kerascope("inspect", url, "--values", "--select", "dense_3", "-f", "json"),
            env=QUIET,
            capture_output=True,
            check=True,
        )
        with_values = served.bytes - structure
    read = with_values - structure
    print(
        f"  the read without values (zip directory, config, HDF5 metadata): {structure:,} bytes fetched\n"
        f"  with --values --select dense_3: {with_values:,} bytes, {read:,} more for the layer's "
        f"{stored:,} stored bytes ({read - stored:+,} beside them: blocks of 4 KiB at the layer's "
        "edges came with the metadata)\n"
        f"  the server sent {served.bytes:,} bytes in all, {served.bytes / path.stat().st_size:.1%} of the file (two reads)"
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
