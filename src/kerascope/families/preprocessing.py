"""Keras's preprocessing layers (`keras/src/layers/preprocessing/`): rescaling and
normalization, lookups and encodings (whose outputs depend on `output_mode`), and
image preprocessing and augmentation (which, but for resizing and cropping, keep
their input's shape)."""

from __future__ import annotations

from kerascope.families.call import Call, Outputs
from kerascope.families.dims import Shape, int_arg, normalize_axis
from kerascope.families.knowledge import Build, LayerKnowledge, Price, Sublayer, Variable
from kerascope.families.registry import register
from kerascope.families.rules import axis_size, count, same_shape
from kerascope.model.vocabulary import Kind


def _image_size(call: Call) -> Shape:
    x = call.x
    height, width = int_arg(call.get("height")), int_arg(call.get("width"))
    if x is None or len(x) not in (3, 4) or height is None or width is None:
        return None
    if call.channels_first():
        return (*x[:-2], height, width)
    return (*x[:-3], height, width, x[-1])


def _depth_output(x: Shape, mode: object, depth: int | None) -> Shape:
    """Keras's lookup/encoding rule: `int` keeps the shape; `one_hot` adds (or
    replaces a trailing 1 with) the depth; the others replace the last dimension."""
    if x is None:
        return None
    if mode == "int":
        return x
    if mode == "one_hot":
        return (*x[:-1], depth) if len(x) > 1 and x[-1] == 1 else (*x, depth)
    if mode in ("multi_hot", "count", "tf_idf"):
        return (*x[:-1], depth) if len(x) > 1 else (*x, depth)
    return None


def _vocabulary_depth(call: Call) -> int | None:
    if call.flag("pad_to_max_tokens"):
        return int_arg(call.get("max_tokens"))
    return int_arg(call.get("vocabulary_size"))


def _lookup(call: Call) -> Shape:
    return _depth_output(call.x, call.get("output_mode", "int"), _vocabulary_depth(call))


def _text_vectorization(call: Call) -> Shape:
    x, mode = call.x, call.get("output_mode", "int")
    if x is None:
        return None
    if mode == "int":
        length = int_arg(call.get("output_sequence_length"))
        return (x[0], length)
    shaped: Shape = (*x, 1) if len(x) <= 1 else x
    if call.config.get("split", "whitespace") is not None:
        shaped = (*x, None)
    return _depth_output(shaped, mode, _vocabulary_depth(call))


def _category_encoding(call: Call) -> Shape:
    x, depth = call.x, int_arg(call.get("num_tokens"))
    mode = call.get("output_mode", "multi_hot")
    if x is None:
        return None
    if mode == "one_hot":
        return (*x[:-1], depth) if x and x[-1] == 1 else (*x, depth)
    if mode in ("multi_hot", "count"):
        return (*x[:-1], depth) if len(x) > 1 else (*x, depth)
    return None


def _hashing(call: Call) -> Shape:
    return (
        _category_encoding(
            Call(
                call.class_name,
                {"num_tokens": call.get("num_bins"), "output_mode": call.get("output_mode", "int")},
                call.inputs,
            )
        )
        if call.get("output_mode", "int") != "int"
        else call.x
    )


def _discretization(call: Call) -> Shape:
    mode = call.get("output_mode", "int")
    if mode == "int":
        return call.x
    boundaries = call.config.get("bin_boundaries")
    depth = len(boundaries) + 1 if isinstance(boundaries, list) else int_arg(call.get("num_bins"))
    return _category_encoding(Call(call.class_name, {"num_tokens": depth, "output_mode": mode}, call.inputs))


def _hashed_crossing(call: Call) -> Shape:
    x = call.x
    if x is None:
        return None
    if call.get("output_mode", "int") == "int":
        return x
    return (x[0], int_arg(call.get("num_bins")))


def _rescaling_cost(call: Call, outputs: Outputs) -> Price:
    """A multiply and an add per element."""
    return Price(0, 2 * count(call.x))


# -- Normalization: normalization.py, class Normalization -------------------------------
def _normalization_cost(call: Call, outputs: Outputs) -> Price | None:
    if call.config.get("invert"):
        return None
    channels = axis_size(call)
    return None if channels is None else Price(0, 2 * count(call.x) + channels)


def _normalization_weights(build: Build) -> list[Variable] | None:
    """`build()`: without a `mean` in the config, mean and variance (the input's sizes
    along the kept `axis`) and a scalar count, all created `trainable=False`; with
    one, no variable."""
    if build.config.get("mean") is not None:
        return []
    x, shape = build.input_shape, None
    if x is not None:
        axis = build.config.get("axis", -1)
        kept = [
            normalize_axis(a, len(x))
            for a in ([] if axis is None else axis if isinstance(axis, list) else [axis])
        ]
        shape = None if None in kept else [x[d] for d in sorted(kept)]  # type: ignore[index,type-var]
    elif build.stored:
        shape = [None] * len(build.stored[0].shape)
    return [Variable("mean", shape, False), Variable("variance", shape, False), Variable("count", [], False)]


_SAME_SHAPE = (
    "Equalization",
    "AutoContrast",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "RandomContrast",
    "RandomBrightness",
    "RandomGrayscale",
    "RandomSharpness",
    "RandomColorJitter",
    "RandomHue",
    "RandomSaturation",
    "RandomPosterization",
    "Solarization",
    "RandomInvert",
    "RandomGaussianBlur",
    "RandomErasing",
    "RandomShear",
    "RandomElasticTransform",
    "RandomPerspective",
    "RandomColorDegeneration",
    "MaxNumBoundingBoxes",
)

register(
    LayerKnowledge("Rescaling", Kind.PREPROCESSING, same_shape, _rescaling_cost),
    LayerKnowledge(
        "Normalization", Kind.PREPROCESSING, same_shape, _normalization_cost, _normalization_weights
    ),
    *(LayerKnowledge(name, Kind.PREPROCESSING, same_shape) for name in _SAME_SHAPE),
    *(
        LayerKnowledge(name, Kind.PREPROCESSING, _image_size)
        for name in ("Resizing", "CenterCrop", "RandomCrop")
    ),
    *(
        LayerKnowledge(name, Kind.PREPROCESSING, _lookup, integer_outputs=True, vocabulary_file=True)
        for name in ("StringLookup", "IntegerLookup")
    ),
    LayerKnowledge(
        "TextVectorization",
        Kind.PREPROCESSING,
        _text_vectorization,
        sublayers=(Sublayer("_lookup_layer", "StringLookup", None),),
        integer_outputs=True,
        vocabulary_file=True,
    ),
    LayerKnowledge("CategoryEncoding", Kind.PREPROCESSING, _category_encoding),
    LayerKnowledge("Hashing", Kind.PREPROCESSING, _hashing, integer_outputs=True),
    LayerKnowledge("Discretization", Kind.PREPROCESSING, _discretization, integer_outputs=True),
    LayerKnowledge("HashedCrossing", Kind.PREPROCESSING, _hashed_crossing, integer_outputs=True),
)
