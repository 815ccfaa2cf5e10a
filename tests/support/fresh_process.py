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
outcomes = dict()
for path in sys.argv[1:]:
    try:
        kerascope.inspect(path).to_json()
        outcomes[path] = "report"
    except kerascope.KerascopeError as error:
        outcomes[path] = "error: " + str(error)
print("IMPORTED", json.dumps([m for m in sys.modules if m.split(".")[0] in {watched!r}]))
print("OUTCOMES", json.dumps(outcomes))
"""


def frameworks_imported_reading(
    paths: list[Path | str],
    cwd: Path | None = None,
    watched: tuple[str, ...] = FRAMEWORKS + NATIVE_HDF5,
) -> list[str]:
    """The `watched` modules (frameworks, h5py) a fresh interpreter has imported
    after inspecting `paths`.

    Every path must give a report: a read that fails early imports nothing, and
    proves nothing.
    """
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(watched=watched), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
    )
    lines = dict(
        line.split(" ", 1) for line in done.stdout.splitlines() if line.startswith(("IMPORTED ", "OUTCOMES "))
    )
    assert "OUTCOMES" in lines, done.stdout + done.stderr
    outcomes = json.loads(lines["OUTCOMES"])
    for path in map(str, paths):
        assert outcomes[path] == "report", (path, outcomes[path])
    return sorted({name.split(".")[0] for name in json.loads(lines["IMPORTED"])})
