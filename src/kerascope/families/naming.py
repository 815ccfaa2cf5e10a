"""The names Keras generates for a layer created without one: the snake case of
its class, numbered (`dense`, `dense_7`), or a name its class gives instead
(`LayerKnowledge.generated_names`: an InputLayer's `input_1`, a Functional's
`model_2`)."""

from __future__ import annotations

import re

from kerascope.families.registry import known_class
from kerascope.model.naming import to_snake_case
from kerascope.model.vocabulary import Kind

_NUMBERED = re.compile(r"_\d+$")


def is_generated_name(name: str, *class_names: str | None) -> bool:
    """Whether `name` is one Keras generates for a layer of one of `class_names`:
    the snake-cased class, optionally numbered (`dense`, `dense_7`, `input_1`)."""
    base = _NUMBERED.sub("", name)
    for class_name in class_names:
        if not class_name:
            continue
        own = known_class(class_name)
        generated = set(own.generated_names) if own is not None else set()
        if base in {to_snake_case(class_name), class_name.lower()} | generated:
            return True
        if (
            own is not None and own.kind is Kind.INPUT and base.endswith("_input")
        ):  # Keras 2: `{first layer}_input`
            return True
    return False
