"""Keras's regularization layers (`keras/src/layers/regularization/`): dropout and
noise, which do nothing in inference; each outputs its input's shape."""

from __future__ import annotations

from kerascope.families.knowledge import LayerKnowledge
from kerascope.families.registry import register
from kerascope.families.rules import free, same_shape
from kerascope.model.vocabulary import Kind

register(
    *(
        LayerKnowledge(name, Kind.REGULARIZATION, same_shape, free)
        for name in (
            "Dropout",
            "SpatialDropout1D",
            "SpatialDropout2D",
            "SpatialDropout3D",
            "GaussianDropout",
            "GaussianNoise",
            "AlphaDropout",
            "ActivityRegularization",
        )
    )
)
