"""The names Keras gives a built-in layer's weights, for files that store none.

A `.keras` file stores each layer's variables as `vars/0`, `vars/1`, ... in the
order Keras 3's `build()` creates them (trainable first, then non-trainable),
without their names. For Keras's own classes that order is fixed by the class
and its config (`use_bias`, `center`, `scale`), so the names follow: `kernel`,
`bias`; `gamma`, `beta`, `moving_mean`, `moving_variance`; ... A name is set
only when the number of variables and every shape the config determines match
what the rule expects; otherwise the names stay unknown.

Sublayers a built-in layer creates in its own code (a recurrent layer's cell,
MultiHeadAttention's projections) have no config in the file, but their class is
fixed by their parent's class and their name, so they are named the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kerascope.model.records import LayerNode, ModelReport, WeightInfo
from kerascope.model.vocabulary import Fact, Origin
from kerascope.shapes.call import MALFORMED
from kerascope.shapes.dims import int_arg, is_int
from kerascope.shapes.rules_core import einsum_parts
from kerascope.shapes.spelling import canonical_config, rule_key

# What a slot expects: its name and the shape it must have (None: any size there),
# or None for any shape.
Slot = tuple[str, "list[int | None] | None"]
NamingRule = Callable[[dict[str, Any], list[WeightInfo]], "list[Slot] | None"]
NAMING: dict[str, NamingRule] = {}

# Sublayers a built-in class creates: (parent class, sublayer name) -> sublayer class.
_CREATED = {
    **{("LSTM", "lstm_cell"): "LSTMCell", ("GRU", "gru_cell"): "GRUCell"},
    ("SimpleRNN", "simple_rnn_cell"): "SimpleRNNCell",
    **{(f"ConvLSTM{r}D", "conv_lstm_cell"): f"ConvLSTMCell{r}D" for r in (1, 2, 3)},
    **{("MultiHeadAttention", name): "EinsumDense" for name in ("query", "key", "value", "attention_output")},
    **{
        ("GroupedQueryAttention", name): "EinsumDense"
        for name in ("query", "key", "value", "attention_output")
    },
}
# Sublayer config keys a parent passes on.
_PASSED_ON = ("use_bias", "filters", "units", "kernel_size")


def naming(*keys: str) -> Callable[[NamingRule], NamingRule]:
    def register(rule: NamingRule) -> NamingRule:
        for key in keys:
            NAMING[key] = rule
        return rule

    return register


def name_layer_weights(report: ModelReport, node: LayerNode) -> None:
    """Set the names of a built-in layer's weights where the file stores none."""
    if not node.weights or all(weight.name is not None for weight in node.weights):
        return
    found = _rule_for(report, node)
    if found is None:
        return
    rule, config = found
    try:
        slots = rule(config, node.weights)
    except MALFORMED:  # includes OutOfRange: a number no real layer has
        return
    if slots is None or len(slots) != len(node.weights):
        return
    if all(_fits(weight, shape) for weight, (_, shape) in zip(node.weights, slots, strict=True)):
        for weight, (name, _) in zip(node.weights, slots, strict=True):
            weight.name = name
        node.origin[Fact.WEIGHT_NAMES] = Origin.DERIVED


def _rule_for(report: ModelReport, node: LayerNode) -> tuple[NamingRule, dict[str, Any]] | None:
    key = rule_key(node)
    if key is not None and key in NAMING:
        return NAMING[key], canonical_config(key, node.config)
    if node.class_name is not None:
        return None
    parent = report.parent(node)
    parent_key = rule_key(parent) if parent is not None else None
    created = _CREATED.get((parent_key, node.name)) if parent_key else None
    if created is None or created not in NAMING:
        return None
    parent_config = canonical_config(parent_key, parent.config)  # type: ignore[arg-type, union-attr]
    config = {key: parent_config[key] for key in _PASSED_ON if key in parent_config}
    if created == "EinsumDense":
        config = {"bias_axes": "x" if parent_config.get("use_bias", True) else None}
    return NAMING[created], config


def _fits(weight: WeightInfo, expected: list[int | None] | None) -> bool:
    if expected is None:
        return True
    if len(weight.shape) != len(expected):
        return False
    return all(want is None or have == want for have, want in zip(weight.shape, expected, strict=True))


def _units(config: dict[str, Any], key: str) -> int | None:
    value = int_arg(config.get(key))
    return value if value is not None and value >= 1 else None


def _kernel_size(config: dict[str, Any], rank: int) -> list[int | None]:
    value = config.get("kernel_size")
    if is_int(value):
        return [value] * rank
    if isinstance(value, list) and len(value) == rank and all(is_int(v) for v in value):
        return list(value)
    return [None] * rank


# -- rules ----------------------------------------------------------------------------
@naming("Dense")
def _dense(config: dict[str, Any], weights: list[WeightInfo]) -> list[Slot] | None:
    units = _units(config, "units")
    if units is None:
        return None
    slots: list[Slot] = [("kernel", [None, units])]
    if config.get("use_bias", True):
        slots.append(("bias", [units]))
    return slots


@naming("EinsumDense")
def _einsum_dense(config: dict[str, Any], weights: list[WeightInfo]) -> list[Slot] | None:
    parts = einsum_parts(config.get("equation"))
    rank = len(parts[1]) if parts else None
    slots: list[Slot] = [("kernel", None if rank is None else [None] * rank)]
    if config.get("bias_axes"):
        slots.append(("bias", None))
    return slots


def _conv(rank: int, transpose: bool) -> NamingRule:
    def rule(config: dict[str, Any], weights: list[WeightInfo]) -> list[Slot] | None:
        filters = _units(config, "filters")
        if filters is None:
            return None
        kernel = _kernel_size(config, rank)
        slots: list[Slot] = [("kernel", [*kernel, filters, None] if transpose else [*kernel, None, filters])]
        if config.get("use_bias", True):
            slots.append(("bias", [filters]))
        return slots

    return rule


for _rank in (1, 2, 3):
    NAMING[f"Conv{_rank}D"] = _conv(_rank, transpose=False)
    NAMING[f"Conv{_rank}DTranspose"] = _conv(_rank, transpose=True)


def _depthwise(rank: int) -> NamingRule:
    def rule(config: dict[str, Any], weights: list[WeightInfo]) -> list[Slot] | None:
        multiplier = _units(config, "depth_multiplier") or (None if "depth_multiplier" in config else 1)
        kernel = _kernel_size(config, rank)
        slots: list[Slot] = [("kernel", [*kernel, None, multiplier])]
        if config.get("use_bias", True):
            slots.append(("bias", [None]))
        return slots

    return rule


def _separable(rank: int) -> NamingRule:
    def rule(config: dict[str, Any], weights: list[WeightInfo]) -> list[Slot] | None:
        filters = _units(config, "filters")
        multiplier = _units(config, "depth_multiplier") or (None if "depth_multiplier" in config else 1)
        if filters is None:
            return None
        kernel = _kernel_size(config, rank)
        slots: list[Slot] = [
            ("depthwise_kernel", [*kernel, None, multiplier]),
            ("pointwise_kernel", [*([1] * rank), None, filters]),
        ]
        if config.get("use_bias", True):
            slots.append(("bias", [filters]))
        return slots

    return rule


for _rank in (1, 2):
    NAMING[f"DepthwiseConv{_rank}D"] = _depthwise(_rank)
    NAMING[f"SeparableConv{_rank}D"] = _separable(_rank)


@naming("BatchNormalization", "SyncBatchNormalization")
def _batch_norm(config: dict[str, Any], weights: list[WeightInfo]) -> list[Slot] | None:
    if config.get("renorm"):
        return None
    shape = _same_shape(weights)
    slots: list[Slot] = []
    if config.get("scale", True):
        slots.append(("gamma", shape))
    if config.get("center", True):
        slots.append(("beta", shape))
    return [*slots, ("moving_mean", shape), ("moving_variance", shape)]


@naming("LayerNormalization")
def _layer_norm(config: dict[str, Any], weights: list[WeightInfo]) -> list[Slot] | None:
    shape = _same_shape(weights)
    slots: list[Slot] = []
    rms = bool(config.get("rms_scaling"))
    if config.get("scale", True) or rms:
        slots.append(("gamma", shape))
    if config.get("center", True) and not rms:
        slots.append(("beta", shape))
    return slots


@naming("GroupNormalization")
def _group_norm(config: dict[str, Any], weights: list[WeightInfo]) -> list[Slot] | None:
    shape = _same_shape(weights)
    slots: list[Slot] = []
    if config.get("scale", True):
        slots.append(("gamma", shape))
    if config.get("center", True):
        slots.append(("beta", shape))
    return slots


@naming("RMSNormalization")
def _rms_norm(config: dict[str, Any], weights: list[WeightInfo]) -> list[Slot] | None:
    return [("scale", None)]


@naming("Attention")
def _attention(config: dict[str, Any], weights: list[WeightInfo]) -> list[Slot] | None:
    slots: list[Slot] = [("scale", [])] if config.get("use_scale") else []
    if config.get("score_mode") == "concat":
        slots.append(("concat_score_weight", []))
    return slots


@naming("AdditiveAttention")
def _additive_attention(config: dict[str, Any], weights: list[WeightInfo]) -> list[Slot] | None:
    return [("scale", [None])] if config.get("use_scale", True) else []


@naming("Embedding")
def _embedding(config: dict[str, Any], weights: list[WeightInfo]) -> list[Slot] | None:
    return [("embeddings", [_units(config, "input_dim"), _units(config, "output_dim")])]


@naming("PReLU")
def _prelu(config: dict[str, Any], weights: list[WeightInfo]) -> list[Slot] | None:
    return [("alpha", None)]


@naming("Normalization")
def _normalization(config: dict[str, Any], weights: list[WeightInfo]) -> list[Slot] | None:
    if config.get("mean") is not None:
        return None  # given in the config: Keras creates no variables
    shape = [None] * len(weights[0].shape) if weights else None
    return [("mean", shape), ("variance", shape), ("count", [])]


def _cell(gates: int, conv_rank: int | None = None) -> NamingRule:
    def rule(config: dict[str, Any], weights: list[WeightInfo]) -> list[Slot] | None:
        width = _units(config, "filters" if conv_rank else "units")
        if width is None:
            return None
        if conv_rank:
            kernel = _kernel_size(config, conv_rank)
            slots: list[Slot] = [
                ("kernel", [*kernel, None, width * gates]),
                ("recurrent_kernel", [*kernel, width, width * gates]),
            ]
        else:
            slots = [("kernel", [None, width * gates]), ("recurrent_kernel", [width, width * gates])]
        if config.get("use_bias", True):
            slots.append(("bias", None if gates == 3 else [width * gates]))
        return slots

    return rule


NAMING["SimpleRNNCell"] = _cell(1)
NAMING["LSTMCell"] = _cell(4)
NAMING["GRUCell"] = _cell(3)  # its bias is (3 * units,) or (2, 3 * units) with reset_after
for _rank in (1, 2, 3):
    NAMING[f"ConvLSTMCell{_rank}D"] = _cell(4, conv_rank=_rank)


def _same_shape(weights: list[WeightInfo]) -> list[int | None] | None:
    """The one shape every weight of a normalization layer has, or one no weight can match."""
    if not weights:
        return None
    first = weights[0].shape
    return list(first) if all(w.shape == first for w in weights) else [-1]
