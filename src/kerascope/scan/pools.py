"""Where the per-file task runs: worker processes on this machine, or a Dask cluster.

Both run the same task, `fence.read_fenced`, and hand back futures that call
back when done; the scanning process only submits, collects and writes the
catalog. The number of files in flight is bounded by the pool's capacity, so the
scanner's memory stays flat however many files a tree holds.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kerascope.errors import KerascopeError, one_line
from kerascope.scan.fence import close_workers, read_fenced


class LocalPool:
    """`workers` long-lived worker processes, each driven by one thread of this process."""

    def __init__(self, workers: int, max_memory: int | None) -> None:
        self.capacity = workers
        self._max_memory = max_memory
        self._threads = ThreadPoolExecutor(workers, thread_name_prefix="kerascope-scan")

    def submit(self, request: dict[str, Any]) -> Any:
        return self._threads.submit(read_fenced, request, self._max_memory)

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
        close_workers()
        self._threads.shutdown(wait=True)


class DaskPool:
    """A Dask distributed cluster: its workers read the files, this process writes the catalog."""

    def __init__(self, address: str, max_memory: int | None) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise KerascopeError("--dask needs Dask: pip install 'kerascope[dask]'") from None
        try:
            self._client = Client(address, timeout="30s", set_as_default=False)
        except (OSError, TimeoutError) as error:
            raise KerascopeError(
                f"{address}: cannot reach the Dask scheduler ({one_line(str(error))})"
            ) from None
        threads = sum(self._client.nthreads().values())
        if not threads:
            self._client.close()
            raise KerascopeError(f"{address}: the Dask cluster has no workers")
        self.capacity = threads
        self._max_memory = max_memory

    def submit(self, request: dict[str, Any]) -> Any:
        return self._client.submit(read_fenced, request, self._max_memory, pure=False)

    def close(self) -> None:
        """Disconnect; the scheduler drops the tasks no client holds any more."""
        self._client.close()
