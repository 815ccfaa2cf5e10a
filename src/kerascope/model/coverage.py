"""What a total of a per-layer figure covers: FLOPs, MACs or activation memory summed
over the layers that are priced, and the layers that are not.

A model's own figure is the sum of its layers' and is unknown as soon as one layer
is (`shapes/cost.py`): one `Resizing` without a rule would hide the FLOPs of a
whole CNN. The sum over what is known is still a true lower bound, and the layers
left out say how far off it may be. Each priced layer is counted once, at the
outermost level its figure is known (a model's figure already holds its layers').
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kerascope.model.records import ModelReport


@dataclass(frozen=True)
class Coverage:
    """`at_least`: the figure summed over the outermost layers that have one (the
    root's own figure where it is known); `priced`: how many layers, at every depth,
    have the figure; `unpriced`: the paths of the outermost layers that have none and
    hold nothing that has one; `estimated`: whether a summed figure is an estimate."""

    at_least: int
    priced: int
    unpriced: list[str]
    estimated: bool

    @property
    def complete(self) -> bool:
        return not self.unpriced


def coverage(report: ModelReport, figure: str) -> Coverage:
    """How much of the model `figure` (`flops`, `macs`, `activation_bytes`) covers."""
    known_inside: dict[str, bool] = {}
    for node in reversed(report.nodes):
        known_inside[node.path] = getattr(node, figure) is not None or any(
            known_inside[child] for child in node.children
        )
    total, unpriced, estimated = 0, [], False
    stack = [report.root]
    while stack:
        node = stack.pop()
        value = getattr(node, figure)
        if value is not None:
            total += value
            estimated = estimated or figure in node.estimated
        elif node.children and known_inside[node.path]:
            stack.extend(report.children(node)[::-1])
        else:
            unpriced.append(node.path)
    priced = sum(getattr(node, figure) is not None for node in report.layers)
    return Coverage(total, priced, unpriced, estimated)
