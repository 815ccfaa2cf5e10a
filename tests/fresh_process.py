"""Reading files in a fresh interpreter, to see what a static read imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FRAMEWORKS = ("tensorflow", "keras", "tf_keras", "jax", "torch")
NATIVE_HDF5 = ("h5py",)  # the HDF5 C library, which a static read must never hand a file to

_PROBE = """
import json, sys, kerascope
for path in sys.argv[1:]:
    try:
        kerascope.inspect(path).to_json()
    except kerascope.KerascopeError:
        pass
print("IMPORTED", json.dumps([m for m in {watched!r} if m in sys.modules]))
"""


def frameworks_imported_reading(
    paths: list[Path | str], cwd: Path | None = None, watched: tuple[str, ...] = FRAMEWORKS
) -> list[str]:
    """The `watched` modules (the frameworks, unless told) a fresh interpreter has
    imported after inspecting `paths`."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(watched=watched), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )
    marker = next((line for line in done.stdout.splitlines() if line.startswith("IMPORTED ")), None)
    assert marker is not None, done.stdout + done.stderr
    return json.loads(marker.removeprefix("IMPORTED "))
