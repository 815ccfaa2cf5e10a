"""The words every part of kerascope uses for the same things, defined once.

Each is a `str` enum: a member compares equal to its JSON value (`Role.INPUT ==
"input"`), prints as it, and is written to JSON as it, so the report format is
plain strings while the code names every value through one place.
"""

from __future__ import annotations

from enum import Enum, unique


class Vocabulary(str, Enum):
    """A word with a fixed JSON spelling."""

    def __str__(self) -> str:
        return str(self.value)


@unique
class Role(Vocabulary):
    """Where a layer sits: `sublayer` is tracked inside a layer but listed in no
    model's `layers` (the layers a `get_config()` hides); `op` is a Keras 3
    operation a functional graph calls (`x + y` is `keras.src.ops.numpy.Add`,
    `x[..., 0]` a `GetItem`): its config lists it beside the layers, but it is no
    layer (no weights, not in `model.layers`)."""

    INPUT = "input"
    LAYER = "layer"
    MODEL = "model"
    SUBLAYER = "sublayer"
    OP = "op"


@unique
class Fact(Vocabulary):
    """The kinds of fact a report holds about a layer, each with its own origin."""

    STRUCTURE = "structure"
    NAME = "name"
    CLASS = "class"
    CONFIG = "config"
    SHAPES = "shapes"
    WEIGHTS = "weights"
    WEIGHT_NAMES = "weight_names"
    INBOUND = "inbound"
    COST = "cost"


@unique
class Origin(Vocabulary):
    """Where a fact came from: the live object, the stored config, the stored
    weights, derived by kerascope from those (never a guess: derived facts
    follow Keras's own rules), or the file's own name (a model's name, where
    the file stores none)."""

    LIVE = "live"
    CONFIG = "config"
    WEIGHTS = "weights"
    DERIVED = "derived"
    FILE_NAME = "file-name"


@unique
class Format(Vocabulary):
    """What a report was read from."""

    LIVE = "live"
    KERAS = "keras"
    KERAS_FOLDER = "keras-folder"
    KERAS_WEIGHTS = "keras-weights"
    KERAS_HUB = "keras-hub-preset"
    TRANSFORMERS = "transformers-config"
    TIMM = "timm-config"
    H5 = "h5"
    H5_WEIGHTS = "h5-weights"
    SAVEDMODEL = "savedmodel"
    SAVEDMODEL_EXPORT = "savedmodel-export"
    JSON = "json"
    TFJS = "tfjs"
    ORBAX = "orbax-checkpoint"

    @property
    def shows_every_sublayer(self) -> bool:
        """Whether the source shows every tracked sublayer. Legacy HDF5 and
        TensorFlow.js reveal only sublayers whose weights are named by scope; a
        JSON architecture none. An absence there says nothing."""
        return self in _SHOWS_EVERY_SUBLAYER


_SHOWS_EVERY_SUBLAYER = frozenset(
    {
        Format.LIVE,
        Format.KERAS,
        Format.KERAS_FOLDER,
        Format.KERAS_WEIGHTS,
        Format.KERAS_HUB,
        Format.SAVEDMODEL,
    }
)


@unique
class Severity(Vocabulary):
    """How bad a finding is; ordered, so that `check --fail-on` can compare."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


@unique
class LoadStatus(Vocabulary):
    """What happens to one layer when weights meet an architecture."""

    MATCHED = "matched"  # every variable receives its value from the layer's own weights
    MISSING = "missing"  # Keras loads nothing into it, and finds nothing wrong with it
    PARTIAL = "partial"  # some of its variables receive a value, some keep their own
    COUNT_MISMATCH = "count_mismatch"  # its weights are of another number than its variables
    SHAPE_MISMATCH = "shape_mismatch"  # a weight of another shape than its variable
    MISPLACED = "misplaced"  # it receives weights saved from another of the model's layers
    UNKNOWN = "unknown"  # a class whose variables kerascope's rules do not know


@unique
class Code(Vocabulary):
    """Stable finding codes: what `check` and the readers report. Each code's
    severity and fix are in `model/findings.py`'s table."""

    # Unsafe content, found statically.
    LAMBDA_BYTECODE = "LAMBDA_BYTECODE"
    LAMBDA_FUNCTION_NAME = "LAMBDA_FUNCTION_NAME"
    FOREIGN_CALLABLE = "FOREIGN_CALLABLE"
    FOREIGN_MODULE = "FOREIGN_MODULE"
    CUSTOM_CLASS = "CUSTOM_CLASS"
    KERAS_GADGET = "KERAS_GADGET"
    SAFE_MODE_OFF = "SAFE_MODE_OFF"
    EXTERNAL_SAVEDMODEL = "EXTERNAL_SAVEDMODEL"
    VOCABULARY_FILE = "VOCABULARY_FILE"
    PICKLED_TORCH_MODULE = "PICKLED_TORCH_MODULE"
    PICKLED_WEIGHTS = "PICKLED_WEIGHTS"
    PICKLED_ARRAYS = "PICKLED_ARRAYS"
    SUSPICIOUS_LAYER_NAME = "SUSPICIOUS_LAYER_NAME"
    SAVEDMODEL_UNSAFE_OP = "SAVEDMODEL_UNSAFE_OP"
    SAVEDMODEL_FILE_OP = "SAVEDMODEL_FILE_OP"
    POLYGLOT = "POLYGLOT"
    # What a reader noticed in the file's structure.
    ZIP_DUPLICATE_MEMBER = "ZIP_DUPLICATE_MEMBER"
    H5_EXTERNAL_LINK = "H5_EXTERNAL_LINK"
    H5_SOFT_LINK = "H5_SOFT_LINK"
    H5_LINK_NOT_FOLLOWED = "H5_LINK_NOT_FOLLOWED"
    H5_REPEATED_OBJECT = "H5_REPEATED_OBJECT"
    H5_VIRTUAL_DATASET = "H5_VIRTUAL_DATASET"
    H5_EXTERNAL_STORAGE = "H5_EXTERNAL_STORAGE"
    H5_DATASET_SIZE_MISMATCH = "H5_DATASET_SIZE_MISMATCH"
    WEIGHTS_SHARD_MISSING = "WEIGHTS_SHARD_MISSING"
    WEIGHTS_MISSING = "WEIGHTS_MISSING"
    PARAMETER_COUNT_MISMATCH = "PARAMETER_COUNT_MISMATCH"
    FILE_REPAIRED = "FILE_REPAIRED"
    WEIGHTS_MISMATCH = "WEIGHTS_MISMATCH"
    WEIGHTS_UNPLACED = "WEIGHTS_UNPLACED"
    TENSOR_SIZE_MISMATCH = "TENSOR_SIZE_MISMATCH"
    PATH_OUTSIDE_MODEL = "PATH_OUTSIDE_MODEL"
    # Round trips, found by running the layers' own code.
    GET_CONFIG_RAISES = "GET_CONFIG_RAISES"
    MISSING_GET_CONFIG = "MISSING_GET_CONFIG"
    CONFIG_OMITS_ARGUMENTS = "CONFIG_OMITS_ARGUMENTS"
    FROM_CONFIG_RAISES = "FROM_CONFIG_RAISES"
    ROUND_TRIP_DIFFERS = "ROUND_TRIP_DIFFERS"
    CONFIG_NOT_JSON = "CONFIG_NOT_JSON"
    UNREGISTERED_CLASS = "UNREGISTERED_CLASS"
    # Shapes: a layer's rule and the file disagree, or a file's number is beyond reason.
    SHAPE_MISMATCH = "SHAPE_MISMATCH"
    SHAPE_OUT_OF_RANGE = "SHAPE_OUT_OF_RANGE"
    # Weight values, read when asked for (`--values`): the health of each tensor.
    NAN_WEIGHTS = "NAN_WEIGHTS"
    INF_WEIGHTS = "INF_WEIGHTS"
    ZERO_WEIGHTS = "ZERO_WEIGHTS"
    CONSTANT_WEIGHTS = "CONSTANT_WEIGHTS"
    WEIGHT_SCALE_OUTLIER = "WEIGHT_SCALE_OUTLIER"
    VALUES_UNAVAILABLE = "VALUES_UNAVAILABLE"
    # A stage of the pipeline failed on one layer; the report went on without it.
    STAGE_FAILED = "STAGE_FAILED"
    CHECK_FAILED = "CHECK_FAILED"


@unique
class Stage(Vocabulary):
    """The stages of the pipeline that work layer by layer after the read, in order
    (`kerascope/pipeline.py`): each fills one kind of fact, or finds findings."""

    SHAPES = "shapes"
    WEIGHT_NAMES = "weight names"
    COSTS = "costs"
    CHECKS = "checks"


@unique
class DiffStatus(Vocabulary):
    """What happened to a layer between two models in a diff."""

    CHANGED = "changed"
    ADDED = "added"
    REMOVED = "removed"


@unique
class Kind(Vocabulary):
    """What a built-in layer does, in the words a view colours it by; each of
    Keras's own classes has one (`kerascope.families`), a custom class none."""

    INPUT = "input"
    MODEL = "model"
    DENSE = "dense"
    EMBEDDING = "embedding"
    CONVOLUTION = "convolution"
    POOLING = "pooling"
    NORMALIZATION = "normalization"
    ACTIVATION = "activation"
    ATTENTION = "attention"
    RECURRENT = "recurrent"
    WRAPPER = "wrapper"
    MERGE = "merge"
    RESHAPE = "reshape"
    REGULARIZATION = "regularization"
    PREPROCESSING = "preprocessing"
    OP = "op"
    LAMBDA = "lambda"
    UTILITY = "utility"
