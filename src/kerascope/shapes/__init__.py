"""Shapes, weight names, FLOPs and memory, derived from a report without loading
anything: Keras's own shape rules for every built-in layer, carried through the
report's graphs; the names Keras gives each built-in layer's weights; and the
cost of one forward pass as TensorFlow's profiler counts it (see `cost`).

`annotate(report)` fills those columns in place. It reads only the report.
"""

from __future__ import annotations

from kerascope.shapes import rules_conv, rules_core, rules_preprocessing, rules_sequence
from kerascope.shapes.annotate import annotate, input_names

__all__ = ["annotate", "input_names"]
del rules_conv, rules_core, rules_preprocessing, rules_sequence
