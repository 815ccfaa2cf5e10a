"""Shape rules of recurrent layers, their wrappers, and attention layers."""

from __future__ import annotations

from typing import Any

from kerascope.shapes import dims
from kerascope.shapes.call import Call, Outputs, Shape, outputs_of, shape_rule
from kerascope.shapes.dims import int_arg, is_int
from kerascope.shapes.rules_conv import conv_length, window
from kerascope.shapes.spelling import canonical_config, key_of

RECURRENT = ("SimpleRNN", "LSTM", "GRU", "CuDNNLSTM", "CuDNNGRU", "RNN")
_STATES = {"LSTM": 2, "CuDNNLSTM": 2, "LSTMCell": 2}


def inner_call(serialized: Any, inputs: list[Shape], outer: Call) -> Call | None:
    """The call of a layer serialized inside another's config (a wrapper's `layer`)."""
    if not isinstance(serialized, dict) or not isinstance(serialized.get("config"), dict):
        return None
    key = key_of(serialized.get("class_name"), serialized.get("module"), serialized.get("registered_name"))
    if key is None:
        return None
    return Call(key, canonical_config(key, serialized["config"]), inputs, outer.kwargs, outer.keras3)


def _cells(call: Call) -> list[tuple[str, int]] | None:
    """(cell class, units) of each cell of a recurrent layer, innermost last."""
    if call.class_name != "RNN":
        units = int_arg(call.get("units"))
        return [(call.class_name, units)] if units is not None and units >= 1 else None
    cell = call.config.get("cell")
    cells = cell if isinstance(cell, list) else [cell]
    if isinstance(cell, dict) and cell.get("class_name") == "StackedRNNCells":
        cells = (cell.get("config") or {}).get("cells")
    if not isinstance(cells, list) or not cells:
        return None
    found = []
    for item in cells:
        inner = inner_call(item, [], call)
        if inner is None or inner.class_name not in ("SimpleRNNCell", "LSTMCell", "GRUCell"):
            return None
        units = int_arg(inner.get("units"))
        if units is None or units < 1:
            return None
        found.append((inner.class_name, units))
    return found


@shape_rule(*RECURRENT)
def recurrent(call: Call) -> Outputs | None:
    x, cells = call.x, _cells(call)
    if x is None or len(x) != 3 or cells is None:
        return None
    time_major = call.flag("time_major")
    batch, steps = (x[1], x[0]) if time_major else (x[0], x[1])
    units = cells[-1][1]
    if call.flag("return_sequences"):
        output: Shape = (steps, batch, units) if time_major else (batch, steps, units)
    else:
        output = (batch, units)
    if not call.flag("return_state"):
        return [output]
    states = [(batch, size) for cell, size in cells for _ in range(_STATES.get(cell, 1))]
    return [output, *states]


def _conv_lstm(call: Call, rank: int) -> Outputs | None:
    x, geometry = call.x, window(call, rank)
    filters = int_arg(call.get("filters"))
    if x is None or len(x) != rank + 3 or geometry is None or filters is None or filters < 1:
        return None
    batch, steps = x[0], x[1]
    spatial = x[3:] if call.channels_first() else x[2:-1]
    out = tuple(
        conv_length(size, span, geometry.padding, stride)
        for size, span, stride in zip(spatial, geometry.dilated, geometry.strides, strict=True)
    )
    frame = (filters, *out) if call.channels_first() else (*out, filters)
    output = (batch, steps, *frame) if call.flag("return_sequences") else (batch, *frame)
    if call.flag("return_state"):
        return [output, (batch, *frame), (batch, *frame)]
    return [output]


for _rank in (1, 2, 3):
    shape_rule(f"ConvLSTM{_rank}D")(lambda call, rank=_rank: _conv_lstm(call, rank))


@shape_rule("Bidirectional")
def bidirectional(call: Call) -> Outputs | None:
    forward = inner_call(call.config.get("layer"), call.inputs[:1], call)
    backward_config = call.config.get("backward_layer")
    backward = inner_call(backward_config, call.inputs[:1], call) if backward_config else forward
    if forward is None or backward is None:
        return None
    ahead, behind = outputs_of(forward), outputs_of(backward)
    if not ahead or not behind or ahead[0] is None or behind[0] is None:
        return None
    mode = call.config.get("merge_mode", "concat")
    if mode == "concat":
        width = dims.add(ahead[0][-1], behind[0][-1])
        merged: list[Shape] = [(*ahead[0][:-1], width)]
    elif mode in ("sum", "mul", "ave"):
        merged = [ahead[0]]
    elif mode is None:
        merged = [ahead[0], behind[0]]
    else:
        return None
    return merged + ahead[1:] + behind[1:]


@shape_rule("TimeDistributed")
def time_distributed(call: Call) -> Shape:
    x = call.x
    if x is None or len(x) < 3:
        return None
    inner = inner_call(call.config.get("layer"), [(x[0], *x[2:])], call)
    found = outputs_of(inner) if inner is not None else None
    if not found or len(found) != 1 or found[0] is None:
        return None
    return (x[0], x[1], *found[0][1:])


# -- attention ------------------------------------------------------------------------
@shape_rule("Attention", "AdditiveAttention")
def dot_attention(call: Call) -> Outputs | None:
    if len(call.inputs) < 2 or call.inputs[0] is None or call.inputs[1] is None:
        return None
    query, value = call.inputs[0], call.inputs[1]
    output = (*query[:-1], value[-1])
    if call.flag("return_attention_scores"):
        return [output, (*query[:-1], value[-2] if len(value) > 1 else None)]
    return [output]


@shape_rule("MultiHeadAttention")
def multi_head_attention(call: Call) -> Outputs | None:
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


@shape_rule("GroupedQueryAttention")
def grouped_query_attention(call: Call) -> Outputs | None:
    query = call.x
    if query is None or len(query) != 3:
        return None
    if call.flag("return_attention_scores"):
        key = call.inputs[2] if len(call.inputs) > 2 else call.inputs[1] if len(call.inputs) > 1 else None
        heads = int_arg(call.get("num_query_heads"))
        return [query, (query[0], heads, query[1], key[1] if key else None)]
    return [query]
