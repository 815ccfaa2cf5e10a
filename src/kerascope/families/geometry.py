"""Sliding windows along spatial axes, with Keras's own length formulas
(`conv_output_length`, `deconv_output_length`): shared by convolutions, pooling
and convolutional recurrent layers."""

from __future__ import annotations

from dataclasses import dataclass

from kerascope.families import dims
from kerascope.families.call import Call
from kerascope.families.dims import Dim, Shape, int_tuple


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

    def lengths(self, spatial: tuple[Dim, ...], dilated: bool = True) -> tuple[Dim, ...]:
        """The output's length along each spatial axis, by Keras's `conv_output_length`
        for the dilated kernel (a pooling window is never dilated)."""
        sizes = self.dilated if dilated else self.kernel
        return tuple(
            conv_length(length, size, self.padding, stride)
            for length, size, stride in zip(spatial, sizes, self.strides, strict=True)
        )


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
