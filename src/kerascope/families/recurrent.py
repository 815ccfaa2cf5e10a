"""Keras's recurrent layers and their wrappers (`keras/src/layers/rnn/`): RNN and
its cells, SimpleRNN, LSTM, GRU (and TF 1's CuDNN versions), ConvLSTM 1-D to 3-D,
Bidirectional, TimeDistributed.

A recurrent layer keeps its cell in the attribute `cell`, created in its own
`__init__` with a fixed name (`lstm.py`, class LSTM: `LSTMCell(..., name=
"lstm_cell")`), so the cell is a sublayer no config lists. A wrapper's inner
layers and an RNN's given cells are in its config (`inner`): TimeDistributed
keeps its `layer`; Bidirectional recreates two copies of its layer from that
config, `forward_layer` named `forward_<name>` and `backward_layer` named
`backward_<name>` (or the `backward_layer` its config gives: Keras 3 keeps its
name, TF-Keras prefixes it; `bidirectional.py`, `Bidirectional.__init__`); an
RNN given a list of cells wraps them in a StackedRNNCells, which Keras names from
its class and which keeps them in its list `cells` (`rnn.py`, `RNN.__init__`;
`stacked_rnn_cells.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kerascope.families import dims
from kerascope.families.call import Call, Outputs
from kerascope.families.dims import Shape, int_arg, is_int
from kerascope.families.geometry import window
from kerascope.families.knowledge import (
    Build,
    LayerKnowledge,
    Price,
    Sublayer,
    Variable,
    WeightRule,
    no_weights,
)
from kerascope.families.registry import known, outputs_of, price_call, register
from kerascope.families.rules import channels, kernel_size, last_dim, positive
from kerascope.families.spelling import inner_call
from kerascope.model.vocabulary import Kind


@dataclass(frozen=True)
class _Cell:
    """A cell's gates (the width of its kernels in units) and the state tensors it returns."""

    gates: int
    states: int


# The cells: keras/src/layers/rnn/simple_rnn.py, lstm.py, gru.py (SimpleRNNCell, LSTMCell, GRUCell).
_CELLS = {"SimpleRNNCell": _Cell(1, 1), "LSTMCell": _Cell(4, 2), "GRUCell": _Cell(3, 1)}
# The layers built on one cell, and the name Keras gives the cell (None: no cell object,
# TF 1's CuDNN layers).
_LAYERS = {
    "SimpleRNN": ("SimpleRNNCell", "simple_rnn_cell"),
    "LSTM": ("LSTMCell", "lstm_cell"),
    "GRU": ("GRUCell", "gru_cell"),
    "CuDNNLSTM": ("LSTMCell", None),
    "CuDNNGRU": ("GRUCell", None),
}
# The cell arguments a layer passes on from its own config.
_PASSED_ON = ("use_bias", "filters", "units", "kernel_size", "reset_after")


def _passed_on(parent: dict[str, Any]) -> dict[str, Any]:
    return {key: parent[key] for key in _PASSED_ON if key in parent}


def _step(parent: Build) -> Build:
    """What a cell is built on: the arguments its layer passes on, and one time step
    of the layer's input (the time axis dropped)."""
    return Build(_passed_on(parent.config), _time_step(parent).input_shape)


def _conv_step(rank: int) -> Callable[[Build], Build]:
    def built_on(parent: Build) -> Build:
        step = _step(parent)
        return Build({**step.config, "rank": rank}, step.input_shape)

    return built_on


# -- what wrappers and RNNs are given in their config -------------------------------------
def _serialized(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) and isinstance(value.get("config"), dict) else None


def _renamed(serialized: dict[str, Any], name: str, **changes: Any) -> dict[str, Any]:
    return {**serialized, "config": {**serialized["config"], "name": name, **changes}}


def _inner_name(serialized: dict[str, Any]) -> str | None:
    name = serialized["config"].get("name")
    return name if isinstance(name, str) else None


def _given(attribute: str, serialized: dict[str, Any], **facts: Any) -> Sublayer | None:
    class_name = serialized.get("class_name")
    if not isinstance(class_name, str):
        return None
    return Sublayer(attribute, class_name, _inner_name(serialized), serialized=serialized, **facts)


def _time_distributed_inner(config: dict[str, Any], keras3: bool) -> tuple[Sublayer, ...]:
    """TimeDistributed keeps the layer its config gives it, as `layer`, built on one
    time step of its input."""
    layer = _serialized(config.get("layer"))
    found = _given("layer", layer, built_on=_time_step) if layer is not None else None
    return (found,) if found is not None else ()


def _time_step(parent: Build) -> Build:
    x = parent.input_shape
    return Build({}, (x[0], *x[2:]) if x is not None and len(x) >= 2 else None)


def _same_input(parent: Build) -> Build:
    return Build({}, parent.input_shape)


def _bidirectional_inner(config: dict[str, Any], keras3: bool) -> tuple[Sublayer, ...]:
    """Two copies of the layer its config gives: `forward_<name>` (Keras 3 takes
    a `forward_` off the stored name first, since it stores the forward copy) and
    `backward_<name>` running backwards, or the `backward_layer` its config gives
    (which TF-Keras renames `backward_<name>` too). TF-Keras keeps the given layer
    as `layer` as well, untracked: its files have an empty group for it."""
    layer = _serialized(config.get("layer"))
    name = _inner_name(layer) if layer is not None else None
    if layer is None or name is None:
        return ()
    forward_name = "forward_" + (name.removeprefix("forward_") if keras3 else name)
    given = _serialized(config.get("backward_layer"))
    given_name = _inner_name(given) if given is not None else None
    if given is not None and given_name is not None:
        backward = given if keras3 else _renamed(given, f"backward_{given_name}")
    else:
        go_backwards = not bool(layer["config"].get("go_backwards", False))
        backward = _renamed(
            layer,
            "backward_" + (name.removeprefix("forward_") if keras3 else name),
            go_backwards=go_backwards,
        )
    found = [
        _given("forward_layer", _masked(_renamed(layer, forward_name)), built_on=_same_input),
        _given("backward_layer", _masked(backward), built_on=_same_input),
    ]
    return tuple(sub for sub in found if sub is not None)


def _masked(serialized: dict[str, Any]) -> dict[str, Any]:
    """Bidirectional makes a recurrent copy output zeros at masked steps exactly when
    it returns sequences (`force_zero_output_for_mask`)."""
    config = serialized["config"]
    if "return_sequences" not in config:
        return serialized
    return {**serialized, "config": {**config, "zero_output_for_mask": bool(config["return_sequences"])}}


def _rnn_inner(config: dict[str, Any], keras3: bool) -> tuple[Sublayer, ...]:
    """An RNN's `cell`: the one cell its config gives, or a StackedRNNCells of the
    list it gives (named from its class)."""
    cell = config.get("cell")
    if isinstance(cell, list):
        cells = [item for item in map(_serialized, cell) if item is not None]
        stack = {"class_name": "StackedRNNCells", "config": {"cells": cells}}
        return (Sublayer("cell", "StackedRNNCells", None, built_on=_time_step, serialized=stack),)
    found = _given("cell", cell, built_on=_time_step) if _serialized(cell) is not None else None
    return (found,) if found is not None else ()


def _stacked_inner(config: dict[str, Any], keras3: bool) -> tuple[Sublayer, ...]:
    """The cells of a StackedRNNCells, in its list `cells`: the first built on the
    step's input, each next one on the output of the one before (its `units`)."""
    cells = [item for item in map(_serialized, _as_list(config.get("cells"))) if item is not None]
    found = []
    for position, item in enumerate(cells):
        before = cells[position - 1]["config"].get("units") if position else None
        found.append(_given("cells", item, container=True, built_on=_after(position, before)))
    return tuple(sub for sub in found if sub is not None)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _after(position: int, units: Any) -> Callable[[Build], Build]:
    def built_on(parent: Build) -> Build:
        x = parent.input_shape
        if position == 0 or x is None:
            return Build({}, x)
        return Build({}, (*x[:-1], units if is_int(units) else None))

    return built_on


# -- shapes ---------------------------------------------------------------------------
def _cells(call: Call) -> list[tuple[str, int]] | None:
    """(cell class, units) of each cell of a recurrent layer, innermost last."""
    if call.class_name != "RNN":
        units = int_arg(call.get("units"))
        return [(_LAYERS[call.class_name][0], units)] if units is not None and units >= 1 else None
    cell = call.config.get("cell")
    cells = cell if isinstance(cell, list) else [cell]
    if isinstance(cell, dict) and cell.get("class_name") == "StackedRNNCells":
        cells = (cell.get("config") or {}).get("cells")
    if not isinstance(cells, list) or not cells:
        return None
    found = []
    for item in cells:
        inner = inner_call(item, [], call)
        if inner is None or inner.class_name not in _CELLS:
            return None
        units = int_arg(inner.get("units"))
        if units is None or units < 1:
            return None
        found.append((inner.class_name, units))
    return found


def _recurrent(call: Call) -> Outputs | None:
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
    states = [(batch, size) for cell, size in cells for _ in range(_CELLS[cell].states)]
    return [output, *states]


def _conv_lstm(call: Call, rank: int) -> Outputs | None:
    x, geometry = call.x, window(call, rank)
    filters = int_arg(call.get("filters"))
    if x is None or len(x) != rank + 3 or geometry is None or filters is None or filters < 1:
        return None
    batch, steps = x[0], x[1]
    spatial = x[3:] if call.channels_first() else x[2:-1]
    out = geometry.lengths(spatial)
    frame = (filters, *out) if call.channels_first() else (*out, filters)
    output = (batch, steps, *frame) if call.flag("return_sequences") else (batch, *frame)
    if call.flag("return_state"):
        return [output, (batch, *frame), (batch, *frame)]
    return [output]


def _bidirectional(call: Call) -> Outputs | None:
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


def _time_distributed(call: Call) -> Shape:
    x = call.x
    if x is None or len(x) < 3:
        return None
    inner = inner_call(call.config.get("layer"), [(x[0], *x[2:])], call)
    found = outputs_of(inner) if inner is not None else None
    if not found or len(found) != 1 or found[0] is None:
        return None
    return (x[0], x[1], *found[0][1:])


# -- costs: the real work (the profiler counts a loop's body once) -----------------------
def _recurrent_cost(call: Call, outputs: Outputs) -> Price | None:
    """The matrix products of every step; the gates' arithmetic is left out (estimated)."""
    x, units = call.x, call.config.get("units")
    if x is None or len(x) != 3 or not is_int(units):
        return None
    steps, features, batch = x[1], x[2], x[0]
    gates = _CELLS[_LAYERS[call.class_name][0]].gates
    macs = batch * steps * gates * units * (features + units)  # type: ignore[operator]
    bias = batch * steps * gates * units if call.config.get("use_bias", True) else 0  # type: ignore[operator]
    return Price(macs, 2 * macs + bias, estimated=True)


def _bidirectional_cost(call: Call, outputs: Outputs) -> Price | None:
    inner = inner_call(call.config.get("layer"), call.inputs[:1], call)
    rule = None if inner is None else getattr(known(inner.class_name), "cost", None)
    if inner is None or rule is None:
        return None
    one = rule(inner, outputs[:1])
    return None if one is None else Price(2 * one.macs, 2 * one.flops, estimated=True)


def _time_distributed_cost(call: Call, outputs: Outputs) -> Price | None:
    x, out = call.x, outputs[0]
    if x is None or out is None or len(x) < 3:
        return None
    inner = inner_call(call.config.get("layer"), [(x[0] * x[1], *x[2:])], call)  # type: ignore[operator]
    if inner is None:
        return None
    return price_call(inner, [(out[0] * out[1], *out[2:])])  # type: ignore[operator]


# -- weights: the cells' `build()` ------------------------------------------------------
def _cell_weights(gates: int, conv_rank: int | None = None) -> WeightRule:
    """kernel (inputs, units x gates), recurrent_kernel (units, units x gates), bias
    (units x gates,) with `use_bias`; a GRU's bias is (2, units x 3) with
    `reset_after`. A convolutional cell's kernels have its kernel size first."""

    def rule(build: Build) -> list[Variable] | None:
        config = build.config
        width = positive(config, "filters" if conv_rank else "units")
        if width is None:
            return None
        wide = width * gates
        if conv_rank:
            kernel = kernel_size(config, conv_rank)
            found = [
                Variable("kernel", [*kernel, channels(build, conv_rank), wide]),
                Variable("recurrent_kernel", [*kernel, width, wide]),
            ]
        else:
            found = [Variable("kernel", [last_dim(build), wide]), Variable("recurrent_kernel", [width, wide])]
        if config.get("use_bias", True):
            bias: list[int | None] | None = [wide]
            if gates == 3:
                after = config.get("reset_after")
                bias = [2, wide] if after is True else [wide] if after is False else None
            found.append(Variable("bias", bias))
        return found

    return rule


def _cudnn_weights(gates: int) -> WeightRule:
    """TF 1's CuDNNLSTM and CuDNNGRU (`cudnn_recurrent.py`) keep their variables
    themselves: kernel, recurrent_kernel, and a bias of both gate sets (units x
    gates x 2,)."""

    def rule(build: Build) -> list[Variable] | None:
        units = positive(build.config, "units")
        if units is None:
            return None
        wide = units * gates
        return [
            Variable("kernel", [last_dim(build), wide]),
            Variable("recurrent_kernel", [units, wide]),
            Variable("bias", [wide * 2]),
        ]

    return rule


def _conv_lstm_cell_weights(build: Build) -> list[Variable] | None:
    """`ConvLSTMCell.build` (conv_lstm.py): its rank is the one its ConvLSTM layer
    passes on, which its own config leaves out (its kernel size has one per axis)."""
    sizes = build.config.get("kernel_size")
    rank = int_arg(build.config.get("rank")) or (len(sizes) if isinstance(sizes, list) else None)
    return _cell_weights(4, rank)(build) if rank in (1, 2, 3) else None


register(
    *(
        LayerKnowledge(name, Kind.RECURRENT, weights=_cell_weights(cell.gates))
        for name, cell in _CELLS.items()
    ),
    LayerKnowledge("ConvLSTMCell", Kind.RECURRENT, weights=_conv_lstm_cell_weights),
    LayerKnowledge("StackedRNNCells", Kind.RECURRENT, inner=_stacked_inner),
    *(
        LayerKnowledge(
            name,
            Kind.RECURRENT,
            _recurrent,
            _recurrent_cost if cell_name is not None else None,
            weights=_cudnn_weights(_CELLS[cell].gates) if cell_name is None else no_weights,
            sublayers=() if cell_name is None else (Sublayer("cell", cell, cell_name, _step),),
            cost_covers_sublayers=True,
        )
        for name, (cell, cell_name) in _LAYERS.items()
    ),
    LayerKnowledge("RNN", Kind.RECURRENT, _recurrent, cost_covers_sublayers=True, inner=_rnn_inner),
    *(
        LayerKnowledge(
            f"ConvLSTM{rank}D",
            Kind.RECURRENT,
            lambda call, rank=rank: _conv_lstm(call, rank),
            sublayers=(Sublayer("cell", "ConvLSTMCell", "conv_lstm_cell", _conv_step(rank)),),
            cost_covers_sublayers=True,
        )
        for rank in (1, 2, 3)
    ),
    LayerKnowledge(
        "Bidirectional",
        Kind.RECURRENT,
        _bidirectional,
        _bidirectional_cost,
        cost_covers_sublayers=True,
        inner=_bidirectional_inner,
    ),
    LayerKnowledge(
        "TimeDistributed",
        Kind.WRAPPER,
        _time_distributed,
        _time_distributed_cost,
        cost_covers_sublayers=True,
        inner=_time_distributed_inner,
    ),
)
