"""Orbax checkpoints: recognised once their reader exists (the next change)."""

from __future__ import annotations

from kerascope.decoders.source import Source
from kerascope.model.records import ModelReport
from kerascope.readers.probe import Kind, Probe

WHAT = "an Orbax checkpoint"
KIND = Kind.ORBAX
NAMED = ()
PAIRS_WITH_CONFIG = False


def match(probe: Probe) -> bool:
    return False


def read(probe: Probe, config: Source | None) -> ModelReport:
    raise NotImplementedError
