"""How fast and how lean a static read is, as whole processes, against two baselines
measured in the same run on the same files:

  (a) Keras: `keras.saving.load_model(path)` then `get_config()` on every layer;
  (b) the floor: a bare script reading `config.json` with zipfile + json and
      visiting every group of the weights file (and its attributes) with h5py.

Targets: kerascope >= 25x faster than (a), <= 1.5x the floor (b); peak memory
<= 120 MiB on a 1 GB `.keras` file, reading almost none of its bytes.

    python benchmarks/static_read.py [--repeat 5] [--skip-large]

Model files are built with Keras on first use and kept in benchmarks/.cache/.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
QUIET = {
    **os.environ,
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "tensorflow"),
}

KERASCOPE = [sys.executable, "-m", "kerascope", "inspect", "{path}", "--format", "json"]  # stdout discarded

KERAS_LOAD = """
import sys, keras
model = keras.saving.load_model(sys.argv[1], compile=False)
configs = [layer.get_config() for layer in model._flatten_layers()]
"""

# The floor reads the stored weights member in place, as kerascope does: through
# zipfile's own stream, h5py's seeks re-read the member from its start on every
# backward seek (Python < 3.12), which would make the floor slow and the ratio flattering.
FLOOR = """
import io, json, struct, sys, zipfile, h5py

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

with zipfile.ZipFile(sys.argv[1]) as archive:
    config = json.loads(archive.read("config.json"))
    info = archive.getinfo("model.weights.h5")
with open(sys.argv[1], "rb") as raw:
    raw.seek(info.header_offset + 26)
    name_length, extra_length = struct.unpack("<HH", raw.read(4))
start = info.header_offset + 30 + name_length + extra_length
names = []
with h5py.File(Window(sys.argv[1], start, info.file_size), "r") as handle:
    handle.visititems(lambda name, obj: names.append((name, getattr(obj, "shape", None), dict(obj.attrs))))
"""

MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(done.returncode, peak_kib)
"""

READS = """
import sys
import kerascope
kerascope.inspect(sys.argv[1]).to_json()
io = dict(line.split(": ") for line in open("/proc/self/io").read().splitlines())
print(int(io["rchar"]))
"""


def build_files(skip_large: bool) -> dict[str, Path]:
    CACHE.mkdir(exist_ok=True)
    wanted = {"NASNetMobile": CACHE / "nasnetmobile.keras", "ConvNeXtTiny": CACHE / "convnexttiny.keras"}
    if not skip_large:
        wanted["1 GB Dense"] = CACHE / "one_gigabyte.keras"
    missing = {name: path for name, path in wanted.items() if not path.exists()}
    if missing:
        script = (
            "import sys, keras\n"
            "for name, path in zip(sys.argv[1::2], sys.argv[2::2]):\n"
            "    if name == '1 GB Dense':\n"
            "        model = keras.Sequential([keras.Input(shape=(16384,)), keras.layers.Dense(16384, use_bias=False)])\n"
            "    else:\n"
            "        model = getattr(keras.applications, name)(weights=None)\n"
            "    model.save(path)\n"
        )
        args = [item for name, path in missing.items() for item in (name, str(path))]
        subprocess.run([sys.executable, "-c", script, *args], check=True, env=QUIET)
    return wanted


def best_time(command: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, env=QUIET, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def peak_mib(command: list[str]) -> float:
    out = subprocess.run([sys.executable, "-c", MEASURE, *command], env=QUIET, capture_output=True, text=True)
    code, peak_kib = out.stdout.split()
    assert code == "0", out.stderr
    return int(peak_kib) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description="static read benchmarks")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-large", action="store_true", help="leave out the 1 GB file")
    args = parser.parse_args()
    files = build_files(args.skip_large)

    for name, path in files.items():
        size_mib = path.stat().st_size / 2**20
        ours = [part.format(path=path) for part in KERASCOPE]
        floor = [sys.executable, "-c", FLOOR, str(path)]
        print(f"\n{name}: {path.name}, {size_mib:,.1f} MiB")
        t_ours = best_time(ours, args.repeat)
        t_floor = best_time(floor, args.repeat)
        print(f"  kerascope inspect --format json : {t_ours * 1000:8.0f} ms (best of {args.repeat})")
        print(
            f"  floor (zipfile + json + h5py)   : {t_floor * 1000:8.0f} ms   ratio {t_ours / t_floor:.2f}x (target <= 1.5x)"
        )
        if name != "1 GB Dense":
            keras = [sys.executable, "-c", KERAS_LOAD, str(path)]
            t_keras = best_time(keras, max(1, args.repeat // 2))
            print(
                f"  keras load_model + get_config   : {t_keras * 1000:8.0f} ms   kerascope is {t_keras / t_ours:.1f}x faster (target >= 25x)"
            )
        peak = peak_mib(ours)
        reads = subprocess.run(
            [sys.executable, "-c", READS, str(path)], env=QUIET, capture_output=True, text=True
        )
        read_mib = int(reads.stdout.strip()) / 2**20
        print(f"  kerascope peak memory           : {peak:8.1f} MiB (target <= 120 MiB)")
        print(
            f"  bytes read by the process       : {read_mib:8.1f} MiB of a {size_mib:,.1f} MiB file (imports included)"
        )


if __name__ == "__main__":
    main()
