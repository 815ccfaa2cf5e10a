"""Shape rules of convolution and pooling layers, 1-D to 3-D, with Keras's own
length formulas (`conv_output_length`, `deconv_output_length`)."""

from __future__ import annotations

from dataclasses import dataclass

from kerascope.shapes import dims
from kerascope.shapes.call import Call, Shape, shape_rule
from kerascope.shapes.dims import Dim, int_arg, int_tuple


@dataclass(frozen=True)
class Window:
    """A sliding window's geometry along each spatial axis."""

    kernel: tuple[int, ...]
    strides: tuple[int, ...]
    dilation: tuple[int, ...]
    padding: str

    @property
    def dilated(self) -> tuple[int, ...]:
        return tuple(k + (k - 1) * (d - 1) for k, d in zip(self.kernel, self.dilation, strict=True))


def window(
    call: Call, rank: int, kernel_key: str = "kernel_size", strides_default: object = 1
) -> Window | None:
    kernel = int_tuple(call.config.get(kernel_key), rank)
    strides_value = call.config.get("strides")
    strides = int_tuple(strides_default if strides_value is None else strides_value, rank)
    dilation = int_tuple(call.config.get("dilation_rate", 1), rank)
    padding = call.config.get("padding", "valid")
    if kernel is None or strides is None or dilation is None or not isinstance(padding, str):
        return None
    if min(kernel + strides + dilation) < 1:
        return None
    return Window(kernel, strides, dilation, padding.lower())


def conv_length(length: Dim, size: int, padding: str, stride: int) -> Dim:
    """Keras's `conv_output_length` for a (dilated) window of `size`."""
    if length is None:
        return None
    if padding in ("same", "causal"):
        span = length
    elif padding == "valid":
        span = length - size + 1
    elif padding == "full":
        span = length + size - 1
    else:
        return None
    if span <= 0:
        return None
    return dims.check((span + stride - 1) // stride)


def deconv_length(length: Dim, size: int, padding: str, stride: int, output_padding: int | None) -> Dim:
    """Keras's `deconv_output_length` for a (dilated) kernel of `size`."""
    if length is None:
        return None
    if output_padding is None:
        if padding == "valid":
            return dims.check(length * stride + max(size - stride, 0))
        if padding == "full":
            return dims.check(length * stride - (stride + size - 2))
        if padding == "same":
            return dims.check(length * stride)
        return None
    pad = {"same": size // 2, "valid": 0, "full": size - 1}.get(padding)
    if pad is None:
        return None
    return dims.check((length - 1) * stride + size - 2 * pad + output_padding)


def split(call: Call, rank: int) -> tuple[Dim, tuple[Dim, ...], Dim] | None:
    """(batch, spatial dimensions, channels) of the call's input."""
    x = call.x
    if x is None or len(x) != rank + 2:
        return None
    if call.channels_first():
        return x[0], x[2:], x[1]
    return x[0], x[1:-1], x[-1]


def join(call: Call, batch: Dim, spatial: tuple[Dim, ...], channels: Dim) -> Shape:
    if call.channels_first():
        return (batch, channels, *spatial)
    return (batch, *spatial, channels)


def _filters(call: Call) -> int | None:
    filters = int_arg(call.get("filters"))
    return filters if filters is not None and filters >= 1 else None


def convolution(call: Call, rank: int) -> Shape:
    parts, geometry = split(call, rank), window(call, rank)
    filters = _filters(call)
    if parts is None or geometry is None or filters is None:
        return None
    batch, spatial, _ = parts
    out = tuple(
        conv_length(size, span, geometry.padding, stride)
        for size, span, stride in zip(spatial, geometry.dilated, geometry.strides, strict=True)
    )
    return join(call, batch, out, filters)


def depthwise(call: Call, rank: int) -> Shape:
    parts, geometry = split(call, rank), window(call, rank)
    multiplier = int_arg(call.get("depth_multiplier", 1))
    if parts is None or geometry is None or multiplier is None or multiplier < 1:
        return None
    batch, spatial, channels = parts
    out = tuple(
        conv_length(size, span, geometry.padding, stride)
        for size, span, stride in zip(spatial, geometry.dilated, geometry.strides, strict=True)
    )
    return join(call, batch, out, dims.mul(channels, multiplier))


def transposed(call: Call, rank: int) -> Shape:
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


for _rank in (1, 2, 3):
    shape_rule(f"Conv{_rank}D")(lambda call, rank=_rank: convolution(call, rank))
    shape_rule(f"Conv{_rank}DTranspose")(lambda call, rank=_rank: transposed(call, rank))
shape_rule("SeparableConv1D", "SeparableConv2D")(
    lambda call: convolution(call, 1 if call.class_name.endswith("1D") else 2)
)
shape_rule("DepthwiseConv1D", "DepthwiseConv2D")(
    lambda call: depthwise(call, 1 if call.class_name.endswith("1D") else 2)
)


# -- pooling --------------------------------------------------------------------------
def pooling(call: Call, rank: int) -> Shape:
    key = "pool_size"
    size = call.config.get(key, 2)
    parts = split(call, rank)
    geometry = window(call, rank, kernel_key=key, strides_default=size)
    if parts is None or geometry is None:
        return None
    batch, spatial, channels = parts
    out = tuple(
        conv_length(length, span, geometry.padding, stride)
        for length, span, stride in zip(spatial, geometry.kernel, geometry.strides, strict=True)
    )
    return join(call, batch, out, channels)


def global_pooling(call: Call, rank: int) -> Shape:
    parts = split(call, rank)
    if parts is None:
        return None
    batch, _, channels = parts
    if call.flag("keepdims"):
        return join(call, batch, (1,) * rank, channels)
    return (batch, channels)


for _rank in (1, 2, 3):
    for _kind in ("Max", "Average"):
        shape_rule(f"{_kind}Pooling{_rank}D")(lambda call, rank=_rank: pooling(call, rank))
        shape_rule(f"Global{_kind}Pooling{_rank}D")(lambda call, rank=_rank: global_pooling(call, rank))
