"""Hand-made damage to genuine HDF5 files, for the hostile-input tests, and a reader
that runs in a child process under a memory cap and reports time and peak memory.

The structures are found in the bytes the way the HDF5 format specification lays
them out (signatures, then fields at fixed offsets), independently of kerascope.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import h5py

GLOBAL_HEAP_OBJECT = struct.Struct("<HHIQ")  # index, references, reserved, size
VLEN_ELEMENT = struct.Struct("<IQI")  # length, collection address, object index

_READ = """
import json, resource, sys
cap = int(sys.argv[2]) << 20
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
import kerascope
from kerascope.limits import Limits
limits = Limits(**json.loads(sys.argv[3]))
codes = []
try:  # within a budget the code enforces: past it, the outcome is the time limit's error
    codes = sorted(finding.code for finding in kerascope.check(sys.argv[1], limits=limits, time_limit=60).findings)
    outcome = "ok"
except kerascope.KerascopeError as error:
    outcome = str(error)
# VmHWM: this process's own peak (ru_maxrss would include the forking test process's)
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
peak_mib = int(status["VmHWM"].split()[0]) / 1024
print(json.dumps({"outcome": outcome, "codes": codes, "peak_mib": peak_mib}))
"""


def read_in_child(path: Path, cap_mib: int = 1300, timeout: float = 120, **limits: int) -> dict:
    """`kerascope.check(path)` (a static read, then the checks) in a fresh interpreter
    whose address space is capped at `cap_mib`: its outcome ("ok" or the error line),
    the finding codes and peak resident MiB; the read has a budget of 60 s, which
    kerascope enforces and reports as its outcome."""
    done = subprocess.run(
        [sys.executable, "-c", _READ, str(path), str(cap_mib), json.dumps(limits)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def global_heap_objects(data: bytes) -> dict[bytes, tuple[int, int]]:
    """Every global heap object's bytes, and where it is: (collection address, index).
    Addresses are file offsets (the files made here have no user block)."""
    found: dict[bytes, tuple[int, int]] = {}
    at = data.find(b"GCOL")
    while at >= 0:
        size = struct.unpack_from("<Q", data, at + 8)[0]
        position = at + 16
        while position + 16 <= at + size:
            index, _, _, length = GLOBAL_HEAP_OBJECT.unpack_from(data, position)
            if index == 0:
                break
            found.setdefault(bytes(data[position + 16 : position + 16 + length]), (at, index))
            position += 16 + -(-length // 8) * 8
        at = data.find(b"GCOL", at + 4)
    return found


def point_strings_at(path: Path, strings: list[str], target: bytes) -> None:
    """Make every variable-length string in `strings` (stored in `path`, each once)
    point at the global heap object holding `target`, claiming its full length."""
    data = bytearray(path.read_bytes())
    objects = global_heap_objects(bytes(data))
    collection, index = objects[target]
    for text in strings:
        encoded = text.encode()
        element = VLEN_ELEMENT.pack(len(encoded), *objects[encoded])
        at = data.find(element)
        assert at >= 0 and data.find(element, at + 1) < 0, text
        data[at : at + VLEN_ELEMENT.size] = VLEN_ELEMENT.pack(len(target), collection, index)
    path.write_bytes(bytes(data))


def replace_after(path: Path, anchor: bytes, old: bytes, new: bytes, within: int = 96) -> None:
    """Replace every `old` in the `within` bytes after each `anchor` (an attribute's name,
    say) with `new`, of the same length."""
    assert len(old) == len(new)
    data = bytearray(path.read_bytes())
    anchors = 0
    at = data.find(anchor)
    while at >= 0:
        window = bytes(data[at : at + within])
        data[at : at + within] = window.replace(old, new)
        anchors += old in window
        at = data.find(anchor, at + 1)
    assert anchors, f"{old!r} not found after {anchor!r}"
    path.write_bytes(bytes(data))


def structures(data: bytes, signature: bytes) -> list[int]:
    """Offsets of every structure with `signature` (TREE, SNOD, HEAP, GCOL, BTHD, ...)."""
    found, at = [], data.find(signature)
    while at >= 0:
        found.append(at)
        at = data.find(signature, at + 1)
    return found


def rewrite(original: Path, target: Path, dataset_options: dict | None = None, **file_options) -> Path:
    """`original`'s groups, datasets and attributes copied into a new file written
    with other HDF5 settings (`file_options`, and `dataset_options` for every array).
    Each object is made anew, so it takes the new file's formats."""
    track = file_options.pop("track_order", False)
    with h5py.File(original) as source, h5py.File(target, "w", track_order=track, **file_options) as copy:

        def visit(name, item):
            if isinstance(item, h5py.Group):
                made = copy.create_group(name, track_order=track)
            else:
                data = item[()]
                options = dataset_options if dataset_options and data.ndim else {}
                made = copy.create_dataset(name, data=data, **options)
            for key, value in item.attrs.items():
                made.attrs[key] = value

        for key, value in source.attrs.items():
            copy.attrs[key] = value
        source.visititems(visit)
    return target
