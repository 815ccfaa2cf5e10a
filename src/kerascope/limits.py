"""Bounds on everything a read takes from a file, and on how long it may take.

A file may be made to hurt its reader: a zip bomb, JSON nested a million deep,
an HDF5 file with endless groups, a number that asks for a huge allocation.
Every reader checks these limits before it acts on a number from a file, and a
file over one gets a message naming the limit, never a hang or an exhausted
machine. The defaults sit far above what real models use.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kerascope.errors import KerascopeError, TimeLimitExceeded

MiB = 1024 * 1024


# The limits a user may raise from the command line (`--max-json-bytes`, ...), and
# what each bounds, for the command's help.
FLAG_LIMITS = {
    "max_json_bytes": "largest JSON document read (bytes)",
    "max_json_depth": "deepest JSON nesting",
    "max_json_items": "most values (numbers, strings, lists, objects) in one JSON document",
    "max_member_bytes": "largest archive member or metadata file read into memory (bytes)",
    "max_layers": "most layers in one model",
    "max_h5_objects": "most HDF5 groups, datasets and links",
}


class LimitExceeded(KerascopeError):
    """A file went over a limit. The message names the limit and its value; with the
    `Limits` field it went over, it says how to raise that limit."""

    def __init__(self, message: str, limit: str | None = None) -> None:
        if limit in FLAG_LIMITS:
            message += f" (to read it anyway: --{limit.replace('_', '-')}, or Limits({limit}=...))"
        elif limit is not None:
            message += f" (to read it anyway: Limits({limit}=...))"
        super().__init__(message)


@dataclass(frozen=True)
class Limits:
    """What one read may take. Most bounds are also command-line flags of the same name
    (`cli/arguments.py` lists which).

    The HDF5 bounds, for the pure-Python reader of `.h5` files and of the weights
    inside `.keras` archives:
      max_h5_objects: groups, datasets, links and attributes listed in one file.
      max_h5_depth: groups nested in groups (Keras nests two levels per model).
      max_h5_metadata_bytes: everything the reader takes from one file: object
        headers, heaps, B-tree nodes, attribute values, and the paths it builds;
        each read counts at least 64 bytes (256 inside pyfive's fractal heaps and
        version 2 B-trees), so endless small reads run out too. It bounds memory
        and time as well: about 500,000 objects' worth of a typical file.
      max_h5_attribute_bytes: the text of one attribute (or of a list Keras split
        over several), counted before it is decoded, each string at least 64 bytes,
        with variable-length strings' heap objects followed. A legacy file's
        `model_config` is also held to `max_json_bytes`.
    """

    max_json_bytes: int = 64 * MiB
    max_json_depth: int = 200
    max_json_items: int = 3_000_000
    max_member_bytes: int = 64 * MiB
    max_layers: int = 100_000
    max_h5_objects: int = 2_000_000
    max_h5_depth: int = 256
    max_h5_metadata_bytes: int = 256 * MiB
    max_h5_attribute_bytes: int = 64 * MiB
    max_compression_ratio: int = 1000
    # A SavedModel's `saved_model.pb` (protobuf itself stops at 2 GiB).
    max_protobuf_bytes: int = 1024 * MiB
    # Tensors listed in a tensor-bundle index (`variables/variables.index`).
    max_bundle_entries: int = 1_000_000
    # Nodes of a SavedModel's object graph plus its graph's and functions' op nodes,
    # and the steps of any walk over them.
    max_graph_nodes: int = 5_000_000
    # An Orbax checkpoint's OCDBT database: bytes of B-tree nodes read and inflated, and keys listed.
    max_checkpoint_metadata_bytes: int = 256 * MiB
    max_checkpoint_keys: int = 1_000_000
    # One tensor's values held in memory at once: an array read whole on request,
    # or one decoded HDF5 chunk while values stream (statistics never hold more).
    max_tensor_bytes: int = 1024 * MiB

    def check_layers(self, count: int) -> None:
        if count > self.max_layers:
            raise LimitExceeded(f"more than {self.max_layers:,} layers (the layer limit)", "max_layers")


DEFAULT_LIMITS = Limits()

# -- time ----------------------------------------------------------------------------
_local = threading.local()  # .limit: (deadline on the monotonic clock, the seconds it was set to)


def time_message(seconds: float) -> str:
    return f"gave up after {seconds:g} s (the time limit; raise it with --time-limit)"


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise `TimeLimitExceeded` in the code inside once `seconds` have passed.

    In the main thread an interval timer interrupts any Python code, a reader's
    loop or a library's; in other threads (a notebook's worker, a scan's pool)
    the readers' own loops check the deadline (`check_time`). Native code that
    never returns to Python cannot be interrupted in-process: the command line
    runs each command in a child process as a second fence.
    """
    if not seconds:
        yield
        return
    outer = getattr(_local, "limit", None)
    mine = (time.monotonic() + seconds, seconds)
    _local.limit = mine if outer is None or mine[0] < outer[0] else outer
    use_alarm = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    previous: Any = None
    if use_alarm:
        previous = signal.signal(signal.SIGALRM, _expire)
        _arm(_local.limit)
    try:
        yield
    finally:
        _local.limit = outer
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            if outer is not None:
                _arm(outer)


def _arm(limit: tuple[float, float]) -> None:
    signal.setitimer(signal.ITIMER_REAL, max(limit[0] - time.monotonic(), 1e-3))


def _expire(signum: int, frame: Any) -> None:
    limit = getattr(_local, "limit", None)
    raise TimeLimitExceeded(time_message(limit[1] if limit else 0))


def check_time() -> None:
    """Raise `TimeLimitExceeded` if the current thread's time limit has passed."""
    limit = getattr(_local, "limit", None)
    if limit is not None and time.monotonic() > limit[0]:
        raise TimeLimitExceeded(time_message(limit[1]))
