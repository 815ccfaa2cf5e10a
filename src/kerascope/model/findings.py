"""What each finding code means, in one table: how bad it is and what to do about it.

A finding is raised by naming its code and the facts of the case (where, and a
message built from what the file holds); its severity and its fix come from here
and nowhere else, so one code is never an error in one reader and a warning in
another, and `SECURITY.md`'s lists can be checked against this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from kerascope.model.records import Finding
from kerascope.model.vocabulary import Code, Severity

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


@dataclass(frozen=True)
class Meaning:
    severity: Severity
    fix: str


MEANINGS: dict[Code, Meaning] = {
    # -- unsafe content, found statically -------------------------------------------------
    Code.LAMBDA_BYTECODE: Meaning(
        ERROR, "rebuild the layer from code you trust, or load with safe_mode=True (it refuses)"
    ),
    Code.LAMBDA_FUNCTION_NAME: Meaning(
        WARNING, "loading resolves this name from custom objects: make sure it is the function you expect"
    ),
    Code.FOREIGN_CALLABLE: Meaning(
        ERROR, "do not load this file; if you wrote it, register the function with Keras instead"
    ),
    Code.FOREIGN_MODULE: Meaning(WARNING, "load only with that package's code reviewed and installed"),
    Code.CUSTOM_CLASS: Meaning(
        WARNING, "loading needs that code, registered under this name (custom_objects)"
    ),
    Code.KERAS_GADGET: Meaning(
        ERROR, "a model has no reason to download, load or touch files while loading: do not load it"
    ),
    Code.SAFE_MODE_OFF: Meaning(
        ERROR, "a model that turns off safe mode while loading is an attack pattern: do not load it"
    ),
    Code.EXTERNAL_SAVEDMODEL: Meaning(
        ERROR, "loading runs that SavedModel's graph; do not load unless you trust its location"
    ),
    Code.VOCABULARY_FILE: Meaning(
        ERROR, "loading reads a file outside the model; ship the vocabulary inside the model"
    ),
    Code.PICKLED_TORCH_MODULE: Meaning(
        ERROR, "loading unpickles it, which can run any code: load only from a trusted source"
    ),
    Code.PICKLED_WEIGHTS: Meaning(
        ERROR,
        "unpickling them imports more than numpy, Keras and TensorFlow or JAX rebuild arrays and variables "
        "with, and runs what they name: do not unpickle this file unless you trust its source; re-save the "
        "weights as .weights.h5",
    ),
    Code.PICKLED_ARRAYS: Meaning(
        WARNING,
        "unpickling them imports only what numpy, Keras and TensorFlow or JAX rebuild arrays and variables "
        "with (as Keras's own npz weights do); re-save the weights as .weights.h5 for loaders that refuse "
        "pickles",
    ),
    Code.SUSPICIOUS_LAYER_NAME: Meaning(
        WARNING, "names like this can escape paths in tools that write per-layer files"
    ),
    Code.SAVEDMODEL_UNSAFE_OP: Meaning(
        ERROR, "do not serve or call this SavedModel unless you trust its source"
    ),
    Code.SAVEDMODEL_FILE_OP: Meaning(
        WARNING, "check that the path it names is one the model ships (assets/) before serving it"
    ),
    Code.POLYGLOT: Meaning(
        ERROR,
        "a file two loaders read differently is a way to show one model and load another: do not load it; "
        "re-save the model in one format",
    ),
    # -- what a reader noticed in the file's structure ------------------------------------
    Code.ZIP_DUPLICATE_MEMBER: Meaning(ERROR, "do not load this file"),
    Code.H5_EXTERNAL_LINK: Meaning(ERROR, "do not load this file"),
    Code.H5_SOFT_LINK: Meaning(ERROR, "do not load this file"),
    Code.H5_LINK_NOT_FOLLOWED: Meaning(ERROR, "do not load this file"),
    Code.H5_REPEATED_OBJECT: Meaning(ERROR, "do not load this file"),
    Code.H5_VIRTUAL_DATASET: Meaning(ERROR, "do not load this file"),
    Code.H5_EXTERNAL_STORAGE: Meaning(ERROR, "do not load this file"),
    Code.H5_DATASET_SIZE_MISMATCH: Meaning(ERROR, "do not load this file"),
    Code.WEIGHTS_SHARD_MISSING: Meaning(
        ERROR, "copy every shard the index names next to it; Keras cannot load the weights without them"
    ),
    Code.WEIGHTS_MISSING: Meaning(
        WARNING,
        "copy the weights file saved with the model beside its config: without it a loader builds the model "
        "with fresh weights at best (KerasHub's from_preset(load_weights=False)) and fails otherwise",
    ),
    Code.PARAMETER_COUNT_MISMATCH: Meaning(
        WARNING, "the metadata and the weights were not saved together: the weights are what a load gets"
    ),
    Code.FILE_REPAIRED: Meaning(
        WARNING,
        "restore the file as binary (in git: a `*.pb binary` line in .gitattributes) before loading it",
    ),
    Code.WEIGHTS_MISMATCH: Meaning(
        ERROR,
        "the weights were saved from another model, or the file is damaged: Keras cannot load them into "
        "this config either",
    ),
    Code.WEIGHTS_UNPLACED: Meaning(
        WARNING, "the variable is counted once, at the root: which layer owns it is not recorded"
    ),
    Code.TENSOR_SIZE_MISMATCH: Meaning(ERROR, "the file is damaged or was not written by safetensors"),
    Code.PATH_OUTSIDE_MODEL: Meaning(
        ERROR, "the model names a file outside its own folder: do not load it; nothing outside was read"
    ),
    # -- round trips, found by running the layers' own code -------------------------------
    Code.GET_CONFIG_RAISES: Meaning(
        ERROR, "fix get_config() so it returns only plain values and serialized Keras objects"
    ),
    Code.MISSING_GET_CONFIG: Meaning(ERROR, "define get_config() returning every constructor argument"),
    Code.CONFIG_OMITS_ARGUMENTS: Meaning(WARNING, "return every constructor argument from get_config()"),
    Code.FROM_CONFIG_RAISES: Meaning(ERROR, "make from_config accept exactly what get_config returns"),
    Code.ROUND_TRIP_DIFFERS: Meaning(ERROR, "make __init__ store every argument as get_config() returns it"),
    Code.CONFIG_NOT_JSON: Meaning(
        ERROR, "return plain values, or serialize objects with keras.saving.serialize_keras_object"
    ),
    Code.UNREGISTERED_CLASS: Meaning(
        WARNING, "decorate it with @keras.saving.register_keras_serializable() so other processes can load it"
    ),
    # -- shapes ---------------------------------------------------------------------------
    Code.SHAPE_MISMATCH: Meaning(
        WARNING,
        "the config may have been edited after saving, or the file was written by a Keras with another rule",
    ),
    Code.SHAPE_OUT_OF_RANGE: Meaning(
        WARNING, "no real model has such a size; the file may be corrupt or crafted"
    ),
    # -- weight values, read when asked for (`--values`) ----------------------------------
    Code.NAN_WEIGHTS: Meaning(
        ERROR,
        "every output this weight touches is NaN: training diverged or the file was damaged; restore an "
        "earlier checkpoint, or retrain with a lower learning rate or clipped gradients",
    ),
    Code.INF_WEIGHTS: Meaning(
        ERROR,
        "an infinite weight makes the layer's outputs infinite or NaN: training overflowed or the file was "
        "damaged; restore an earlier checkpoint, or retrain (in float32 if it was float16)",
    ),
    Code.ZERO_WEIGHTS: Meaning(
        WARNING,
        "Keras never initializes this weight to zeros: it was reset, masked, or lost in a load or "
        "conversion; restore it from an earlier checkpoint or retrain the layer",
    ),
    Code.CONSTANT_WEIGHTS: Meaning(
        WARNING,
        "Keras draws this weight at random, so one value everywhere means it was overwritten or never "
        "left a symmetric start: every unit computes the same thing; restore it or retrain the layer",
    ),
    Code.WEIGHT_SCALE_OUTLIER: Meaning(
        WARNING,
        "a weight a hundred times larger or smaller than its peers marks divergence, a wrong rescaling or "
        "weights from another model: compare with an earlier checkpoint (kerascope diff --values)",
    ),
    Code.VALUES_UNAVAILABLE: Meaning(
        WARNING,
        "these values were not read, so their health is unknown: re-save the weights as Keras 3 "
        "weights (model.save_weights('m.weights.h5')) to have them checked",
    ),
    # -- a stage of the pipeline that failed on one layer ---------------------------------
    Code.STAGE_FAILED: Meaning(
        WARNING,
        "a bug in kerascope, not in the file: the rest of the report stands; please report it with the "
        "output of `kerascope --debug`",
    ),
    Code.CHECK_FAILED: Meaning(
        ERROR,
        "a layer that could not be checked is not known to be safe: do not load the file until it is; "
        "please report it with the output of `kerascope --debug`",
    ),
}


# What reading the weights' values finds (`--values`): the views list these under the layers.
VALUE_CODES = frozenset({
    Code.NAN_WEIGHTS, Code.INF_WEIGHTS, Code.ZERO_WEIGHTS, Code.CONSTANT_WEIGHTS,
    Code.WEIGHT_SCALE_OUTLIER, Code.VALUES_UNAVAILABLE,
})  # fmt: skip


def finding(code: Code, path: str | None, message: str, subject: str | None = None) -> Finding:
    """A finding of `code` at `path` (None: the file as a whole), saying `message`,
    about `subject` where it names one; its severity and fix are the code's own."""
    meaning = MEANINGS[code]
    return Finding(code, meaning.severity, path, message, meaning.fix, subject)


def severity_of(code: Code) -> Severity:
    return MEANINGS[code].severity
