"""A scan worker process: reads one model per request until its pipe closes.

Started by `fence.FencedWorker` as `python -m kerascope.scan.worker READ_FD
WRITE_FD MAX_MEMORY`. It caps its own address space (RLIMIT_AS), so a file that
asks for too much memory fails here, and before each file sets a CPU-time cap a
little past the time limit, so a native hang ends even if the scanner that would
kill it has gone. It ignores Ctrl-C: the scanner decides what an interrupt
means, and ends its workers itself.
"""

from __future__ import annotations

import os
import resource
import signal
import sys
from typing import Any

from kerascope.errors import one_line
from kerascope.scan import frames

# Imported, and the shipped example models read, before the memory cap and before the
# first file, so that no import is charged to a file (its time, its bytes read).
WARM_UP = (
    "kerascope.readers.registry",
    "kerascope.analysis.static_checks",
    "kerascope.scan.task",
    "encodings.ascii",  # HDF5 strings stored as ASCII are decoded with it
)
CPU_MARGIN = 10


def _warm_up() -> None:
    import contextlib
    import importlib
    import tempfile
    from importlib.resources import as_file, files
    from pathlib import Path

    from kerascope.api import check
    from kerascope.errors import KerascopeError

    for module in WARM_UP:
        importlib.import_module(module)
    for example in files("kerascope").joinpath("example_files").iterdir():
        with as_file(example) as path:
            check(path)
    with tempfile.TemporaryDirectory() as folder:  # a SavedModel's metadata decoder loads on first use
        (Path(folder) / "keras_metadata.pb").write_bytes(b"")
        with contextlib.suppress(KerascopeError):
            check(folder)


def main(argv: list[str]) -> int:
    read_fd, write_fd, max_memory = int(argv[0]), int(argv[1]), int(argv[2])
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _warm_up()
    from kerascope.scan.task import read_model

    if max_memory:
        resource.setrlimit(resource.RLIMIT_AS, (max_memory, resource.getrlimit(resource.RLIMIT_AS)[1]))
    frames.send(write_fd, {"ready": os.getpid()})
    while True:
        try:
            request = frames.receive(read_fd)
        except frames.WorkerGone:
            return 0
        _cap_cpu(request["time_limit"])
        try:
            reply = read_model(request)
        except Exception as error:  # noqa: BLE001 - a defect in kerascope, reported as the file's error
            reply = {"error": one_line(f"internal error: {type(error).__name__}: {error}")}
        try:
            frames.send(write_fd, reply)
        except BrokenPipeError:
            return 0


def _cap_cpu(seconds: Any) -> None:
    """End this process (SIGXCPU) if it spends far more CPU on one file than the time limit allows."""
    if not seconds:
        return
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(used.ru_utime + used.ru_stime)
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    soft = spent + int(seconds) + CPU_MARGIN
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
