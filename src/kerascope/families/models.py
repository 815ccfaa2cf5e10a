"""Keras's model classes (`keras/src/models/`): a model holds layers of its own,
which the shape engine walks; kerascope has no rule for a model as one layer."""

from __future__ import annotations

from kerascope.families.knowledge import LayerKnowledge
from kerascope.families.registry import register
from kerascope.model.vocabulary import Kind

register(
    # Keras 1 and TF-Keras before 2.4 serialized a functional model as `Model`.
    LayerKnowledge("Functional", Kind.MODEL, older_names=("Model",), generated_names=("functional", "model")),
    LayerKnowledge("Sequential", Kind.MODEL),
)
