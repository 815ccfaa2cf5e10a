"""The health of a model's weights, judged from their statistics alone (`WeightInfo.stats`,
filled when values are asked for); nothing here reads a file.

Each finding names the layer (its path) and the weight (its name, or its position).

- `NAN_WEIGHTS`, `INF_WEIGHTS` (errors): a weight holding a NaN or an infinity. No
  initializer makes one and no finite input undoes one: every output the weight
  touches is NaN or infinite, so the model is broken, whatever else it holds.
- `ZERO_WEIGHTS`: a floating-point tensor that is zero everywhere, where its
  initializer (`initializers.py`: the one the layer's config names for it, else the
  one Keras gives a weight of its name) never gives zeros: a random initializer, or
  ones (`gamma`, `moving_variance`). Biases, `beta` and `moving_mean` start as zeros
  (and a `Constant(0)` or `Zeros` initializer anywhere), so a tensor of zeros there
  may be a layer that never trained, and is no finding; a weight whose initializer
  is unknown is not judged either. A kernel of zeros passes nothing on; a zero
  `gamma` or `moving_variance` silences its normalization.
- `CONSTANT_WEIGHTS`: a floating-point tensor of two or more values that all equal
  one non-zero value, where its initializer draws at random. A random start never
  gives that, and gradient descent cannot break the symmetry of a tensor whose units
  are all alike: the weight was overwritten (a bad load, a fill), not trained.
  Initializers that give constants (`Ones`, `Constant`) are exempt.
- `WEIGHT_SCALE_OUTLIER`: a tensor whose scale is two orders of magnitude off its
  peers. The scale is the root mean square of its finite values, divided by the RMS
  its initializer gives a tensor of its shape, so kernels of different fans (a
  Glorot kernel of 10 inputs starts 20 times larger than one of 4 000) compare as
  equals; training moves that ratio by a few times, and moves it alike in the
  layers of one model. The peers are the other weights of the same name, layer
  class and initializer in the model (every `kernel` of a `Dense` with Glorot
  initialization), at least `MIN_PEERS` of them; the tensor is an outlier when its
  ratio is more than `ORDERS` orders of magnitude (100x) from the median of theirs.
  Only weights whose initializer draws at random are judged (a bias's or a
  normalization's scale is whatever its data made it), and a tensor with NaN or
  infinities is left to the rules above.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator
from typing import Any

from kerascope.analysis.initializers import RANDOM, ZEROS, Initializer, initializer_of
from kerascope.analysis.weight_values import weight_label
from kerascope.model.findings import finding
from kerascope.model.records import Finding, LayerNode, ModelReport, WeightInfo
from kerascope.model.vocabulary import Code

ORDERS = 2.0  # how far (log10) a tensor's scale may stray from its peers' median
MIN_PEERS = 3  # the other tensors of the same role a comparison needs


def value_findings(report: ModelReport) -> list[Finding]:
    """The findings of every weight whose statistics were read, in layer order, then
    the scale outliers."""
    found: list[Finding] = []
    roles: dict[tuple[Any, ...], list[tuple[float, LayerNode, str, float, float]]] = {}
    for node, position, weight, stats in _weighed(report):
        label = weight_label(weight, position)
        found += _non_finite(node, label, stats)
        if not _floating(weight.dtype) or stats["nan"] or stats["inf"]:
            continue
        start = initializer_of(report, node, weight)
        if start is None:
            continue
        whole = _whole(node, label, stats, start)
        if whole is not None:
            found.append(whole)
            continue
        rms = math.hypot(stats["mean"], stats["std"]) if stats["count"] else 0.0
        expected = start.rms(weight.shape) if start.kind == RANDOM else None
        if rms > 0 and expected:
            role = (node.class_name, label, start.name)
            roles.setdefault(role, []).append((math.log10(rms / expected), node, label, rms, expected))
    for role, members in roles.items():
        found += _outliers(role, members)
    return found


def _weighed(report: ModelReport) -> Iterator[tuple[LayerNode, int, WeightInfo, dict[str, Any]]]:
    for node in report.nodes:
        for position, weight in enumerate(node.weights):
            if weight.stats is not None:
                yield node, position, weight, weight.stats


def _floating(dtype: str | None) -> bool:
    return bool(dtype) and dtype.startswith(("float", "bfloat"))  # type: ignore[union-attr]


def _non_finite(node: LayerNode, label: str, stats: dict[str, Any]) -> list[Finding]:
    found = []
    total = stats["count"] + stats["nan"] + stats["inf"]
    for code, key, what in ((Code.NAN_WEIGHTS, "nan", "NaN"), (Code.INF_WEIGHTS, "inf", "infinite")):
        if stats[key]:
            found.append(
                finding(code, node.path, f"{label}: {stats[key]:,} of its {total:,} values are {what}")
            )
    return found


def _whole(node: LayerNode, label: str, stats: dict[str, Any], start: Initializer) -> Finding | None:
    """ZERO_WEIGHTS or CONSTANT_WEIGHTS, when the whole tensor is one value its
    initializer would not give it."""
    count = stats["count"]
    if count and stats["zeros"] == count and start.kind != ZEROS:
        gives = "random values" if start.kind == RANDOM else "non-zero values"
        return finding(
            Code.ZERO_WEIGHTS,
            node.path,
            f"{label}: all {count:,} values are zero, where its initializer ({start.name}) gives {gives}",
        )
    if count >= 2 and start.kind == RANDOM and stats["min"] == stats["max"] and stats["min"] != 0:
        return finding(
            Code.CONSTANT_WEIGHTS,
            node.path,
            f"{label}: all {count:,} values equal {stats['min']:.6g}, where its initializer "
            f"({start.name}) draws them at random",
        )
    return None


def _outliers(
    role: tuple[Any, ...], members: list[tuple[float, LayerNode, str, float, float]]
) -> list[Finding]:
    if len(members) < MIN_PEERS + 1:
        return []
    ranked = sorted(member[0] for member in members)
    found = []
    for ratio, node, label, rms, expected in members:
        peers = _median_without(ranked, ratio)
        if abs(ratio - peers) <= ORDERS:
            continue
        class_name, name, start = role
        found.append(
            finding(
                Code.WEIGHT_SCALE_OUTLIER,
                node.path,
                f"{label}: its scale (RMS {rms:.3g}) is {10**ratio:.3g}x what its initializer ({start}) gives "
                f"a tensor of its shape ({expected:.3g}), where the other {len(members) - 1} "
                f"{name} weights of {class_name or 'unknown-class'} layers in this model are at a median of "
                f"{10**peers:.3g}x: {10 ** abs(ratio - peers):,.0f} times "
                f"{'larger' if ratio > peers else 'smaller'} than its peers",
            )
        )
    return found


def _median_without(ranked: list[float], value: float) -> float:
    """The median of `ranked` (sorted) with one occurrence of `value` left out."""
    left_out = bisect.bisect_left(ranked, value)

    def at(index: int) -> float:
        return ranked[index if index < left_out else index + 1]

    count = len(ranked) - 1
    middle = count // 2
    return at(middle) if count % 2 else (at(middle - 1) + at(middle)) / 2
