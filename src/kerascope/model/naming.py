"""Names Keras gives: the snake case of a class name, and the names it generates.

One `to_snake_case`, the rule Keras itself uses for weight-group names in a
`.keras` file (`layers/conv2d_transpose_1/vars`) and for the names it gives
layers created without one (`conv2d_transpose`, `conv2d_transpose_1`), shared by
the weights reader and by `diff`.
"""

from __future__ import annotations

import re

_NOT_WORD = re.compile(r"\W+")
_BEFORE_WORD = re.compile("(.)([A-Z][a-z]+)")
_LOWER_UPPER = re.compile("([a-z])([A-Z])")
_NUMBERED = re.compile(r"_\d+$")

# The names Keras gives inputs and models, which are not the snake case of their class.
_GENERATED_NAMES = {
    "InputLayer": {"input", "input_layer"},
    "Functional": {"functional", "model"},
    "Model": {"model", "functional"},
}


def to_snake_case(name: str) -> str:
    """`Conv2DTranspose` -> `conv2d_transpose`, as `keras.src.utils.naming` does it."""
    name = _NOT_WORD.sub("", name)
    name = _BEFORE_WORD.sub(r"\1_\2", name)
    return _LOWER_UPPER.sub(r"\1_\2", name).lower()


def is_generated_name(name: str, *class_names: str | None) -> bool:
    """Whether `name` is one Keras generates for a layer of one of `class_names`:
    the snake-cased class, optionally numbered (`dense`, `dense_7`, `input_1`)."""
    base = _NUMBERED.sub("", name)
    for class_name in class_names:
        if not class_name:
            continue
        if base in {to_snake_case(class_name), class_name.lower()} | _GENERATED_NAMES.get(class_name, set()):
            return True
        if class_name == "InputLayer" and base.endswith("_input"):  # Keras 2: `{first layer}_input`
            return True
    return False
