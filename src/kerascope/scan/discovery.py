"""The walk, run ahead of the readers in a thread of its own.

Discovery is cheap (a stat and a few bytes per file) next to reading a model,
so running it ahead tells the progress bar how many models there are, and so an
ETA, long before the last is read. Its queue is bounded, so a huge tree does
not fill the scanner's memory with paths.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence

from kerascope.scan.walk import Entry, walk

QUEUE_LIMIT = 50_000


class Discovery:
    """Entries of every target, in order, from a background thread."""

    def __init__(self, targets: Sequence[tuple[str, str]], exclude: Sequence[str]) -> None:
        self.found = 0
        self.finished = False
        self.walked: list[str] = []  # targets walked to the end
        self._targets = list(targets)
        self._exclude = list(exclude)
        self._queue: queue.Queue[Entry] = queue.Queue(QUEUE_LIMIT)
        self._failure: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kerascope-scan-walk", daemon=True)
        self._thread.start()

    def take(self, most: int, wait: float) -> list[Entry]:
        """Up to `most` entries, waiting up to `wait` seconds for the first."""
        taken: list[Entry] = []
        try:
            taken.append(self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait())
            while len(taken) < most:
                taken.append(self._queue.get_nowait())
        except queue.Empty:
            pass
        return taken

    @property
    def exhausted(self) -> bool:
        """Every entry was found and taken; the walk's own failure, if it failed, is raised here."""
        done = self.finished and self._queue.empty()
        if done and self._failure is not None:
            raise self._failure
        return done

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        try:
            for protocol, root in self._targets:
                for entry in walk(protocol, root, self._exclude):
                    while not self._stop.is_set():
                        try:
                            self._queue.put(entry, timeout=0.2)
                            break
                        except queue.Full:
                            continue
                    if self._stop.is_set():
                        return
                    self.found += 1
                self.walked.append(root)
        except BaseException as error:  # noqa: BLE001 - handed to the scanning thread, which raises it
            self._failure = error
        finally:
            self.finished = True
