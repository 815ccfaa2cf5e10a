"""A folder with a `config.json`: what `config.json` says decides what the folder is.

- a KerasHub preset (`task.json`, `keras_hub_version`, a `keras_hub>` class):
  `presets.py`;
- a serialized Keras model (`class_name` and `config`): an extracted `.keras`,
  with or without `metadata.json`;
- a Transformers config (`model_type`, `architectures`) or a timm config
  (`architecture`, `pretrained_cfg`), which KerasHub converts on load: reported as
  what it is, the model its config names with the tensors its safetensors hold
  (`foreign_configs.py`).
"""

from __future__ import annotations

from typing import Any

from kerascope.decoders.json_text import load_json
from kerascope.decoders.source import Source
from kerascope.errors import KerascopeError
from kerascope.limits import Limits
from kerascope.model.records import ModelReport
from kerascope.model.vocabulary import Format
from kerascope.readers.foreign_configs import foreign_kind, read_foreign
from kerascope.readers.keras_saved import (
    CONFIG_FILE,
    METADATA_FILE,
    FolderMembers,
    optional_json,
    read_saved,
)
from kerascope.readers.presets import is_preset, read_preset


def read_config_folder(source: Source, limits: Limits) -> ModelReport:
    members = FolderMembers(source, limits)
    config = load_json(members.read(CONFIG_FILE), CONFIG_FILE, limits)
    metadata = optional_json(members, METADATA_FILE, limits)
    if is_preset(members, metadata, config):
        return read_preset(source, members, limits)
    if _is_keras_object(config):
        return read_saved(members, source, Format.KERAS_FOLDER, limits, [])
    kind = foreign_kind(config)
    if kind is not None:
        return read_foreign(source, members, kind, config, limits)
    raise KerascopeError(
        "config.json is neither a serialized Keras model, a KerasHub preset, nor a Transformers or timm config"
    )


def _is_keras_object(config: Any) -> bool:
    return (
        isinstance(config, dict)
        and isinstance(config.get("class_name"), str)
        and isinstance(config.get("config"), (dict, list))
    )
