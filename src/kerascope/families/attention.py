"""Keras's attention layers (`keras/src/layers/attention/`). Their output shapes
depend on the call's `return_attention_scores`, so the engine passes call
arguments on to them."""

from __future__ import annotations

from typing import Any

from kerascope.families.call import Call, Outputs
from kerascope.families.dims import Shape, int_arg, is_int
from kerascope.families.knowledge import Build, LayerKnowledge, Price, Sublayer, Variable
from kerascope.families.registry import register
from kerascope.families.rules import last_dim
from kerascope.model.vocabulary import Kind


# -- Attention, AdditiveAttention: attention.py, additive_attention.py ------------------
def _dot_attention(call: Call) -> Outputs | None:
    if len(call.inputs) < 2 or call.inputs[0] is None or call.inputs[1] is None:
        return None
    query, value = call.inputs[0], call.inputs[1]
    output = (*query[:-1], value[-1])
    if call.flag("return_attention_scores"):
        return [output, (*query[:-1], value[-2] if len(value) > 1 else None)]
    return [output]


def _attention_weights(build: Build) -> list[Variable] | None:
    """`Attention.build`: a scalar scale with `use_scale`, a scalar concat_score_weight
    with `score_mode="concat"`."""
    found = [Variable("scale", [])] if build.config.get("use_scale") else []
    if build.config.get("score_mode") == "concat":
        found.append(Variable("concat_score_weight", []))
    return found


def _additive_attention_weights(build: Build) -> list[Variable] | None:
    """`AdditiveAttention.build`: scale (the query's last dimension,) with `use_scale`."""
    return [Variable("scale", [last_dim(build)])] if build.config.get("use_scale", True) else []


# -- MultiHeadAttention: multi_head_attention.py, class MultiHeadAttention ---------------
def _multi_head_attention(call: Call) -> Outputs | None:
    query = call.x
    if query is None or len(query) < 3:
        return None
    requested = call.config.get("output_shape")
    if requested is None:
        output: Shape = query
    elif is_int(requested):
        output = (*query[:-1], int_arg(requested))
    elif isinstance(requested, list) and all(is_int(d) for d in requested):
        output = (*query[:-1], *(int_arg(d) for d in requested))
    else:
        return None
    if not call.flag("return_attention_scores"):
        return [output]
    key = call.inputs[2] if len(call.inputs) > 2 else call.inputs[1] if len(call.inputs) > 1 else None
    return [output, _scores(call, query, key, int_arg(call.get("num_heads")))]


def _scores(call: Call, query: Shape, key: Shape, heads: int | None) -> Shape:
    """(batch dims..., heads, query attention dims..., key attention dims...)."""
    if query is None or key is None or len(query) != len(key):
        return None
    rank = len(query)
    axes = call.config.get("attention_axes")
    if axes is None:
        attention = list(range(1, rank - 1))
    elif is_int(axes):
        attention = [axes % rank]
    elif isinstance(axes, list) and all(is_int(a) for a in axes) and len(axes) <= rank:
        attention = [a % rank for a in axes]
    else:
        return None
    batch_dims = [query[i] for i in range(rank - 1) if i not in attention]
    return (*batch_dims, heads, *(query[i] for i in attention), *(key[i] for i in attention))


def _multi_head_attention_cost(call: Call, outputs: Outputs) -> Price | None:
    """The projections, the score and value products (Einsum ops, which the profiler
    counts as nothing: estimated), the softmax and the biases."""
    query = call.x
    value = call.inputs[1] if len(call.inputs) > 1 else query
    key = call.inputs[2] if len(call.inputs) > 2 else value
    heads, width = call.config.get("num_heads"), call.config.get("key_dim")
    value_width = call.config.get("value_dim") or width
    if query is None or value is None or key is None or len(query) != 3 or len(key) != 3:
        return None
    if not (is_int(heads) and is_int(width) and is_int(value_width)):
        return None
    batch, q_len, q_dim = query
    k_len, out_dim = key[1], outputs[0][-1]  # type: ignore[index]
    projections = batch * (
        q_len * q_dim * heads * width
        + k_len * key[2] * heads * width
        + k_len * value[2] * heads * value_width
    )
    output = batch * q_len * heads * value_width * out_dim
    scores = batch * heads * q_len * k_len
    attention = scores * width + scores * value_width
    macs = projections + output + attention
    bias = batch * (q_len * heads * width + k_len * heads * (width + value_width) + q_len * out_dim)
    return Price(macs, 2 * macs + 5 * scores + batch * q_len * heads * width + bias, estimated=True)


def _projection(parent: dict[str, Any]) -> dict[str, Any]:
    """What an EinsumDense projection's weights depend on that the parent decides:
    whether it has a bias (`bias_axes` set when the parent's `use_bias`)."""
    return {"bias_axes": "x" if parent.get("use_bias", True) else None}


# `build()` creates, in this order: the query, key, (with `use_gate`) gate and value
# projections, then (`_build_attention`) a Softmax and a Dropout Keras names from their
# class, then the output projection (multi_head_attention.py and grouped_query_attention.py).
_ATTENTION_SUBLAYERS = (
    Sublayer("_query_dense", "EinsumDense", "query", _projection),
    Sublayer("_key_dense", "EinsumDense", "key", _projection),
    Sublayer("_gate_dense", "EinsumDense", "gate", _projection, only_if="use_gate"),
    Sublayer("_value_dense", "EinsumDense", "value", _projection),
    Sublayer("_softmax", "Softmax", None),
    Sublayer("_dropout_layer", "Dropout", None),
    Sublayer("_output_dense", "EinsumDense", "attention_output", _projection),
)


# -- GroupedQueryAttention: grouped_query_attention.py, class GroupedQueryAttention -----
def _grouped_query_attention(call: Call) -> Outputs | None:
    query = call.x
    if query is None or len(query) != 3:
        return None
    if call.flag("return_attention_scores"):
        key = call.inputs[2] if len(call.inputs) > 2 else call.inputs[1] if len(call.inputs) > 1 else None
        heads = int_arg(call.get("num_query_heads"))
        return [query, (query[0], heads, query[1], key[1] if key else None)]
    return [query]


register(
    LayerKnowledge(
        "Attention", Kind.ATTENTION, _dot_attention, weights=_attention_weights, call_arguments=True
    ),
    LayerKnowledge(
        "AdditiveAttention",
        Kind.ATTENTION,
        _dot_attention,
        weights=_additive_attention_weights,
        call_arguments=True,
    ),
    LayerKnowledge(
        "MultiHeadAttention",
        Kind.ATTENTION,
        _multi_head_attention,
        _multi_head_attention_cost,
        sublayers=_ATTENTION_SUBLAYERS,
        cost_covers_sublayers=True,
        call_arguments=True,
    ),
    LayerKnowledge(
        "GroupedQueryAttention",
        Kind.ATTENTION,
        _grouped_query_attention,
        sublayers=_ATTENTION_SUBLAYERS,
        cost_covers_sublayers=True,
        call_arguments=True,
    ),
)
