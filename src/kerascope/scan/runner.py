"""A scan: discover models, skip the catalogued ones, read the rest in a pool, commit in batches.

The scanning process walks, decides and writes; workers read. A model whose
path, stat key and settings are catalogued is skipped without being opened; one
whose stat key changed is hashed by a worker and read only if its content hash
changed too (see `fingerprint`). Results are committed in batches, each one
transaction, at least every second, so an interrupted scan keeps everything it
committed and the next run carries on from there. Only a scan that walked a
target to its end forgets the catalogued models under it that are gone.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from kerascope.errors import KerascopeError, one_line
from kerascope.limits import DEFAULT_LIMITS, Limits
from kerascope.scan.catalog import SCHEMA_VERSION, Batch, Catalog, Known, new_batch
from kerascope.scan.defaults import DEFAULT_BATCH_SIZE, DEFAULT_MAX_MEMORY, DEFAULT_TIME_LIMIT
from kerascope.scan.discovery import Discovery
from kerascope.scan.walk import Entry

COMMIT_EVERY = 1.0  # seconds
LOOKUP_CHUNK = 256  # entries looked up in the catalog at once
IN_FLIGHT_PER_WORKER = 32  # enough queued work to keep workers busy through a commit


@dataclass(frozen=True)
class ScanOptions:
    """How to scan: the pool, the fences, the limits on each read, and which entries to take."""

    workers: int | None = None  # default: the CPUs this process may use
    time_limit: float = DEFAULT_TIME_LIMIT  # per model, seconds
    max_memory: int | None = DEFAULT_MAX_MEMORY  # per worker process, bytes of address space
    limits: Limits = DEFAULT_LIMITS
    retry_errors: bool = False
    exclude: tuple[str, ...] = ()
    batch_size: int = DEFAULT_BATCH_SIZE
    dask: str | None = None  # a Dask scheduler's address
    values: bool = False  # read every weight's values: the `weights` table, and their findings

    @property
    def settings_key(self) -> str:
        """What a catalogued result depends on besides the file: kerascope's version, the
        limits, and whether values were read (a model scanned without them is read again
        with them, and the other way round)."""
        from kerascope.version import __version__

        facts: dict[str, Any] = {
            "kerascope": __version__,
            "catalog": SCHEMA_VERSION,
            "limits": asdict(self.limits),
        }
        if self.values:
            facts["values"] = True
        return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:32]


@dataclass
class ScanCounts:
    """What this run has done so far."""

    found: int = 0
    walk_finished: bool = False
    read: int = 0
    unchanged: int = 0
    errors: int = 0
    links: int = 0
    committed: int = 0
    pruned: int = 0
    started: float = field(default_factory=time.monotonic)
    interrupted: bool = False

    @property
    def done(self) -> int:
        return self.read + self.unchanged + self.errors + self.links

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


Progress = Callable[[ScanCounts], None]  # called at least every few tenths of a second


def run_scan(
    catalog: Catalog,
    roots: Sequence[tuple[str, str]],
    options: ScanOptions,
    progress: Progress | None = None,
) -> ScanCounts:
    """Scan `roots` (resolved targets) into `catalog`; the counts of what this run did.

    Ctrl-C commits what was already read, then raises `KeyboardInterrupt`.
    """
    counts = ScanCounts()
    pool = _pool(options)
    discovery = Discovery(roots, options.exclude)
    scanner = _Scanner(catalog, pool, discovery, options, counts, progress or (lambda counts: None))
    try:
        scanner.run()
    except KeyboardInterrupt:
        counts.interrupted = True
        discovery.stop()
        pool.close()
        scanner.commit()
        raise
    finally:
        discovery.stop()
        pool.close()
    for root in discovery.walked:
        counts.pruned += catalog.prune(root)
    return counts


def _pool(options: ScanOptions) -> Any:
    from kerascope.scan.pools import DaskPool, LocalPool

    if options.dask:
        return DaskPool(options.dask, options.max_memory)
    return LocalPool(options.workers or len(os.sched_getaffinity(0)), options.max_memory)


class _Scanner:
    """The scanning loop: feed the pool from the walk, collect replies, commit batches."""

    def __init__(
        self,
        catalog: Catalog,
        pool: Any,
        discovery: Discovery,
        options: ScanOptions,
        counts: ScanCounts,
        report: Progress,
    ) -> None:
        self.catalog, self.pool, self.discovery, self.options = catalog, pool, discovery, options
        self.counts, self.report = counts, report
        self.settings_key = options.settings_key
        self.limits = asdict(options.limits)
        self.ready: deque[tuple[Entry, Known | None]] = deque()
        self.in_flight: dict[Any, tuple[Entry, bool]] = {}  # future: (entry, catalogued before)
        self.replies: queue.Queue[Any] = queue.Queue()
        self.batch: Batch = new_batch()
        self.last_commit = time.monotonic()

    def run(self) -> None:
        room = self.pool.capacity * IN_FLIGHT_PER_WORKER
        while True:
            if len(self.ready) < room and not self.discovery.exhausted:
                self._discover(LOOKUP_CHUNK, wait=0 if self.ready or self.in_flight else 0.05)
            while self.ready and len(self.in_flight) < room:
                self._submit(*self.ready.popleft())
            if self.in_flight:
                self._collect(wait=0.2)
            elif not self.ready and self.discovery.exhausted:
                break
            self.report(self.counts)
            pending = len(self.batch.seen) + len(self.batch)
            if pending >= self.options.batch_size or (
                pending and time.monotonic() - self.last_commit >= COMMIT_EVERY
            ):
                self.commit()
        self.commit()

    def commit(self) -> None:
        """Write the batch in one transaction (a batch of skipped entries only records them as seen)."""
        if not (len(self.batch) or self.batch.seen):
            return
        self.catalog.commit(self.batch)
        self.counts.committed += len(self.batch)
        self.batch = new_batch()
        self.last_commit = time.monotonic()
        self.report(self.counts)

    def _discover(self, most: int, wait: float) -> None:
        entries = self.discovery.take(most, wait)
        self.counts.found = self.discovery.found
        self.counts.walk_finished = self.discovery.finished
        if not entries:
            return
        known = self.catalog.known([entry.file_id for entry in entries])
        for entry in entries:
            self._decide(entry, known.get(entry.file_id))

    def _decide(self, entry: Entry, known: Known | None) -> None:
        """Skip an unchanged entry, write a link or an unexaminable entry at once, queue a model."""
        self.batch.seen.append(entry.file_id)
        current = known is not None and known.settings_key == self.settings_key
        unchanged = entry.stat_key is not None and known is not None and known.stat_key == entry.stat_key
        if current and unchanged and not (known.failed and self.options.retry_errors):
            self.counts.unchanged += 1
            return
        if not entry.is_model:
            self._add_row(entry, {"error": entry.error}, replacing=known is not None)
            return
        self.ready.append((entry, known))

    def _submit(self, entry: Entry, known: Known | None) -> None:
        reusable = known is not None and known.settings_key == self.settings_key and not known.failed
        request = {
            "path": entry.path,
            "protocol": entry.protocol,
            "is_dir": entry.is_dir,
            "known_sha256": known.sha256 if reusable else None,
            "limits": self.limits,
            "time_limit": self.options.time_limit,
            "values": self.options.values,
        }
        future = self.pool.submit(request)
        self.in_flight[future] = (entry, known is not None)
        future.add_done_callback(self.replies.put)

    def _collect(self, wait: float) -> None:
        try:
            future = self.replies.get(timeout=wait)
        except queue.Empty:
            return
        while True:
            entry, catalogued = self.in_flight.pop(future)
            self._take_reply(entry, _reply_of(future, entry), catalogued)
            try:
                future = self.replies.get_nowait()
            except queue.Empty:
                return

    def _take_reply(self, entry: Entry, reply: dict[str, Any], catalogued: bool) -> None:
        if reply.get("unchanged"):
            self.batch.touched.append(
                {
                    "file_id": entry.file_id,
                    "root": entry.root,
                    "size": entry.size,
                    "mtime": _microseconds(entry.mtime),
                    "stat_key": entry.stat_key,
                }
            )
            self.counts.unchanged += 1
            return
        self._add_row(entry, reply, replacing=catalogued)

    def _add_row(self, entry: Entry, reply: dict[str, Any], replacing: bool) -> None:
        file_id = entry.file_id
        if replacing:
            self.batch.replaced.append(file_id)
        self.batch.files.append(
            {
                "file_id": file_id,
                "path": entry.path,
                "root": entry.root,
                "kind": None if entry.kind is None else entry.kind.value,
                "is_dir": entry.is_dir,
                "link_target": entry.link_target,
                "size": entry.size,
                "mtime": _microseconds(entry.mtime),
                "sha256": reply.get("sha256"),
                **reply.get("model", {}),
                "error": reply.get("error"),
                "bytes_read": reply.get("bytes_read"),
                "seconds": reply.get("seconds"),
                "scanned_at": _microseconds(time.time()),
                "stat_key": entry.stat_key,
                "settings_key": self.settings_key,
            }
        )
        self.batch.layers += [[file_id, *row] for row in reply.get("layers", ())]
        self.batch.findings += [[file_id, *row] for row in reply.get("findings", ())]
        self.batch.weights += [[file_id, *row] for row in reply.get("weights", ())]
        if entry.link_target is not None:
            self.counts.links += 1
        elif reply.get("error"):
            self.counts.errors += 1
        else:
            self.counts.read += 1


def _reply_of(future: Any, entry: Entry) -> dict[str, Any]:
    """The task's reply; a task that failed outside the fence (a lost cluster worker) is the file's error."""
    try:
        return future.result()
    except KerascopeError:
        raise  # the pool itself cannot work (a worker that cannot start): stop the scan
    except Exception as error:  # noqa: BLE001 - whatever a cluster raises for one task
        return {"error": one_line(f"{entry.path}: the task failed: {type(error).__name__}: {error}")}


def _microseconds(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1_000_000)
