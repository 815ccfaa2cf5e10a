"""Every format kerascope reads, listed once, in the order Keras's loaders try them.

Each format is one module in `readers/formats/` that says how to recognise its
input by content (`match`, from a `Probe`) beside how to read it (`read`). The
order is Keras 3.15's `keras.saving.load_model` (`keras/src/saving/saving_api.py`,
`load_model`): a `.keras` path that `zipfile.is_zipfile` accepts is read as a zip
whatever else its bytes are (`is_keras_zip`); then a folder with a `config.json`
(`is_keras_dir`: an extracted archive, and the presets KerasHub's `from_preset`
reads from such a folder); then a `.h5`/`.hdf5` path, by the legacy HDF5 loader;
then an Orbax checkpoint folder (`is_orbax_checkpoint`). After those come what
other loaders read: SavedModels (`TFSMLayer`, tf_keras), JSON documents
(`model_from_json`, TensorFlow.js, a sharded `.weights.json` for `load_weights`), and
an `.npz` or `.npy` that is one pickle (`np.load(allow_pickle=True)`).

An input two formats accept is a polyglot: it is read as Keras would read it
(the format its name sends it to, as Keras decides by the name, else the first
in this order), and a `POLYGLOT` finding names both readings, since the other
loader would load something else from the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from kerascope.decoders.source import Source
from kerascope.limits import DEFAULT_LIMITS, Limits
from kerascope.model.findings import finding
from kerascope.model.records import Finding, ModelReport
from kerascope.model.vocabulary import Code
from kerascope.readers.formats import (
    foreign_checkpoint,
    hdf5,
    json_document,
    keras_archive,
    keras_folder,
    keras_hub_preset,
    orbax,
    pickled_weights,
    savedmodel,
)
from kerascope.readers.probe import Kind, Probe


class FormatModule(Protocol):
    """What each module in `readers/formats/` holds."""

    # What the input is, in a sentence's words ("a Keras archive (a zip)").
    WHAT: str
    KIND: Kind
    # The name endings Keras's loader sends to this format before it looks at the bytes.
    NAMED: tuple[str, ...]
    # Whether `--config` may pair an architecture with it (weights-only files).
    PAIRS_WITH_CONFIG: bool

    def match(self, probe: Probe) -> bool: ...

    def read(self, probe: Probe, config: Source | None) -> ModelReport: ...


FORMATS: tuple[FormatModule, ...] = (
    keras_archive,
    keras_hub_preset,
    keras_folder,
    foreign_checkpoint,
    hdf5,
    orbax,
    savedmodel,
    json_document,
    pickled_weights,
)


@dataclass(frozen=True)
class Recognition:
    """The format an input is read as, and every other format that accepts it too."""

    reading: FormatModule
    others: Sequence[FormatModule]

    def findings(self, label: str) -> list[Finding]:
        """A POLYGLOT finding when another format accepts the same input."""
        if not self.others:
            return []
        others = " and ".join(other.WHAT for other in self.others)
        return [
            finding(
                Code.POLYGLOT,
                None,
                f"{label} is both {self.reading.WHAT} and {others}: Keras would load it as "
                f"{self.reading.WHAT}, which this report shows; a loader that takes it as "
                f"{others} loads something else from the same bytes",
            )
        ]


def recognise(probe: Probe) -> Recognition | None:
    """The format `probe`'s input is read as, or None when no format accepts it."""
    matches = [module for module in FORMATS if module.match(probe)]
    if not matches:
        return None
    named = [module for module in matches if probe.named(*module.NAMED)] if len(matches) > 1 else []
    reading = named[0] if named else matches[0]
    return Recognition(reading, [module for module in matches if module is not reading])


def recognise_source(source: Source, limits: Limits = DEFAULT_LIMITS) -> Recognition | None:
    """The scan walk's question, is this a model and which: what `source` is read as,
    without looking for the polyglots its read will look for."""
    return recognise(Probe(source, limits, polyglots=False))


def unrecognised(probe: Probe) -> str:
    """Why no format accepts the input, for its one-line error."""
    if probe.is_dir and probe.config is not None:
        return (
            "config.json is neither a serialized Keras model, a KerasHub preset, "
            "nor a Transformers or timm config"
        )
    if probe.is_dir:
        held = sorted(name for name in probe.names if name.lower().endswith(_MODEL_FILE_ENDINGS))
        shown = ", ".join(held[:3]) + (f" and {len(held) - 3:,} more" if len(held) > 3 else "")
        if held:
            return f"a folder of models ({shown}), not one model; `kerascope scan` reads every model under a folder"
        return (
            "a folder, not a model (no config.json or saved_model.pb in it); "
            "`kerascope scan` finds the models under a folder"
        )
    return (
        "not a Keras model (neither a zip, HDF5 or JSON file, a SavedModel, an Orbax checkpoint, "
        "a pickle named .npz or .npy, nor a folder with a config.json)"
    )


# Names of files a folder of models holds, for the error that points at `kerascope scan`.
_MODEL_FILE_ENDINGS = (".keras", ".h5", ".hdf5", ".npz", ".weights.json", ".safetensors", ".pb", "model.json")
