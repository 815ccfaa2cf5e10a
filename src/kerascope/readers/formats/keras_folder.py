"""An extracted Keras 3 archive: a folder holding `config.json` (a serialized Keras
model), `metadata.json` and the weights, as the `.keras` zip holds them.

Keras's `load_model` reads any folder with a `config.json` this way
(`saving_api.py`, `is_keras_dir`); a folder KerasHub wrote is its preset
(`keras_hub_preset.py`), and one whose `config.json` is not a Keras object is
another library's checkpoint (`foreign_checkpoint.py`).
"""

from __future__ import annotations

from kerascope.decoders.source import Source
from kerascope.model.records import ModelReport
from kerascope.model.vocabulary import Format
from kerascope.readers.formats import keras_hub_preset
from kerascope.readers.keras_layout import read_saved
from kerascope.readers.members import is_serialized_object
from kerascope.readers.probe import Kind, Probe

WHAT = "an extracted Keras archive (a folder with a config.json)"
KIND = Kind.CONFIG_FOLDER
NAMED = ()
PAIRS_WITH_CONFIG = False


def match(probe: Probe) -> bool:
    return (
        probe.is_dir
        and isinstance(probe.config, dict)
        and isinstance(probe.config.get("class_name"), str)
        and is_serialized_object(probe.config)
        and not keras_hub_preset.match(probe)
    )


def read(probe: Probe, config: Source | None) -> ModelReport:
    return read_saved(
        probe.members, probe.source, Format.KERAS_FOLDER, probe.limits, [], probe.config, probe.metadata
    )
