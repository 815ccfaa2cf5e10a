"""Which Keras's code names and finds a file's weights: its generation.

Keras has changed how it names weight groups and how it matches them to layers
several times; each rule of this package says which generation it belongs to,
with the Keras source it follows. A generation is a line of code (multi-backend
Keras 1 and 2, TF-Keras in TensorFlow and the `tf_keras` package, Keras 3) and a
version within it.

A file says which Keras wrote it where it stores `keras_version` (an archive's
`metadata.json`, a legacy HDF5 file's attributes, a config). Keras 2.0 to 2.3
were the multi-backend package; TensorFlow's own Keras wrote `2.2.4-tf` and
`2.3.0-tf`, and from 2.4 on its versions are the TensorFlow ones. A weights file
alone states no version: its layout says what can be known (a `name` on its
groups is Keras >= 3.6's, `stores_names`; `readers/keras_layout.py` reads it so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from kerascope.model.records import ModelReport
from kerascope.model.vocabulary import Format

_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")


class Line(str, Enum):
    """The code base a generation belongs to."""

    KERAS_1 = "Keras 1"
    KERAS_2 = "Keras 2"  # the multi-backend package, 2.0 to 2.3
    TF_KERAS = "TF-Keras"  # tf.keras in TensorFlow 2, and the tf_keras package
    KERAS_3 = "Keras 3"


@dataclass(frozen=True)
class Generation:
    """One Keras version's weight-saving and weight-loading code."""

    line: Line
    version: tuple[int, int, int]

    def __str__(self) -> str:
        name = "TF-Keras" if self.line is Line.TF_KERAS else "Keras"
        return f"{name} {'.'.join(map(str, self.version))}"

    def at_least(self, *version: int) -> bool:
        return self.version >= version

    @property
    def keras3(self) -> bool:
        return self.line is Line.KERAS_3

    # -- saving_lib: `.keras` archives and `.weights.h5` (TF-Keras 2.12 on, Keras 3) --------
    @property
    def layers_attribute(self) -> str:
        """The attribute a model's layers are saved under: `_layer_checkpoint_dependencies`
        in tf.keras 2.12 to 2.14 (its ascending `dir()` walk reached that property before
        `layers`; tf.keras `saving_lib.py` v2.13.1 `_walk_trackable`), `layers` since
        (2.15 added it to `ATTR_SKIPLIST`, commit bd465a78e6) and in Keras 3."""
        if self.line is Line.TF_KERAS and (2, 12) <= self.version[:2] <= (2, 14):
            return "_layer_checkpoint_dependencies"
        return "layers"

    @property
    def counts_repeats(self) -> bool:
        """tf.keras 2.12 and 2.13 advance a container's class counter for an item
        already saved (`_save_container_state`, v2.13.1 L466-490), and
        `_layer_checkpoint_dependencies` lists each layer with weights twice
        (`layer_with_weights-N`, `layer-N`), so two LSTMs are saved as `lstm` and
        `lstm_2`; 2.14 skips a saved item first (commit 0454a40386)."""
        return self.line is Line.TF_KERAS and (2, 12) <= self.version[:2] <= (2, 13)

    @property
    def stores_names(self) -> bool:
        """Keras >= 3.6 writes each `vars` group's layer name as its attribute `name`
        (`saving_lib.py` v3.6.0 `_save_state`); the loader never reads it."""
        return self.keras3 and self.at_least(3, 6)

    @property
    def public_projections(self) -> bool:
        """Keras >= 3.0.5 reaches MultiHeadAttention's projections through public
        properties (`query_dense`), which its sorted walk saves them under."""
        return self.keras3 and self.at_least(3, 0, 5)

    @property
    def walks_wrapped_layer(self) -> bool:
        """A Bidirectional's `layer` attribute is walked (and saved, empty): TF-Keras,
        and Keras 3 before 3.3.3 (where Bidirectional stopped being a `Wrapper`)."""
        return not self.keras3 or not self.at_least(3, 3, 3)

    # -- loading -----------------------------------------------------------------------
    @property
    def collects_errors(self) -> bool:
        """Keras >= 3.0.2 collects every object that failed to load and raises one
        `A total of N objects could not be loaded` (`_raise_loading_failure`);
        earlier Keras 3 and TF-Keras raise the first error."""
        return self.keras3 and self.at_least(3, 0, 2)

    @property
    def rewalks_layers(self) -> bool:
        """Keras >= 3.0.3 yields a model's `layers` first and meets it again in its
        `dir()` walk, so a layer that failed is tried a second time at the same path."""
        return self.keras3 and self.at_least(3, 0, 3)

    @property
    def retries_by_depth(self) -> bool:
        """Keras >= 3.15 retries a Functional model's failed layers under
        `_operations_by_depth/container[_k]/...`, groups no file has."""
        return self.keras3 and self.at_least(3, 15)

    @property
    def keeps_first_error_on_retry(self) -> bool:
        """3.15.1 keeps the original error through that retry and warns instead
        (3.15.0 reports the retry's "received 0")."""
        return self.keras3 and self.at_least(3, 15, 1)

    @property
    def checks_legacy_shapes(self) -> bool:
        """Keras >= 3.6 checks each legacy HDF5 weight's shape before assigning it
        (`legacy_h5_format._set_weights`); earlier ones leave it to the variable."""
        return self.keras3 and self.at_least(3, 6)

    @property
    def by_name_top_level_bug(self) -> bool:
        """Keras 3.0 to 3.7 compare a file's `top_level_model_weights` with all of the
        model's weights when loading by name (fixed in 3.8, commit 1412598cfb)."""
        return self.keras3 and not self.at_least(3, 8)


LATEST_KERAS_3 = Generation(Line.KERAS_3, (3, 15, 1))
LATEST_TF_KERAS = Generation(Line.TF_KERAS, (2, 21, 0))


def parse_version(text: object) -> tuple[int, int, int] | None:
    """`3.15.1` -> (3, 15, 1); `2.2.4-tf` -> (2, 2, 4); None when no version is there."""
    if not isinstance(text, str):
        return None
    match = _VERSION.match(text.strip())
    if match is None:
        return None
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def generation_of(text: object) -> Generation | None:
    """The generation that wrote a file stating `keras_version` `text`."""
    version = parse_version(text)
    if version is None:
        return None
    if version[0] >= 3:
        return Generation(Line.KERAS_3, version)
    if version[0] == 1 or version[0] == 0:
        return Generation(Line.KERAS_1, version)
    if (isinstance(text, str) and text.strip().endswith("-tf")) or version >= (2, 4, 0):
        return Generation(Line.TF_KERAS, version)
    return Generation(Line.KERAS_2, version)


# The formats of Keras 3's saving layout (and Orbax), which no TF-Keras loader reads.
KERAS3_FORMATS = frozenset(
    {Format.KERAS, Format.KERAS_FOLDER, Format.KERAS_WEIGHTS, Format.KERAS_HUB, Format.ORBAX}
)


def report_loader(report: ModelReport) -> Generation:
    """The Keras whose loader `--load` uses for the file a report was read from (a
    config naming its classes' modules is Keras 3's)."""
    keras3_config = report.format is Format.JSON and isinstance(report.root.module, str)
    return loading_generation(report.keras_version, report.format in KERAS3_FORMATS or keras3_config)


def loading_generation(keras_version: object, keras3_format: bool) -> Generation:
    """The Keras whose loader `--load` uses for a file: today's Keras 3 for a file
    Keras 3 wrote (or a `.keras` format only Keras 3 reads), today's TF-Keras for
    any other (`live/loader.py`)."""
    written = generation_of(keras_version)
    if keras3_format or (written is not None and written.keras3):
        return LATEST_KERAS_3
    return LATEST_TF_KERAS
