"""Keras's normalization layers (`keras/src/layers/normalization/`)."""

from __future__ import annotations

from kerascope.families.call import Call, Outputs
from kerascope.families.dims import Shape, int_arg, normalize_axis
from kerascope.families.knowledge import Build, LayerKnowledge, Price, Variable
from kerascope.families.registry import outputs_of, register
from kerascope.families.rules import axes_shape, axis_size, count, same_shape
from kerascope.families.spelling import inner_call
from kerascope.model.vocabulary import Kind


# -- BatchNormalization: batch_normalization.py, class BatchNormalization ---------------
def _batch_norm_cost(call: Call, outputs: Outputs) -> Price | None:
    """In inference: 2 per element, 5 per channel on the moving statistics (6 with `scale`)."""
    channels = axis_size(call)
    if channels is None:
        return None
    scale = bool(call.config.get("scale", True))
    return Price(0, 2 * count(call.x) + 5 * channels + (channels if scale else 0))


def _batch_norm_weights(build: Build) -> list[Variable] | None:
    """`build()`: gamma with `scale`, beta with `center`, then moving_mean and
    moving_variance, created `trainable=False`: they never train. With `renorm`
    Keras adds more statistics; not described here."""
    if build.config.get("renorm"):
        return None
    shape = axes_shape(build)
    statistics = [Variable("moving_mean", shape, False), Variable("moving_variance", shape, False)]
    return [*_gamma_and_beta(build, shape), *statistics]


def _gamma_and_beta(build: Build, shape: list[int | None] | None) -> list[Variable]:
    """gamma with `scale`, then beta with `center`, each shaped as the normalized axes."""
    found = []
    if build.config.get("scale", True):
        found.append(Variable("gamma", shape))
    if build.config.get("center", True):
        found.append(Variable("beta", shape))
    return found


# -- LayerNormalization: layer_normalization.py, class LayerNormalization ---------------
def _layer_norm_cost(call: Call, outputs: Outputs) -> Price | None:
    """Over the last axis: 6 per element and 5 per row; `scale` 2 per element more
    and one per row less, `center` 1 per element more."""
    width = axis_size(call)
    elements = count(call.x)
    if width is None or not width:
        return None
    rows = elements // width
    flops = 6 * elements + 5 * rows
    if call.config.get("scale", True):
        flops += 2 * elements - rows
    if call.config.get("center", True):
        flops += elements
    axis = call.config.get("axis", -1)
    single = axis in (-1, [-1]) or (call.x is not None and axis in (len(call.x) - 1, [len(call.x) - 1]))
    return Price(0, flops, estimated=not single or bool(call.config.get("rms_scaling")))


def _layer_norm_weights(build: Build) -> list[Variable] | None:
    """`build()`: gamma with `scale` or `rms_scaling`, beta with `center` unless `rms_scaling`."""
    shape = axes_shape(build)
    rms = bool(build.config.get("rms_scaling"))
    found = []
    if build.config.get("scale", True) or rms:
        found.append(Variable("gamma", shape))
    if build.config.get("center", True) and not rms:
        found.append(Variable("beta", shape))
    return found


# -- GroupNormalization: group_normalization.py, class GroupNormalization ---------------
def _groups(call: Call) -> tuple[int, int, int] | None:
    """(batch, groups, channels) of a call, where Keras could build the layer."""
    x = call.x
    axis = normalize_axis(call.config.get("axis", -1), len(x)) if x is not None else None
    groups = int_arg(call.config.get("groups", 32))
    if x is None or axis is None or axis == 0 or groups is None:
        return None
    channels = x[axis]
    groups = channels if groups == -1 else groups
    if (
        channels is None
        or x[0] is None
        or groups is None
        or groups < 1
        or channels < groups
        or channels % groups
    ):
        return None
    return x[0], groups, channels


def _group_norm_cost(call: Call, outputs: Outputs) -> Price | None:
    """`_apply_normalization` on Keras 3's TensorFlow backend, op by op: the moments
    (a Mean of the input, a SquaredDifference and a Mean of it: 4 per element); per
    example and group an Rsqrt (2), the epsilon's AddV2 and the mean's Neg; the input
    times the inverse and the shift added (2 per element); with `scale`, the inverse
    times gamma and the mean times that, per example and channel, else the mean times
    the inverse per example and group; with `center`, beta added per example and channel."""
    found = _groups(call)
    if found is None:
        return None
    batch, groups, channels = found
    statistics, per_channel = batch * groups, batch * channels
    flops = 6 * count(call.x) + 4 * statistics
    flops += 2 * per_channel if call.config.get("scale", True) else statistics
    flops += per_channel if call.config.get("center", True) else 0
    return Price(0, flops)


def _group_norm_weights(build: Build) -> list[Variable] | None:
    """`build()`: gamma (channels,) with `scale`, beta (channels,) with `center`."""
    return _gamma_and_beta(build, axes_shape(build))


# -- RMSNormalization: rms_normalization.py, class RMSNormalization ---------------------
def _rms_norm_weights(build: Build) -> list[Variable] | None:
    """`build()`: scale, sized by the input along `axis`."""
    return [Variable("scale", axes_shape(build))]


# -- SpectralNormalization: spectral_normalization.py, class SpectralNormalization ------
def _spectral_norm(call: Call) -> Shape:
    """A wrapper (`compute_output_shape` is its layer's): its output is the wrapped layer's."""
    inner = inner_call(call.config.get("layer"), call.inputs[:1], call)
    found = outputs_of(inner) if inner is not None else None
    return found[0] if found and len(found) == 1 else None


register(
    LayerKnowledge(
        "BatchNormalization", Kind.NORMALIZATION, same_shape, _batch_norm_cost, _batch_norm_weights
    ),
    LayerKnowledge("SyncBatchNormalization", Kind.NORMALIZATION, same_shape, weights=_batch_norm_weights),
    LayerKnowledge(
        "LayerNormalization", Kind.NORMALIZATION, same_shape, _layer_norm_cost, _layer_norm_weights
    ),
    LayerKnowledge(
        "GroupNormalization", Kind.NORMALIZATION, same_shape, _group_norm_cost, _group_norm_weights
    ),
    LayerKnowledge("RMSNormalization", Kind.NORMALIZATION, same_shape, weights=_rms_norm_weights),
    LayerKnowledge("UnitNormalization", Kind.NORMALIZATION, same_shape),
    LayerKnowledge("SpectralNormalization", Kind.WRAPPER, _spectral_norm),
)
