"""Bounds on everything a static read takes from a file.

A file may be made to hurt its reader: a zip bomb, JSON nested a million deep,
an HDF5 file with endless groups. Every reader checks these limits, and a file
over one gets a message naming the limit, never a hang or an exhausted machine.
The defaults sit far above what real models use.
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_json_bytes: int = 64 * MiB
    max_json_depth: int = 200
    max_member_bytes: int = 64 * MiB
    max_layers: int = 100_000
    max_h5_objects: int = 2_000_000
    max_compression_ratio: int = 1000

    def check_layers(self, count: int) -> None:
        if count > self.max_layers:
            raise LimitExceeded(f"more than {self.max_layers:,} layers (the layer limit)")


class LimitExceeded(Exception):
    """A file went over a limit; the message names the limit and its value."""


DEFAULT_LIMITS = Limits()
