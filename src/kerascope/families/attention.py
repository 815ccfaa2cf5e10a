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


# `build()` creates, in this order: the query, key, (with `use_gate`) gate and value
# projections, then (`_build_attention`) a Softmax and a Dropout Keras names from their
# class, then the output projection (multi_head_attention.py, `MultiHeadAttention.build`).
# Keras >= 3.0.5 reaches each projection through a public property too (`query_dense`),
# which its saving walks first; TF-Keras and earlier Keras 3 have the private attribute only.
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _projection_equation(free: int, bound: int, output: int) -> tuple[str, str, int]:
    """`_build_proj_equation`: (equation, bias axes, output rank) of an einsum that keeps
    `free` input axes, contracts `bound`, and makes `output` new ones."""
    letters = iter(_LETTERS)
    kept = "".join(next(letters) for _ in range(free))
    contracted = "".join(next(letters) for _ in range(bound))
    made = "".join(next(letters) for _ in range(output))
    return f"{kept}{contracted},{contracted}{made}->{kept}{made}", made, free + output


def _heads(config: dict[str, Any], width: str) -> list[Any]:
    key_dim = config.get("key_dim")
    return [config.get("num_heads"), config.get(width) or key_dim]


def _attention_inputs(parent: Build) -> tuple[Shape, Shape, Shape]:
    """(query, value, key) shapes of the call: the key defaults to the value."""
    shapes = list(parent.inputs) or [parent.input_shape]
    query = shapes[0]
    value = shapes[1] if len(shapes) > 1 else query
    key = shapes[2] if len(shapes) > 2 else value
    return query, value, key


def _projection(which: str, width: str) -> Any:
    """What the query, key, value or gate projection is built on."""

    def built_on(parent: Build) -> Build:
        query, value, key = _attention_inputs(parent)
        x = {"query": query, "gate": query, "value": value, "key": key}[which]
        rank = len(x) if x is not None else 3
        equation, bias_axes, output_rank = _projection_equation(rank - 1, 1, 2)
        config = {
            "equation": equation,
            "output_shape": [None] * (output_rank - 3) + _heads(parent.config, width),
            "bias_axes": bias_axes if parent.config.get("use_bias", True) else None,
        }
        return Build(config, x)

    return built_on


def _output_projection(parent: Build) -> Build:
    """`_make_output_dense`: from (..., heads, value width) to the query's width, or to
    the `output_shape` the config asks for."""
    query, _, _ = _attention_inputs(parent)
    rank = len(query) if query is not None else 3
    wanted = parent.config.get("output_shape")
    output = wanted if isinstance(wanted, list) else [wanted] if is_int(wanted) else [last_dim(parent)]
    equation, bias_axes, output_rank = _projection_equation(rank - 1, 2, len(output))
    heads = _heads(parent.config, "value_dim")
    x = (*query[:-1], *heads) if query is not None else None
    config = {
        "equation": equation,
        "output_shape": [None] * (output_rank - 1 - len(output)) + output,
        "bias_axes": bias_axes if parent.config.get("use_bias", True) else None,
    }
    return Build(config, x)


_MULTI_HEAD_SUBLAYERS = (
    Sublayer("query_dense", "EinsumDense", "query", _projection("query", "key_dim"), aliases=("_query_dense",),
             tf_keras_attribute="_query_dense"),
    Sublayer("key_dense", "EinsumDense", "key", _projection("key", "key_dim"), aliases=("_key_dense",),
             tf_keras_attribute="_key_dense"),
    Sublayer("_gate_dense", "EinsumDense", "gate", _projection("gate", "value_dim"), only_if="use_gate",
             in_tf_keras=False),
    Sublayer("value_dense", "EinsumDense", "value", _projection("value", "value_dim"),
             aliases=("_value_dense",), tf_keras_attribute="_value_dense"),
    Sublayer("_softmax", "Softmax", None),
    Sublayer("_dropout_layer", "Dropout", None),
    Sublayer("output_dense", "EinsumDense", "attention_output", _output_projection,
             aliases=("_output_dense",), tf_keras_attribute="_output_dense"),
)  # fmt: skip


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


def _grouped(which: str) -> Any:
    """`GroupedQueryAttention.build`: fixed equations over (batch, length, model width);
    the query and gate have `num_query_heads`, the key and value `num_key_value_heads`."""

    def built_on(parent: Build) -> Build:
        query, value, key = _attention_inputs(parent)
        config, width = parent.config, parent.config.get("head_dim")
        use_bias = config.get("use_bias", True)
        if which == "output":
            heads = config.get("num_query_heads")
            return Build(
                {"equation": "bquh,uhm->bqm", "output_shape": [None, last_dim(parent)],
                 "bias_axes": "m" if use_bias else None},
                (None, None, heads, width),
            )  # fmt: skip
        by_query = which in ("query", "gate")
        heads = config.get("num_query_heads" if by_query else "num_key_value_heads")
        equation, axes = ("bqm,muh->bquh", "uh") if by_query else ("bkm,mvh->bkvh", "vh")
        x = {"query": query, "gate": query, "key": key, "value": value}[which]
        return Build(
            {
                "equation": equation,
                "output_shape": [None, heads, width],
                "bias_axes": axes if use_bias else None,
            },
            x,
        )

    return built_on


# GroupedQueryAttention keeps its projections in private attributes only.
_GROUPED_SUBLAYERS = (
    Sublayer("_query_dense", "EinsumDense", "query", _grouped("query")),
    Sublayer("_key_dense", "EinsumDense", "key", _grouped("key")),
    Sublayer("_gate_dense", "EinsumDense", "gate", _grouped("gate"), only_if="use_gate"),
    Sublayer("_value_dense", "EinsumDense", "value", _grouped("value")),
    Sublayer("_softmax", "Softmax", None),
    Sublayer("_dropout_layer", "Dropout", None),
    Sublayer("_output_dense", "EinsumDense", "attention_output", _grouped("output")),
)


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
        sublayers=_MULTI_HEAD_SUBLAYERS,
        cost_covers_sublayers=True,
        call_arguments=True,
    ),
    LayerKnowledge(
        "GroupedQueryAttention",
        Kind.ATTENTION,
        _grouped_query_attention,
        sublayers=_GROUPED_SUBLAYERS,
        cost_covers_sublayers=True,
        call_arguments=True,
    ),
)
