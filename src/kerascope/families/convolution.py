"""Keras's convolutions (`keras/src/layers/convolutional/`), 1-D to 3-D: plain
(`base_conv.py`, `BaseConv`), transposed (`base_conv_transpose.py`), depthwise
(`base_depthwise_conv.py`) and separable (`base_separable_conv.py`)."""

from __future__ import annotations

from math import prod

from kerascope.families import dims
from kerascope.families.call import Call, Outputs
from kerascope.families.dims import Shape, int_arg, int_tuple, is_int
from kerascope.families.geometry import deconv_length, join, split, window
from kerascope.families.knowledge import Build, CostRule, LayerKnowledge, Price, Variable, WeightRule
from kerascope.families.registry import register
from kerascope.families.rules import activation_flops, channels, count, kernel_size, positive, with_activation
from kerascope.model.vocabulary import Kind


# -- shapes ---------------------------------------------------------------------------
def _filters(call: Call) -> int | None:
    filters = int_arg(call.get("filters"))
    return filters if filters is not None and filters >= 1 else None


def convolution(call: Call, rank: int) -> Shape:
    parts, geometry = split(call, rank), window(call, rank)
    filters = _filters(call)
    if parts is None or geometry is None or filters is None:
        return None
    batch, spatial, _ = parts
    out = geometry.lengths(spatial)
    return join(call, batch, out, filters)


def _depthwise(call: Call, rank: int) -> Shape:
    parts, geometry = split(call, rank), window(call, rank)
    multiplier = int_arg(call.get("depth_multiplier", 1))
    if parts is None or geometry is None or multiplier is None or multiplier < 1:
        return None
    batch, spatial, channels_in = parts
    out = geometry.lengths(spatial)
    return join(call, batch, out, dims.mul(channels_in, multiplier))


def _transposed(call: Call, rank: int) -> Shape:
    parts, geometry = split(call, rank), window(call, rank)
    filters = _filters(call)
    stored = call.config.get("output_padding")
    padding_out = None if stored is None else int_tuple(stored, rank)
    if parts is None or geometry is None or filters is None or (stored is not None and padding_out is None):
        return None
    batch, spatial, _ = parts
    out = tuple(
        deconv_length(size, span, geometry.padding, stride, None if padding_out is None else padding_out[i])
        for i, (size, span, stride) in enumerate(
            zip(spatial, geometry.dilated, geometry.strides, strict=True)
        )
    )
    return join(call, batch, out, filters)


# -- costs ----------------------------------------------------------------------------
def _channels(call: Call, rank: int) -> tuple[int, tuple[int, ...]] | None:
    x = call.x
    if x is None or len(x) != rank + 2:
        return None
    first = call.config.get("data_format") == "channels_first"
    return (x[1] if first else x[-1]), tuple(x[2:] if first else x[1:-1])  # type: ignore[return-value]


def _dilated_outputs(call: Call, rank: int, kernel: tuple[int, ...], out: Shape) -> int:
    """The outputs TensorFlow's convolution op produces: for a dilated convolution,
    it runs on blocks of a padded input (SpaceToBatch), whose outputs the profiler counts."""
    elements_out = count(out)
    dilation = int_tuple(call.config.get("dilation_rate", 1), rank)
    found = _channels(call, rank)
    if dilation is None or found is None or out is None or all(d == 1 for d in dilation):
        return elements_out
    _, spatial = found
    first = call.config.get("data_format") == "channels_first"
    lengths = out[2:] if first else out[1:-1]
    same = call.config.get("padding") == "same"
    produced = elements_out
    for length, size, rate, made in zip(spatial, kernel, dilation, lengths, strict=True):
        padded = length + ((size - 1) * rate if same else 0)
        block = -(-padded // rate)
        produced = produced // made * rate * (block - size + 1)  # type: ignore[operator]
    return produced


def _cost(rank: int, kind: str) -> CostRule:
    def rule(call: Call, outputs: Outputs) -> Price | None:
        found = _channels(call, rank)
        kernel = int_tuple(call.config.get("kernel_size"), rank)
        if found is None or kernel is None:
            return None
        channels_in, _ = found
        out = outputs[0]
        elements_out = count(out)
        area = prod(kernel)
        estimated = False
        if kind == "conv":
            groups = call.config.get("groups", 1) if is_int(call.config.get("groups", 1)) else 1
            macs = elements_out * area * channels_in // max(groups, 1)
            flops = 2 * _dilated_outputs(call, rank, kernel, out) * area * channels_in // max(groups, 1)
            # Keras runs these (bias included) as an XLA-compiled function, whose ops the
            # profiler does not see.
            if groups != 1 or (rank == 3 and call.config.get("data_format") == "channels_first"):
                extra = activation_flops(call, elements_out)
                return None if extra is None else Price(macs, extra, estimated=True)
        elif kind == "depthwise":
            macs = elements_out * area
            flops = 2 * macs
        elif kind == "separable":
            multiplier = call.config.get("depth_multiplier", 1)
            if not is_int(multiplier):
                return None
            depthwise = elements_out // call.config["filters"] * channels_in * multiplier * area
            pointwise = elements_out * channels_in * multiplier
            macs = depthwise + pointwise
            flops = 2 * macs
        else:  # transposed: the profiler's Conv2DBackpropInput formula
            strides = int_tuple(call.config.get("strides", 1), rank) or (1,) * rank
            flops = 2 * elements_out * area * channels_in // prod(strides)
            macs = flops // 2
            estimated = rank == 3
        return with_activation(call, macs, flops, elements_out, estimated)

    return rule


# -- weights --------------------------------------------------------------------------
def _with_bias(build: Build, kernels: list[Variable], width: int | None) -> list[Variable]:
    return [*kernels, Variable("bias", [width])] if build.config.get("use_bias", True) else kernels


def _conv_weights(rank: int) -> WeightRule:
    """`BaseConv.build`: kernel (*kernel_size, input channels / groups, filters), bias (filters,)."""

    def rule(build: Build) -> list[Variable] | None:
        filters = positive(build.config, "filters")
        if filters is None:
            return None
        groups = positive(build.config, "groups") or 1
        inputs = channels(build, rank)
        per_group = None if inputs is None else inputs // groups
        return _with_bias(
            build, [Variable("kernel", [*kernel_size(build.config, rank), per_group, filters])], filters
        )

    return rule


def _transposed_weights(rank: int) -> WeightRule:
    """`BaseConvTranspose.build`: kernel (*kernel_size, filters, input channels), bias (filters,)."""

    def rule(build: Build) -> list[Variable] | None:
        filters = positive(build.config, "filters")
        if filters is None:
            return None
        kernel = [*kernel_size(build.config, rank), filters, channels(build, rank)]
        return _with_bias(build, [Variable("kernel", kernel)], filters)

    return rule


def _multiplier(build: Build) -> int | None:
    return positive(build.config, "depth_multiplier") or (None if "depth_multiplier" in build.config else 1)


def _depthwise_weights(rank: int) -> WeightRule:
    """`BaseDepthwiseConv.build`: kernel (*kernel_size, input channels, depth_multiplier),
    bias (input channels x depth_multiplier,). TF-Keras names the kernel
    `depthwise_kernel` (`base_depthwise_conv.py` v2.21.0), Keras 3 `kernel`."""

    def rule(build: Build) -> list[Variable] | None:
        multiplier, inputs = _multiplier(build), channels(build, rank)
        kernel = [*kernel_size(build.config, rank), inputs, multiplier]
        name = "kernel" if build.keras3 else "depthwise_kernel"
        return _with_bias(build, [Variable(name, kernel)], dims.mul(inputs, multiplier))

    return rule


def _separable_weights(rank: int) -> WeightRule:
    """`BaseSeparableConv.build`: depthwise_kernel (*kernel_size, input channels,
    depth_multiplier), pointwise_kernel (1, ..., input channels x depth_multiplier,
    filters), bias (filters,)."""

    def rule(build: Build) -> list[Variable] | None:
        filters, multiplier, inputs = (
            positive(build.config, "filters"),
            _multiplier(build),
            channels(build, rank),
        )
        if filters is None:
            return None
        kernels = [
            Variable("depthwise_kernel", [*kernel_size(build.config, rank), inputs, multiplier]),
            Variable("pointwise_kernel", [*([1] * rank), dims.mul(inputs, multiplier), filters]),
        ]
        return _with_bias(build, kernels, filters)

    return rule


_OLDER_NAMES = {
    "Conv1D": ("Convolution1D", "AtrousConvolution1D"),
    "Conv2D": ("Convolution2D", "AtrousConvolution2D"),
    "Conv3D": ("Convolution3D",),
    "Conv2DTranspose": ("Deconvolution2D",),
    "SeparableConv2D": ("SeparableConvolution2D",),
}

for _rank in (1, 2, 3):
    register(
        LayerKnowledge(
            f"Conv{_rank}D",
            Kind.CONVOLUTION,
            lambda call, rank=_rank: convolution(call, rank),
            _cost(_rank, "conv"),
            _conv_weights(_rank),
            older_names=_OLDER_NAMES.get(f"Conv{_rank}D", ()),
        ),
        LayerKnowledge(
            f"Conv{_rank}DTranspose",
            Kind.CONVOLUTION,
            lambda call, rank=_rank: _transposed(call, rank),
            _cost(_rank, "transpose"),
            _transposed_weights(_rank),
            older_names=_OLDER_NAMES.get(f"Conv{_rank}DTranspose", ()),
        ),
    )
for _rank in (1, 2):
    register(
        LayerKnowledge(
            f"DepthwiseConv{_rank}D",
            Kind.CONVOLUTION,
            lambda call, rank=_rank: _depthwise(call, rank),
            _cost(_rank, "depthwise"),
            _depthwise_weights(_rank),
        ),
        LayerKnowledge(
            f"SeparableConv{_rank}D",
            Kind.CONVOLUTION,
            lambda call, rank=_rank: convolution(call, rank),
            _cost(_rank, "separable"),
            _separable_weights(_rank),
            older_names=_OLDER_NAMES.get(f"SeparableConv{_rank}D", ()),
        ),
    )
