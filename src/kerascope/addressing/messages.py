"""What Keras says when weights do not fit, in its own words, by generation.

Each text is the format string of the Keras source cited beside it, filled with
what a static read knows; where Keras prints a value kerascope does not read (a
variable's numbers in its repr), the text has `…` there.
"""

from __future__ import annotations

from collections.abc import Sequence

from kerascope.addressing.generations import Generation, Line

Shape = Sequence[int | None]


def shape_text(shape: Shape | None) -> str:
    """A shape as Python prints a tuple: `(3, 5)`, `(5,)`, `()`."""
    if shape is None:
        return "?"
    dims = [str(d) for d in shape]
    return f"({dims[0]},)" if len(dims) == 1 else f"({', '.join(dims)})"


# -- saving_lib (`.keras`, `.weights.h5`) ------------------------------------------------
def variable_count(layer: str, expected: Sequence[str], received: int) -> str:
    """`Layer._check_load_own_variables` (Keras 3 `layer.py` v3.15.1 L1448-1480, the
    same text since 3.0.0; TF-Keras `base_layer.py` v2.21.0 L3633-3653)."""
    return (
        f"Layer '{layer}' expected {len(expected)} variables, but received {received} variables "
        f"during loading. Expected: {list(expected)!r}"
    )


def assign_shape(loader: Generation, path: str, expected: Shape, received: Shape, dtype: str) -> str:
    """A variable given a value of another shape: Keras 3's `Variable.assign`
    (`backend/common/variables.py` v3.15.1 L282-292; its repr changed in 3.7), or
    TensorFlow's own error under TF-Keras."""
    if loader.keras3:
        if loader.at_least(3, 7):
            target = f"<Variable path={path}, shape={shape_text(expected)}, dtype={dtype}, value=…>"
        else:
            target = f"<KerasVariable shape={shape_text(expected)}, dtype={dtype}, path={path}>"
        return (
            "The shape of the target variable and the shape of the target value in "
            f"`variable.assign(value)` must match. variable.shape={shape_text(expected)}, "
            f"Received: value.shape={shape_text(received)}. Target variable: {target}"
        )
    return (
        f"Cannot assign value to variable ' {path}:0': Shape mismatch.The variable shape "
        f"{shape_text(expected)}, and the assigned value shape {shape_text(received)} are incompatible."
    )


def objects_not_loaded(failures: Sequence[tuple[str, str]]) -> str:
    """`_raise_loading_failure` (Keras 3 `saving_lib.py` v3.15.1 L698-712, since
    3.0.2): `failures` are (object repr, its last error), in the order they first failed."""
    first, error = failures[0]
    listed = "[" + ", ".join(repr_ for repr_, _ in failures) + "]"
    return (
        f"A total of {len(failures)} objects could not be loaded. Example error message for "
        f"object {first}:\n\n{error}\n\nList of objects that could not be loaded:\n{listed}"
    )


def layer_repr(class_name: str, name: str) -> str:
    """Keras 3's `Layer.__repr__` of a built layer (`layer.py` v3.15.1 L1616-1619)."""
    return f"<{class_name} name={name}, built=True>"


# Where TF-Keras defines the classes a `repr` names (`tf_keras/src/layers/...`).
_TF_KERAS_MODULES = {
    "Dense": "core.dense",
    "EinsumDense": "core.einsum_dense",
    "Embedding": "core.embedding",
    "BatchNormalization": "normalization.batch_normalization",
    "LayerNormalization": "normalization.layer_normalization",
    "Conv1D": "convolutional.conv1d",
    "Conv2D": "convolutional.conv2d",
    "Conv3D": "convolutional.conv3d",
    "LSTMCell": "rnn.lstm",
    "GRUCell": "rnn.gru",
    "SimpleRNNCell": "rnn.simple_rnn",
}


def object_skipped(class_name: str, error: str) -> str:
    """TF-Keras's warning for an object `skip_mismatch` skips (`saving_lib.py` v2.21.0
    `_load_state`): its `repr` is Python's, with the object's address."""
    module = _TF_KERAS_MODULES.get(class_name, class_name.lower())
    return (
        f"Could not load weights in object <tf_keras.src.layers.{module}.{class_name} object at 0x…>. "
        f"Skipping object. Exception encountered: {error}"
    )


def skipped_container(path: str) -> str:
    """Keras 3.15.1's warning when it retries the objects of a nested container the file
    lacks (a Functional model's `_operations_by_depth/container`: `saving_lib.py`
    v3.15.1 L1060-1071)."""
    return (
        f"Skipping nested container at '{path}': no matching group found in the "
        "saved file. This usually means the file was saved with a Keras version that did not serialize "
        "sublayers nested inside containers. Affected layers will retain their freshly-initialized weights."
    )


def optimizer_skipped(name: str, expected: int, saved: int) -> str:
    """`BaseOptimizer.load_own_variables` (Keras 3 `base_optimizer.py` v3.15.1 L759-775)."""
    text = (
        f"Skipping variable loading for optimizer '{name}', because it has {expected} variables whereas "
        f"the saved optimizer has {saved} variables. "
    )
    return text + (
        "This is likely because the optimizer has not been called/built yet." if not expected else ""
    )


# -- legacy HDF5 -----------------------------------------------------------------------
def layer_count(loader: Generation, expected: int, saved: int) -> str:
    """`load_weights_from_hdf5_group`: tf.keras >= 2.7, TF-Keras and Keras 3
    (`legacy_h5_format.py` v3.15.1 L360-366); multi-backend Keras 2 said it another way."""
    if loader.line in (Line.KERAS_1, Line.KERAS_2):
        return (
            f"You are trying to load a weight file containing {saved} layers into a model with "
            f"{expected} layers."
        )
    return (
        f"Layer count mismatch when loading weights from file. Model expected {expected} layers, "
        f"found {saved} saved layers."
    )


def weight_count(
    loader: Generation, index: int, layer: str, saved_name: str | None, expected: int, saved: int
) -> str:
    """A layer's group with another number of weights: topological
    (`saved_name` given) or by name (tf_keras `hdf5_format.py` v2.21.0 L837-842,
    L925-930; Keras 3 `legacy_h5_format.py` v3.15.1 L385-391, L520-526)."""
    if saved_name is not None:
        named = f"named {layer} in the current model, {saved_name} in the save file"
    else:
        named = f"named {layer}"
    return (
        f"Weight count mismatch for layer #{index} ({named}). Layer expects {expected} weight(s). "
        f"Received {saved} saved weight(s)"
    )


def legacy_shape(
    loader: Generation,
    index: int,
    layer: str,
    variable: str,
    expected: Shape,
    saved: Shape,
    by_name: bool,
    skipping: bool = False,
) -> str:
    """A weight of another shape: Keras >= 3.6 checks it itself (`_set_weights`, with no
    space before "for"/"due"); by name, TF-Keras and earlier Keras 3 check it too
    (tf_keras `hdf5_format.py` v2.21.0 L937-952); otherwise the variable's own
    assignment fails. `skipping`: the warning `skip_mismatch` gives instead."""
    shapes = (
        f"Weight expects shape {shape_text(expected)}. Received saved weight with shape {shape_text(saved)}"
    )
    space = "" if loader.checks_legacy_shapes else " "
    if skipping:
        return (
            f"Skipping loading weights for layer #{index} (named {layer}){space}due to mismatch in shape for "
            f"weight {variable}. {shapes}"
        )
    if loader.checks_legacy_shapes or by_name:
        return f"Shape mismatch in layer #{index} (named {layer}){space}for weight {variable}. {shapes}"
    return assign_shape(loader, variable, expected, saved, "float32")


def skipped_count(index: int, layer: str, expected: int, saved: int) -> str:
    """The warning `skip_mismatch` gives for a group with another number of weights
    (by name: tf_keras `hdf5_format.py` v2.21.0 L915-920; Keras 3 the same)."""
    return (
        f"Skipping loading of weights for layer #{index} (named {layer}) due to mismatch in number of "
        f"weights. Layer expects {expected} weight(s). Received {saved} saved weight(s)"
    )


def top_level_count(expected: int, saved: int, by_name: bool) -> str:
    """The model's own variables (`top_level_model_weights`, tf.keras >= 2.7, Keras 3)."""
    if by_name:
        return (
            f"Weight count mismatch for top-level weights of model. Model expects {expected} top-level "
            f"weight(s). Received {saved} saved top-level weight(s)"
        )
    return (
        "Weight count mismatch for top-level weights when loading weights from file. Model expects "
        f"{expected} top-level weight(s). Received {saved} saved top-level weight(s)"
    )


def not_compiled() -> str:
    """The legacy `load_model`'s warning for a file without a training config
    (Keras 3 `legacy_h5_format.py` v3.15.1 `load_model_from_hdf5`; TF-Keras the same)."""
    return "No training configuration found in the save file, so the model was *not* compiled. Compile it manually."


def undeserializable(config: dict) -> str | None:
    """Why Keras 3 cannot make a model of `config` (`serialization_lib._retrieve_class_or_fn`
    v3.15.1 L815-905): its class's module is another library's (TF-Keras's
    `tf_keras.src.engine.functional`), or a Keras module that no longer exists
    (tf.keras 2.13's `keras.src.engine.functional`)."""
    module, name = config.get("module"), config.get("class_name")
    if not isinstance(module, str) or not isinstance(name, str):
        return None
    if module.startswith("keras.src.engine") or module.startswith("keras.engine"):
        return (
            f"Could not deserialize class '{name}' because its parent module {module} cannot be imported. "
            f"Full object config: {config}"
        )
    if module.split(".")[0] not in ("keras", "keras_hub", "keras_cv", "keras_nlp"):
        return (
            f"Could not locate class '{name}'. Make sure custom classes and functions are decorated with "
            "`@keras.saving.register_keras_serializable()`. If they are already decorated, make sure they are "
            f"all imported so that the decorator is run before trying to load them. Full object config: {config}"
        )
    return None
