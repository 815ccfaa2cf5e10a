"""Shapes, weight names, FLOPs and memory, derived from a report without loading
anything: each built-in layer's rules (`kerascope.families`) carried through the
report's graphs (`graph`), the variables each built-in layer holds and the names
Keras gives them (`variables`), and the cost of one forward pass as TensorFlow's profiler
counts it, added up (`cost`).

`annotate(report)` fills those columns in place. It reads only the report.
"""

from __future__ import annotations

from kerascope.shapes.annotate import annotate, input_names
from kerascope.shapes.variables import expected_variables

__all__ = ["annotate", "expected_variables", "input_names"]
