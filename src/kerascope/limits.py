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
from dataclasses import dataclass, field, fields
from typing import Any

from kerascope.errors import KerascopeError, TimeLimitExceeded

MiB = 1024 * 1024


class LimitExceeded(KerascopeError):
    """A file went over a limit. The message names the limit and its value; with the
    `Limits` field it went over, it says how to raise that limit."""

    def __init__(self, message: str, limit: str | None = None) -> None:
        if limit in FLAGS:
            message += f" (to read it anyway: {flag(limit)}, or Limits({limit}=...))"
        elif limit is not None:
            message += f" (to read it anyway: Limits({limit}=...))"
        super().__init__(message)


def _limit(default: int, bounds: str, *, unit: str = "", on_command_line: bool = False) -> Any:
    """A field of `Limits`: its default, what it bounds (the flag's help, SECURITY.md's
    table), its unit (`bytes`, `×`, or none for a count) and whether the command
    line has a flag for it."""
    return field(default=default, metadata={"meaning": bounds, "unit": unit, "flag": on_command_line})


@dataclass(frozen=True)
class Limits:
    """What one read may take. Each field says what it bounds, and which are also
    command-line flags of the same name (`--max-json-bytes`): this class is the one
    list of limits, from which the flags, their help and SECURITY.md's table come.
    The HDF5 bounds hold the pure-Python reader of `.h5` files and of the weights
    inside `.keras` archives.
    """

    max_json_bytes: int = _limit(
        64 * MiB,
        "largest JSON document read (config.json, model_config, a preset file)",
        unit="bytes",
        on_command_line=True,
    )
    max_json_depth: int = _limit(200, "deepest JSON nesting", on_command_line=True)
    max_json_items: int = _limit(
        3_000_000, "most values (numbers, strings, lists, objects) in one JSON document", on_command_line=True
    )
    max_member_bytes: int = _limit(
        64 * MiB,
        "largest archive member or metadata file read into memory, and most bytes an npz archive's "
        "compressed members inflate while they are read, all together",
        unit="bytes",
        on_command_line=True,
    )
    max_layers: int = _limit(100_000, "most layers in one model", on_command_line=True)
    # A deep tree of long names makes paths that grow with depth times length: bounded whole.
    max_path_bytes: int = _limit(
        32 * MiB, "most characters in the paths of one model's layers, all together", unit="bytes"
    )
    max_h5_objects: int = _limit(
        2_000_000, "most HDF5 groups, datasets, links and attributes in one file", on_command_line=True
    )
    max_h5_depth: int = _limit(256, "deepest nesting of HDF5 groups (Keras nests two levels per model)")
    # It bounds memory and time as well: about 500,000 objects' worth of a typical file.
    max_h5_metadata_bytes: int = _limit(
        256 * MiB,
        "most HDF5 metadata read from one file: object headers, heaps, B-tree nodes, attribute values "
        "and the paths built, each read counted as at least 64 bytes (256 in fractal heaps and "
        "version 2 B-trees)",
        unit="bytes",
    )
    # Counted before it is decoded, with variable-length strings' heap objects followed.
    max_h5_attribute_bytes: int = _limit(
        64 * MiB,
        "largest HDF5 attribute text (or list Keras split over several), each string counted as at "
        "least 64 bytes; a legacy file's model_config is also held to max_json_bytes",
        unit="bytes",
    )
    max_compression_ratio: int = _limit(
        1000, "largest expansion of a compressed zip member or HDF5 chunk over its stored size", unit="×"
    )
    # Protobuf itself stops at 2 GiB.
    max_protobuf_bytes: int = _limit(1024 * MiB, "largest SavedModel saved_model.pb", unit="bytes")
    max_bundle_entries: int = _limit(
        1_000_000, "most tensors listed in a tensor-bundle index (variables/variables.index)"
    )
    max_graph_nodes: int = _limit(
        5_000_000,
        "most SavedModel graph nodes: its object graph's, its graph's and functions' op nodes, and "
        "the steps of any walk over them",
    )
    max_checkpoint_metadata_bytes: int = _limit(
        256 * MiB,
        "most bytes of an Orbax checkpoint's OCDBT database read and inflated (B-tree nodes)",
        unit="bytes",
    )
    max_checkpoint_keys: int = _limit(1_000_000, "most keys listed in an Orbax checkpoint's OCDBT database")
    max_tensor_bytes: int = _limit(
        1024 * MiB,
        "most bytes of one tensor's values held at once: an array read whole on request, or one decoded "
        "HDF5 chunk while values stream (statistics never hold more)",
        unit="bytes",
        on_command_line=True,
    )

    def check_layers(self, count: int) -> None:
        if count > self.max_layers:
            raise LimitExceeded(f"more than {self.max_layers:,} layers (the layer limit)", "max_layers")


# The limits the command line has a flag for, in the order of their fields.
FLAGS = tuple(limit.name for limit in fields(Limits) if limit.metadata["flag"])


def flag(name: str) -> str:
    """The command-line flag of the `Limits` field `name`: `--max-json-bytes`."""
    return "--" + name.replace("_", "-")


def meaning(name: str) -> str:
    """What the `Limits` field `name` bounds, in words."""
    return Limits.__dataclass_fields__[name].metadata["meaning"]


def unit(name: str) -> str:
    """The unit of the `Limits` field `name`: `bytes`, `×`, or "" for a count."""
    return Limits.__dataclass_fields__[name].metadata["unit"]


def described(name: str) -> str:
    """What the `Limits` field `name` bounds and its default, for a flag's help."""
    default = getattr(DEFAULT_LIMITS, name)
    return f"{meaning(name)} ({default:,}{' bytes' if unit(name) == 'bytes' else unit(name)})"


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
