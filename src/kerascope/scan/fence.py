"""One worker process behind a fence: a time limit it cannot outlive, and a
replacement when it dies.

Native code can hang without returning to Python (the HDF5 library loops
forever on some corrupt files, holding the interpreter lock), and a file can
drive a reader out of memory; neither can be stopped inside the process doing
it. So each model is read in a long-lived worker process (started once, not
forked per file), the worker's own time limit is the first fence, and this
object is the second: past the time limit plus a grace period it kills the
worker, records the file as an error, and starts a new worker for the next file.
A worker that dies on a file (out of memory, a crash) is recorded the same way.

`read_fenced` is THE per-file task: the local pool runs it in one thread per
worker, and a Dask cluster runs it on its workers, each thread with its own
fenced worker process, so a file is fenced the same way wherever it is read.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from kerascope.errors import KerascopeError, one_line
from kerascope.limits import time_message
from kerascope.scan import frames

GRACE = 2.0
START_TIMEOUT = 120.0
# One thread per core in native libraries, so that the memory cap measures the file.
_ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class FencedWorker:
    """A worker process reading one model at a time under a deadline."""

    def __init__(self, max_memory: int | None) -> None:
        self.max_memory = max_memory
        self._process: subprocess.Popen[bytes] | None = None
        self._to_worker = self._from_worker = -1
        self._stderr: Any = None
        self._busy = threading.Lock()

    def read(self, request: dict[str, Any]) -> dict[str, Any]:
        """The worker's reply for one model, or an error reply if it overran or died."""
        with self._busy:
            return self._read(request)

    def _read(self, request: dict[str, Any]) -> dict[str, Any]:
        if self._process is None:
            self._start()
        started = time.monotonic()
        try:
            frames.send(self._to_worker, request)
            return frames.receive(self._from_worker, started + request["time_limit"] + GRACE)
        except frames.TimedOut:
            self._stop()
            why = time_message(request["time_limit"])
        except (frames.WorkerGone, BrokenPipeError):
            why = self._death()
        except ValueError:  # not JSON: nothing more from this worker can be trusted to line up
            self._stop()
            why = "the worker's reply could not be decoded"
        return {"error": one_line(why), "seconds": time.monotonic() - started}

    def close(self) -> None:
        """End the worker, even while another thread waits on it (that wait then ends)."""
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
        with self._busy:
            self._stop()

    def _start(self) -> None:
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        package_root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, **_ONE_THREAD}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the worker
        command = [sys.executable, "-m", "kerascope.scan.worker", str(request_read), str(reply_write)]
        try:
            self._process = subprocess.Popen(
                [*command, str(self.max_memory or 0)],
                pass_fds=(request_read, reply_write),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
                env=env,
            )
        finally:
            os.close(request_read)
            os.close(reply_write)
        self._to_worker, self._from_worker = request_write, reply_read
        try:
            frames.receive(self._from_worker, time.monotonic() + START_TIMEOUT)
        except (frames.WorkerGone, frames.TimedOut):
            why = self._death()
            raise KerascopeError(f"a scan worker could not start: {why}") from None

    def _death(self) -> str:
        """Why the worker ended, once it has; the worker is gone afterwards."""
        process = self._process
        status = None if process is None else process.wait()
        detail = self._stderr_tail()
        self._stop()
        if status is not None and status < 0:
            name = signal.Signals(-status).name
            hint = " (out of memory?)" if -status == signal.SIGKILL else ""
            return f"the worker reading it was ended by {name}{hint}" + (f": {detail}" if detail else "")
        return f"the worker reading it exited with status {status}" + (f": {detail}" if detail else "")

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0, os.SEEK_END)
        self._stderr.seek(max(0, self._stderr.tell() - 2000))
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        return one_line(lines[-1]) if lines else ""

    def _stop(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
            self._process = None
        for fd in (self._to_worker, self._from_worker):
            if fd >= 0:
                os.close(fd)
        self._to_worker = self._from_worker = -1
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


_local = threading.local()
_workers: list[FencedWorker] = []
_workers_lock = threading.Lock()


def read_fenced(request: dict[str, Any], max_memory: int | None) -> dict[str, Any]:
    """THE per-file task: read one model in this thread's fenced worker process."""
    worker = getattr(_local, "worker", None)
    if worker is None or worker.max_memory != max_memory:
        if worker is not None:
            worker.close()
        worker = _local.worker = FencedWorker(max_memory)
        with _workers_lock:
            _workers.append(worker)
    return worker.read(request)


def close_workers() -> None:
    """End every worker process this process started (threads' workers included)."""
    with _workers_lock:
        workers, _workers[:] = list(_workers), []
    for worker in workers:
        worker.close()
