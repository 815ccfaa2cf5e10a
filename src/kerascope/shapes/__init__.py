"""Shapes, weight names, FLOPs and memory, derived from a report without loading
anything: each built-in layer's rules (`kerascope.families`) carried through the
report's graphs (`graph`), the names Keras gives each built-in layer's weights
(`weight_names`), and the cost of one forward pass as TensorFlow's profiler
counts it, added up (`cost`).

`annotate(report)` fills those columns in place. It reads only the report.
"""

from __future__ import annotations

from kerascope.shapes.annotate import annotate, input_names

__all__ = ["annotate", "input_names"]
