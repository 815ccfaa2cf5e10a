"""FLOPs, MACs and memory of one forward pass, per layer and in total.

The FLOPs convention is TensorFlow's profiler's, the figure users compare with:
`tf.compat.v1.profiler.profile(graph, options=ProfileOptionBuilder.float_operation())`
on the frozen inference graph of the model at batch 1. The profiler sums, over
the graph's ops, the counts TensorFlow registers per op type
(`tensorflow/python/profiler/internal/flops_registry.py` and the
`RegisterStatistics(..., "flops")` in `nn_ops.py`/`math_ops.py`):

* MatMul, BatchMatMul, Conv2D, Conv3D, DepthwiseConv2dNative: 2 per
  multiply-accumulate; Conv2DBackpropInput (a transposed convolution):
  2 x outputs x kernel area x input channels / stride area;
* BiasAdd and the elementwise Add/AddV2, Sub, Mul, RealDiv, Maximum, Minimum,
  Greater...: 1 per output element; SquaredDifference 2; Rsqrt 2 and Neg,
  Square, Reciprocal 1 per input element; Softmax 5 per element;
* Mean 1 per input element, Sum 1 per input element less the outputs;
  AvgPool and MaxPool: pool area per output element;
* everything else 0: Relu, Relu6, Sigmoid, Tanh, Exp, Max (global max pooling),
  pads, reshapes, gathers, concatenations, Einsum.

Each class's cost rule (its `LayerKnowledge.cost` in `kerascope.families`;
this module adds the rules' figures up) counts the ops Keras 3's TensorFlow
backend emits for the layer in inference, measured op by op with the profiler (tests compare each
class): a Dense is a MatMul, a BiasAdd and its activation (relu 0, silu 2,
gelu 4, hard_silu 3, softmax 5 per element); an inference BatchNormalization
is 2 per element plus 5 per channel (6 with `scale`: the Rsqrt, adds and
multiplies on the moving statistics); a LayerNormalization over the last axis
is 6 per element plus 5 per row, with `scale` 2 per element more and one per row
less, and `center` 1 per element more.

Where the profiler's figure is not the real work, the figure is marked
estimated on the layer (and so on every parent holding it):

* grouped convolutions (ConvNeXt's) and channels-first 3-D convolutions run as
  an XLA-compiled function whose ops the profiler does not see: it counts 0, and
  so do kerascope's FLOPs (its MACs keep the real work);
* recurrent layers: the profiler counts a `while` loop's body once, kerascope
  counts the matrix products of every step (gate arithmetic left out);
* attention: its score and value products are Einsum ops, which the profiler
  counts as 0; kerascope counts them;
* 3-D pooling and 3-D transposed convolutions, ops with no registered count:
  kerascope counts them as their 2-D versions are counted.

MACs are the multiply-accumulates of matrix products and convolutions only.
`weight_bytes` is each weight's elements times its dtype's size (float32 4,
float16/bfloat16 2, int8 1; a mixed-precision policy keeps float32 variables).
`activation_bytes` is each layer's outputs' elements times its compute dtype's
size (a mixed_float16 layer computes in float16); a model's is the sum of its
layers', and always an estimate of activation memory (no reuse of buffers is
assumed, and a layer's own intermediate tensors are not counted).

A layer holding sublayers (a custom layer, a model) holds the sum of what is
inside it where every part is known; for a custom class its own code's work is
unknown, so its FLOPs are the sum of its sublayers', marked estimated. A
built-in layer with sublayers (MultiHeadAttention, Bidirectional, recurrent
layers) is priced by its own rule, which covers its sublayers
(`cost_covers_sublayers`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kerascope.families import dims
from kerascope.families.call import Call
from kerascope.families.knowledge import LayerKnowledge, Price
from kerascope.families.registry import class_names, known, price_call
from kerascope.families.spelling import canonical_config, rule_key
from kerascope.model.failures import RAISE, Failures
from kerascope.model.records import LayerNode, ModelReport
from kerascope.model.vocabulary import Fact, Origin, Role, Stage
from kerascope.shapes.graph import Site, is_shape_list

_DTYPE_BYTES = {
    "float64": 8,
    "float32": 4,
    "float16": 2,
    "bfloat16": 2,
    "int64": 8,
    "uint64": 8,
    "int32": 4,
    "uint32": 4,
    "int16": 2,
    "uint16": 2,
    "int8": 1,
    "uint8": 1,
    "bool": 1,
    "float8_e4m3fn": 1,
    "float8_e5m2": 1,
    "complex64": 8,
    "complex128": 16,
}


# Classes whose outputs are integers whatever their policy, in their default `int` mode.
_INTEGER_OUTPUTS = class_names(lambda knowledge: knowledge.integer_outputs)


@dataclass
class _Totals:
    macs: int | None = 0
    flops: int | None = 0
    estimated: bool = False


def price(
    report: ModelReport,
    sites: dict[str, list[Site]],
    batch: int,
    use_stored: bool,
    failures: Failures = RAISE,
) -> None:
    """Fill macs, flops, weight_bytes and activation_bytes on every node, children first.
    A node whose pricing raises is handed to `failures` and left unpriced (and so
    is every parent whose sum needs it)."""
    for node in reversed(report.nodes):
        try:
            _price_node(report, node, sites, batch, use_stored)
        except Exception as error:  # noqa: BLE001 - one layer degrades (model/failures.py)
            failures.add(Stage.COSTS, node.path, error)
            node.macs = node.flops = node.weight_bytes = node.activation_bytes = None
            node.estimated = []


def _price_node(
    report: ModelReport, node: LayerNode, sites: dict[str, list[Site]], batch: int, use_stored: bool
) -> None:
    children = report.children(node) if node.children else []
    node_sites = sites.get(node.path) or _own_sites(node, batch, use_stored)
    estimated: set[str] = set()
    work = _work(node, node_sites, children, estimated)
    node.macs, node.flops = work.macs, work.flops
    if work.estimated and work.flops is not None:
        estimated.update(("macs", "flops"))
    node.weight_bytes = _weight_bytes(node, children)
    node.activation_bytes = _activation_bytes(node, node_sites, children)
    if node.activation_bytes is not None:
        estimated.add("activation_bytes")
    node.estimated = sorted(estimated)
    node.origin[Fact.COST] = Origin.DERIVED


def _work(node: LayerNode, sites: list[Site], children: list[LayerNode], estimated: set[str]) -> _Totals:
    key = rule_key(node)
    is_model = node.role == Role.MODEL
    if node.role == Role.INPUT:
        return _Totals()
    knowledge = known(key)
    if not is_model and knowledge is not None and knowledge.cost is not None:
        own = _own_work(knowledge, node, sites)
        if own is None or knowledge.cost_covers_sublayers or not children:
            return own or _Totals(None, None)
        inside = _sum(children)
        if inside.flops is None:
            return _Totals(None, None)
        return _Totals(
            _add(own.macs, inside.macs), _add(own.flops, inside.flops), own.estimated or inside.estimated
        )
    if not children:
        return _Totals(None, None)
    inside = _sum(children)
    if not is_model and inside.flops is not None:
        inside.estimated = True  # a custom class's own code may compute more than its sublayers
    return inside


def _own_work(knowledge: LayerKnowledge, node: LayerNode, sites: list[Site]) -> _Totals | None:
    if not sites or any(site.outputs is None or not site.inputs or site.inputs[0] is None for site in sites):
        return None
    key = knowledge.key
    config = canonical_config(key, node.config)
    total = _Totals()
    for site in sites:
        found: Price | None = price_call(Call(key, config, site.inputs, site.kwargs), site.outputs or [])
        if found is None:
            return None
        total.macs = _add(total.macs, found.macs)
        total.flops = _add(total.flops, found.flops)
        total.estimated = total.estimated or found.estimated
    return total


def _sum(children: list[LayerNode]) -> _Totals:
    total = _Totals()
    for child in children:
        if child.flops is None:
            return _Totals(None, None)
        total.macs = _add(total.macs, child.macs)
        total.flops = _add(total.flops, child.flops)
        total.estimated = total.estimated or "flops" in child.estimated
    return total


def _add(first: int | None, second: int | None) -> int | None:
    return None if first is None or second is None else first + second


def _own_sites(node: LayerNode, batch: int, use_stored: bool) -> list[Site]:
    """Call sites from the shapes the node itself holds (a live layer's, or a
    sublayer's), with the assumed batch; none when the inputs were changed."""
    if not use_stored or not node.output_shapes or not node.input_shapes:
        return []
    found = []
    for inputs, outputs in zip(node.input_shapes, node.output_shapes, strict=False):
        ins, outs = _tensors(inputs, batch), _tensors(outputs, batch)
        if ins is None or outs is None:
            return []
        found.append(Site(ins, outs, {}))
    return found


def _tensors(value: Any, batch: int) -> list[Any] | None:
    if value is None:
        return None
    tensors = value if is_shape_list(value) else [value]
    try:
        return [dims.with_batch(dims.as_shape(shape), batch) for shape in tensors]
    except dims.OutOfRange:
        return None


def _weight_bytes(node: LayerNode, children: list[LayerNode]) -> int | None:
    if node.total_params is None:
        return None
    total = 0
    for weight in node.weights:
        size = _DTYPE_BYTES.get(weight.dtype or _policy(node.config)[1] or "")
        if size is None:
            return None
        total += weight.size * size
    for child in children:
        if child.weight_bytes is None:
            return None
        total += child.weight_bytes
    return total


def _activation_bytes(node: LayerNode, sites: list[Site], children: list[LayerNode]) -> int | None:
    if node.role == Role.MODEL:
        if not children:  # no layers known (an exported graph): nothing to say they output
            return None
        total = 0
        for child in children:
            if child.activation_bytes is None:
                return None
            total += child.activation_bytes
        return total
    if not sites:
        return None
    size = _output_size(node)
    if size is None:
        return None
    total = 0
    for site in sites:
        for shape in site.outputs or [None]:
            count = dims.elements(shape)
            if count is None:
                return None
            total += count * size
    return total


def _output_size(node: LayerNode) -> int | None:
    config = node.config if isinstance(node.config, dict) else {}
    if node.class_name in _INTEGER_OUTPUTS and config.get("output_mode", "int") == "int":
        return 8
    return _DTYPE_BYTES.get(_policy(config)[0] or "float32")


def _policy(config: Any) -> tuple[str | None, str | None]:
    """(compute dtype, variable dtype) of a layer's dtype policy as its config stores it."""
    value = config.get("dtype") if isinstance(config, dict) else None
    if isinstance(value, dict):
        inner = value.get("config")
        value = inner.get("name") if isinstance(inner, dict) else None
    if not isinstance(value, str):
        return "float32", "float32"
    if value.startswith("mixed_"):
        return value.removeprefix("mixed_"), "float32"
    if "_from_" in value:  # a quantized policy: int8_from_float32
        source = value.split("_from_")[-1]
        return source, source
    return value, value
